"""Field check: does ``stackyard assess`` agree with an expert's reading of public repositories?

Usage: python benchmarks/field.py --expectations FILE [NAME=DIR | DIR]... [--output text|json]

FILE (tests/assess/field-expectations.yaml) lists repositories nobody here wrote, each
with the commit that was read and an expert's rating per maturity area, with a one-line
reason. Each DIR is a local copy of one of them at that commit (an unpacked archive or
a checkout); a bare ``DIR`` is matched by its folder name (``owner+name`` or ``name``),
``NAME=DIR`` names it explicitly (``onedr0p/home-ops=/src/home-ops``). Nothing of theirs
is copied into this repository, and nothing is fetched: repositories of the file that are
not given are listed as not run.

For every area the expected and actual ratings are printed; an area more than one level
off is a failure and makes the exit code 1 (2 for a bad expectations file or folder).
Differences within one level are printed too, and explained in docs/assessment.md
("Field check").
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stackyard.assess import assess_directory
from stackyard.errors import StackyardError
from stackyard.yamlio import read_yaml_file

TOLERANCE = 1  # levels an area may differ from the expert's reading


class Expected(BaseModel):
    """An expert's rating of one area, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    rating: int = Field(ge=1, le=5)
    reason: str = Field(min_length=1)


class Repository(BaseModel):
    """One public repository as it was read."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[\w.-]+/[\w.-]+$")
    commit: str = Field(pattern=r"^[0-9a-f]{40}$")
    areas: dict[str, Expected]


class Expectations(BaseModel):
    """The field-expectations file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    repositories: list[Repository]


@dataclass(frozen=True)
class AreaCheck:
    """Expected against actual for one area of one repository."""

    repository: str
    area: str
    expected: int
    actual: int
    reason: str

    @property
    def failed(self) -> bool:
        """More than ``TOLERANCE`` levels off."""
        return abs(self.actual - self.expected) > TOLERANCE


def load_expectations(path: Path) -> Expectations:
    """The expectations file, validated."""
    (document,) = read_yaml_file(path)
    return Expectations.model_validate(document.data)


def match(expectations: Expectations, given: list[str]) -> dict[str, Path]:
    """Repository name -> local folder, from ``NAME=DIR`` or folder names."""
    by_folder = {}
    for repo in expectations.repositories:
        by_folder[repo.name.replace("/", "+")] = repo.name
        by_folder.setdefault(repo.name.split("/")[1], repo.name)
    found: dict[str, Path] = {}
    for item in given:
        name, _, folder = item.rpartition("=") if "=" in item else ("", "", item)
        path = Path(folder)
        name = name or by_folder.get(path.resolve().name, "")
        if name not in {r.name for r in expectations.repositories}:
            raise ValueError(f"{item}: not a repository of the expectations file")
        if not path.is_dir():
            raise ValueError(f"{item}: not a folder")
        found[name] = path
    return found


def check(expectations: Expectations, folders: dict[str, Path]) -> list[AreaCheck]:
    """Assess each given repository and compare its ratings with the expected ones."""
    results = []
    for repo in expectations.repositories:
        if repo.name not in folders:
            continue
        assessment = assess_directory(folders[repo.name])
        actual = {area.area: area.rating for area in assessment.areas}
        for area, expected in repo.areas.items():
            if area not in actual:
                raise ValueError(f"{repo.name}: unknown area {area!r}")
            results.append(
                AreaCheck(repo.name, area, expected.rating, actual[area], expected.reason)
            )
    return results


def render_text(results: list[AreaCheck], not_run: list[str]) -> str:
    """One line per area: expected, actual, verdict, the expert's reason."""
    lines = []
    for repository in dict.fromkeys(r.repository for r in results):
        lines.append(repository)
        for r in (r for r in results if r.repository == repository):
            verdict = "FAIL" if r.failed else ("ok" if r.actual == r.expected else "±1")
            lines.append(
                f"  {r.area:22} expected {r.expected}  actual {r.actual}  {verdict:4}  {r.reason}"
            )
    failed = sum(r.failed for r in results)
    exact = sum(r.actual == r.expected for r in results)
    lines.append(
        f"{len(results)} areas: {exact} exact, {len(results) - exact - failed} within "
        f"{TOLERANCE}, {failed} more than {TOLERANCE} off"
    )
    if not_run:
        lines.append("not run (no folder given): " + ", ".join(not_run))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the field check; 0 when every area is within tolerance, 1 when not, 2 on bad input."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--expectations", type=Path, required=True)
    parser.add_argument("--output", choices=("text", "json"), default="text")
    parser.add_argument("repositories", nargs="*", help="DIR or NAME=DIR")
    args = parser.parse_args(argv)
    try:
        expectations = load_expectations(args.expectations)
        folders = match(expectations, args.repositories)
        results = check(expectations, folders)
    except (StackyardError, ValidationError, ValueError) as e:
        print(f"field check: {e}", file=sys.stderr)
        return 2
    not_run = [r.name for r in expectations.repositories if r.name not in folders]
    if args.output == "json":
        rows = [{**asdict(r), "failed": r.failed} for r in results]
        print(json.dumps({"areas": rows, "notRun": not_run}, indent=2))
    else:
        print(render_text(results, not_run))
    return 1 if any(r.failed for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
