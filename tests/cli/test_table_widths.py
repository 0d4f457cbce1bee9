"""At 80 columns the text output never cuts a path, component name, check id or key inside
a name: each stays on one line, or breaks only after a separator (``/ . - _ : = , @``).

Tables are checked for every command; every plain line too for ``plan --why``, ``diff``
and ``simulate``, which print prose that names files, components and keys.

Each command runs twice, ``-o json`` and text. The text is shown as an 80-column terminal
shows it: a line wider than that is folded at the 80th cell. Every identifier-like string
of the JSON (values and keys) is then looked for in it, column by column: a table cell that
wraps is the column's fragments on consecutive lines, joined, and so are the consecutive
plain lines of a paragraph. An identifier found there may only span a line break right
after a separator; one the text shows must be found whole.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from rich.cells import cell_len, chop_cells

from stackyard.cli.tables import wrap_line
from tests.conftest import EXAMPLES, ROOT

Cli = Callable[..., Result]
WIDTH = 80
ASSESS_REPOS = ROOT / "tests" / "assess" / "repos"
SEPARATORS = "/.-_:=,@"
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9/.:@_=-]*[A-Za-z0-9]")
_BORDERS = re.compile(r"[│┃]")
_NAME_CHAR = re.compile(r"[A-Za-z0-9/.:@_=-]")
_PATH = re.compile(r"[\w.-]+(?:/[\w.-]+)+\.yaml")


def identifiers(data: Any) -> Iterator[str]:
    """Every string of a JSON document, keys included, that looks like a name or a path."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from identifiers(key)
            yield from identifiers(value)
    elif isinstance(data, list):
        for item in data:
            yield from identifiers(item)
    elif isinstance(data, str):
        for word in data.split():
            word = word.strip("()[]'\",;")
            if len(word) >= 4 and _IDENTIFIER.fullmatch(word) and re.search("[A-Za-z]", word):
                yield word


def terminal(text: str) -> str:
    """``text`` as a terminal of ``WIDTH`` columns shows it: longer lines folded anywhere."""
    shown = []
    for line in text.splitlines():
        shown.extend(chop_cells(line, WIDTH) if cell_len(line) > WIDTH else [line])
    return "\n".join(shown) + "\n"


def columns(text: str) -> list[tuple[str, list[int]]]:
    """Each table column (or plain paragraph) as its fragments joined, with the break offsets.

    Lines of one table have their borders at the same offsets; each column of those
    lines is a stream of fragments, stripped, that a wrapped cell continues into. The
    plain lines between two blank (or table) lines are one stream, which a wrapped
    line continues into.
    """
    streams: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    paragraph = 0
    for number, line in enumerate(text.splitlines()):
        borders = tuple(m.start() for m in _BORDERS.finditer(line))
        if not borders and line.strip():
            streams["paragraph", paragraph].append(line.strip())
            continue
        paragraph = number + 1
        if not borders:
            continue
        edges = (-1, *borders, len(line))
        for index in range(len(edges) - 1):
            streams[borders, index].append(line[edges[index] + 1 : edges[index + 1]].strip())
    joined = []
    for fragments in streams.values():
        breaks, offset = [], 0
        for fragment in fragments:
            offset += len(fragment)
            breaks.append(offset)
        joined.append(("".join(fragments), breaks[:-1]))
    return joined


def _bounded(stream: str, start: int, end: int) -> bool:
    """Whether no name character touches ``stream[start:end]`` on either side."""
    before = stream[start - 1] if start else " "
    after = stream[end] if end < len(stream) else " "
    return not _NAME_CHAR.match(before) and not _NAME_CHAR.match(after)


