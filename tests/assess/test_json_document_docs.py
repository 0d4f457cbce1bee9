"""The JSON document's fields are the ones docs/assessment.md names, no more and no fewer.

CI jobs read ``--output json`` by the names the documentation gives; a field the code
writes and the page does not name is unusable, and one the page names and the code does
not write breaks them. The "JSON document" section's table is read (per object, the
backquoted names outside parentheses) and compared with real documents of corpus
repositories that hold every kind of object: workload findings, an applied exception,
excluded folders and template notices.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from stackyard.assess import assess_directory
from stackyard.assess.exceptions import apply_exceptions, load_exceptions

HERE = Path(__file__).resolve().parent
DOC = HERE.parents[1] / "docs" / "assessment.md"
REPOS = HERE / "repos"


def outside_parentheses(text: str) -> str:
    """``text`` without anything in (possibly nested) parentheses."""
    kept, depth = [], 0
    for char in text:
        depth += char == "("
        if not depth:
            kept.append(char)
        depth -= char == ")" and depth > 0
    return "".join(kept)


def documented_fields() -> dict[str, set[str]]:
    """Per object of the "JSON document" table, the field names it documents."""
    section = DOC.read_text(encoding="utf-8").split("\n## JSON document\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    fields = {}
    for row in section.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[0] in ("object", "---"):
            continue
        name = outside_parentheses(cells[0]).strip()
        fields[name] = set(re.findall(r"`([^`]+)`", outside_parentheses(cells[1])))
    return fields


def spans(document: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every span of the document: control evidence and gaps, units, findings, sources."""
    for area in document["areas"]:
        for control in area["controls"]:
            yield from control["evidence"] + control["gaps"]
            for unit in control["units"]:
                yield from unit["evidence"]
    yield from (f["evidence"] for f in document["workloadFindings"])
    yield from (x["source"] for x in document["exceptions"])


def written_fields(documents: list[Mapping[str, Any]]) -> dict[str, set[str]]:
    """Per object, the field names the documents write (every instance must agree)."""
    written: dict[str, list[set[str]]] = defaultdict(list)
    for document in documents:
        written["document"].append(set(document))
        written["stats"].append(set(document["stats"]))
        for key, name in (
            ("roadmap", "roadmap item"),
            ("workloadFindings", "workload finding"),
            ("notices", "notice"),
            ("exceptions", "exception"),
            ("excluded", "exclude rule"),
            ("areas", "area"),
        ):
            written[name] += [set(item) for item in document[key]]
        controls = [c for area in document["areas"] for c in area["controls"]]
        written["control"] += [set(c) for c in controls]
        written["unit"] += [set(u) for c in controls for u in c["units"]]
        written["span"] += [set(s) for s in spans(document)]
    for name, instances in written.items():
        assert instances, f"no {name} in the documents: the comparison would prove nothing"
        assert all(i == instances[0] for i in instances), f"{name} fields vary"
    return {name: instances[0] for name, instances in written.items()}


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> list[Mapping[str, Any]]:
    manifests = assess_directory(REPOS / "app-manifests")
    check = manifests.workload_findings[0].check
    entries = tmp_path_factory.mktemp("exceptions") / "exceptions.yaml"
    entries.write_text(
        f"exceptions:\n  - check: {check}\n    reason: accepted\n    expires: 2099-01-31\n",
        encoding="utf-8",
    )
    excepted = apply_exceptions(manifests, load_exceptions(entries))
    templates = assess_directory(REPOS / "template-placeholders")
    return [excepted.as_dict(), templates.as_dict()]


def test_every_documented_field_is_written_and_every_written_field_documented(
    documents: list[Mapping[str, Any]],
) -> None:
    assert documented_fields() == written_fields(documents)


@pytest.mark.parametrize("repository", sorted(p.name for p in REPOS.iterdir() if p.is_dir()))
def test_every_stats_key_is_in_every_document(repository: str) -> None:
    # A count missing when it is zero (no file skipped, no --charts) breaks a reader's query.
    stats = assess_directory(REPOS / repository).as_dict()["stats"]
    assert set(stats) == documented_fields()["stats"]
