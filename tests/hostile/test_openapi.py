"""Hostile OpenAPI documents: an API's document is refused with exit 2, never a hang or crash.

The spec names the document by a path beside it, and anyone who can open a pull request
can put anything there: a FIFO, a device, a link out of the repository, a bomb. Each is
given to ``plan`` and ``render``, which must refuse the spec at its ``openapi`` field.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hostile.payloads import YAML_PAYLOADS
from tests.hostile.specials import SPECIALS
from tests.processes import check_outcome, run_stackyard

SPEC = Path(__file__).resolve().parents[1] / "spec" / "data" / "services.yaml"


def _write(payload: bytes) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_bytes(payload)

    return write


CASES: dict[str, Callable[[Path], None]] = {
    **SPECIALS,
    "billion-laughs": _write(YAML_PAYLOADS["billion-laughs"]),
    "merge-bomb": _write(YAML_PAYLOADS["merge-bomb"]),
    "huge": _write(b"#" * (4 * 1024 * 1024 + 1)),
    "not-utf8": _write(b"openapi: 3.1.0\ninfo: \xff\xfe\n"),
    "remote-ref": _write(
        b"openapi: 3.1.0\ninfo: {title: T, version: '1'}\npaths:\n  /a:\n    get:\n"
        b"      responses: {'200': {$ref: 'http://169.254.169.254/latest/meta-data'}}\n"
    ),
}


@pytest.mark.parametrize("command", ["plan", "render"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_openapi_document_is_refused_naming_the_field(
    tmp_path: Path, case: str, command: str
) -> None:
    shutil.copy(SPEC, tmp_path / "platform.yaml")
    (tmp_path / "apis").mkdir()
    CASES[case](tmp_path / "apis" / "orders.yaml")
    args = (
        ["render", tmp_path / "platform.yaml", "out"]
        if command == "render"
        else [
            "plan",
            tmp_path / "platform.yaml",
        ]
    )
    outcome = run_stackyard(*args, cwd=tmp_path)
    check_outcome(outcome, names="platform.yaml")
    assert outcome.code == 2, outcome.stderr[-2000:]
    assert "apis[0].openapi" in outcome.stderr
    assert not (tmp_path / "out").exists()