def check_unbroken(text: str, data: Any, shown: set[str]) -> None:
    """No identifier of ``data`` is cut inside a name; those in ``shown`` appear whole."""
    wide = [line for line in text.splitlines() if cell_len(line) > WIDTH and _BORDERS.search(line)]
    assert not wide, f"table lines wider than {WIDTH}: {wide[:3]}"
    streams = columns(terminal(text))
    whole: set[str] = set()
    broken: dict[str, str] = {}
    for name in set(identifiers(data)) | shown:
        for stream, breaks in streams:
            for match in re.finditer(re.escape(name), stream):
                inside = [b for b in breaks if match.start() < b < match.end()]
                bad = [b for b in inside if stream[b - 1] not in SEPARATORS]
                if bad and not _bounded(stream, match.start(), match.end()):
                    continue  # words from lines broken at spaces, run together here
                if bad:
                    cut = bad[0] - match.start()
                    broken[name] = f"{name[:cut]} | {name[cut:]}"
                else:
                    whole.add(name)
    assert not broken, f"identifiers cut inside a name: {sorted(broken.values())[:10]}"
    assert shown <= whole, f"not shown whole: {sorted(shown - whole)[:10]}"


@pytest.fixture
def narrow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    monkeypatch.delenv("LINES", raising=False)


def both(cli: Cli, *args: str) -> tuple[str, Any]:
    text = cli(*args)
    data = cli(*args, "-o", "json")
    assert text.exit_code in (0, 1), text.stderr
    assert data.exit_code == text.exit_code, data.stderr
    return text.stdout, json.loads(data.stdout)


@pytest.mark.parametrize("example", ["aws-enterprise", "local-multicluster"])
def test_plan(cli: Cli, narrow: None, example: str) -> None:
    text, data = both(cli, "plan", str(EXAMPLES / f"{example}.yaml"))
    shown = {c["name"] for cluster in data["clusters"] for c in cluster["components"]}
    shown |= set(data["settings"]) | {f["check"] for f in data["findings"]}
    check_unbroken(text, data, shown)


def test_catalog(cli: Cli, narrow: None) -> None:
    text, data = both(cli, "catalog")
    components = data["components"]
    shown = {c["name"] for c in components} | {p for c in components for p in c["provides"]}
    check_unbroken(text, data, shown)


