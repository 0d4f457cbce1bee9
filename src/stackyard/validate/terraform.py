"""Terraform and Packer files of the tree (``infrastructure/<cluster>/``), parsed.

Every ``.tf`` and ``.pkr.hcl`` file under the root is parsed whole with python-hcl2; one
that does not parse is a finding at the line and column the parser stops at (its first
line when the parser names none). Whether the configuration is also sound is checkov's
part (``scripts/checkov.sh``): it needs its own environment, so it is not run here.
"""

from __future__ import annotations

from pathlib import Path

import hcl2

from stackyard.errors import Location
from stackyard.findings import Finding

CHECK = "terraform"


PATTERNS = ("*.tf", "*.pkr.hcl")


def terraform_files(root: Path) -> list[Path]:
    """Every regular ``.tf`` and ``.pkr.hcl`` file under ``root``, sorted, no symlinks."""
    return sorted(
        path
        for pattern in PATTERNS
        for path in root.rglob(pattern)
        if path.is_file() and not path.is_symlink() and ".terraform" not in path.parts
    )


def check_terraform(root: Path) -> tuple[int, list[Finding]]:
    """How many such files there are, and a finding for each that does not parse."""
    files = terraform_files(root)
    findings = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            findings.append(Finding(Location(str(path), 1, 1), CHECK, f"not readable: {e}"))
            continue
        try:
            hcl2.loads(text)
        except Exception as e:  # lark raises many unrelated types on bad input
            line = getattr(e, "line", 0)
            column = getattr(e, "column", 0)
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            findings.append(
                Finding(
                    Location(
                        str(path),
                        line if isinstance(line, int) and line > 0 else 1,
                        column if isinstance(column, int) and column > 0 else 1,
                    ),
                    CHECK,
                    f"not valid {_tool(path)} (HCL): {first[:200]}",
                )
            )
    return len(files), findings


def _tool(path: Path) -> str:
    return "Packer" if path.name.endswith(".pkr.hcl") else "Terraform"