def test_validate(cli: Cli, narrow: None, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    assert cli("render", str(EXAMPLES / "local-multicluster.yaml"), str(tree)).exit_code == 0
    noisy = tree / "clusters" / "app1" / "values" / "a-rather-long-component-name-values.yaml"
    noisy.parent.mkdir(parents=True, exist_ok=True)
    noisy.write_text("kind: Deployment\napiVersion: apps/v1\nmetadata: {name: x}\nspec: 3\n")
    text, data = both(cli, "validate", str(tree))
    shown = {f["check"] for f in data["findings"] + data["unchecked"]}
    assert any("a-rather-long-component-name" in f["file"] for f in data["findings"])
    shown |= {Path(f["file"]).name for f in data["findings"]}
    check_unbroken(text, data, shown)


@pytest.mark.parametrize("repo", ["homelab-umbrellas", "appset-generators"])
def test_assess(cli: Cli, narrow: None, repo: str) -> None:
    text, data = both(cli, "assess", str(ASSESS_REPOS / repo))
    shown = {c["id"] for area in data["areas"] for c in area["controls"]}
    check_unbroken(text, data, shown)


def _sources(rows: list[dict[str, Any]]) -> set[str]:
    """The rendered files the ``source`` of each row names (the text prints them)."""
    return {path for row in rows for path in _PATH.findall(row.get("source") or "")}


@pytest.mark.parametrize(
    ("mode", "printed"),
    [
        (("--fail", "mgmt", "--for", "3h"), lambda data: _sources(data["timeline"])),
        (("--all-single-failures", "--for", "1h"), lambda data: set()),
        ((), lambda data: _sources(data["disasterRecovery"]["tiers"])),
    ],
    ids=["incident", "matrix", "model"],
)
def test_simulate(
    cli: Cli, narrow: None, mode: tuple[str, ...], printed: Callable[[Any], set[str]]
) -> None:
    """Every line, not only tables: simulate prints prose lines that name files and services."""
    text, data = both(cli, "simulate", str(EXAMPLES / "local-multicluster.yaml"), *mode)
    shown = printed(data)
    if "--fail" in mode:
        assert "values/clusters/app1/prometheus-agent.yaml" in shown
    check_unbroken(text, data, shown)
    _no_wide_lines(text)


def _no_wide_lines(text: str) -> None:
    wide = [line for line in text.splitlines() if cell_len(line) > WIDTH]
    assert not wide, f"lines wider than {WIDTH}: {wide[:3]}"


@pytest.mark.parametrize(
    ("example", "component"), [("aws-enterprise", "vault"), ("local-multicluster", "alloy")]
)
def test_plan_why(cli: Cli, narrow: None, example: str, component: str) -> None:
    """Every line of ``plan --why``: a description, then a paragraph per cluster."""
    text, data = both(cli, "plan", str(EXAMPLES / f"{example}.yaml"), "--why", component)
    rows = data["clusters"]
    shown = {data["component"]} | {row["cluster"] for row in rows}
    shown |= {n["provider"] for row in rows for n in row["needs"]}
    shown |= {n["component"] for row in rows for n in row["neededBy"]}
    assert shown > {data["component"]}
    check_unbroken(text, data, shown)
    _no_wide_lines(text)


def test_diff(cli: Cli, narrow: None) -> None:
    """Every line of a spec diff: long reasons wrap at spaces, subjects stay whole."""
    old, new = (str(EXAMPLES / f"{name}.yaml") for name in ("aws-standard", "aws-enterprise"))
    text, data = both(cli, "diff", old, new)
    shown = {change["subject"] for change in data["changes"]}
    check_unbroken(text, data, shown)
    _no_wide_lines(text)


def test_diff_manifests(cli: Cli, narrow: None) -> None:
    """Every line of a manifest diff but the patches, which are printed as they are."""
    old, new = (str(EXAMPLES / f"{name}.yaml") for name in ("local-multicluster", "aws-enterprise"))
    text, data = both(cli, "diff", old, new, "--manifests")
    changes = data["objects"] + data["files"]
    patches = "".join(change.pop("diff") for change in changes)
    assert patches and patches in text
    text = text.replace(patches, "")
    shown = {change["path"] for change in changes}
    check_unbroken(text, data, shown)
    _no_wide_lines(text)


def test_the_check_finds_a_folded_path() -> None:
    """The check itself: a path folded mid-name is reported, one split at '/' is not."""
    data = {"file": "clusters/app-1/values.yaml"}
    folded = "│ clusters/app-1/valu │\n│ es.yaml             │\n"
    with pytest.raises(AssertionError, match=re.escape("clusters/app-1/valu | es.yaml")):
        check_unbroken(folded, data, set())
    split = "│ clusters/app-1/ │\n│ values.yaml     │\n"
    check_unbroken(split, data, {"clusters/app-1/values.yaml"})


def test_the_check_sees_a_plain_line_as_a_terminal_folds_it() -> None:
    """A plain line wider than the terminal is folded at the last column, mid-name."""
    path = "values/clusters/app1/prometheus-agent.yaml"
    data = {"source": f"{path}:15"}
    line = f"  source: {'x' * 42} ({path}:15)\n"
    with pytest.raises(AssertionError, match=re.escape("values/clusters/app1/prome | theus")):
        check_unbroken(line, data, {path})
    wrapped = f"  source: {'x' * 42} (values/clusters/app1/\n    prometheus-agent.yaml:15)\n"
    check_unbroken(wrapped, data, {path})


def test_a_plain_line_wraps_after_separators_under_its_first_word() -> None:
    line = (
        "  ✅ L1 mgmt: etcdctl snapshot CronJob, kept on the control-plane node that took "
        "them — spec.schedule = 0 0 * * * (manifests/mgmt/base/etcd-backup.yaml:16)"
    )
    lines = wrap_line(line, 60)
    assert len(lines) > 1
    assert all(cell_len(wrapped) <= 60 for wrapped in lines)
    assert all(wrapped.startswith("     ") and wrapped[5] != " " for wrapped in lines[1:])
    assert "".join(wrapped.strip() for wrapped in lines).replace(" ", "") == line.replace(" ", "")
    assert "etcd-backup.yaml:16)" in "".join(wrapped.strip() for wrapped in lines)
    assert wrap_line("  short", 60) == ["  short"]
