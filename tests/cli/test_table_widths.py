"""At 80 columns the text output never cuts a path, component name, check id or key inside
a name: each stays on one line, or breaks only after a separator (``/ . - _ : = , @``).

Each command runs twice, ``-o json`` and text. Every identifier-like string of the JSON
(values and keys) is looked for in the text, column by column: a table cell that wraps is
the column's fragments on consecutive lines, joined. An identifier found there may only
span a line break right after a separator; one the text shows must be found whole.
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
from rich.cells import cell_len

from tests.conftest import EXAMPLES

Cli = Callable[..., Result]
WIDTH = 80
ASSESS_REPOS = Path(__file__).resolve().parent.parent / "assess" / "repos"
SEPARATORS = "/.-_:=,@"
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9/.:@_=-]*[A-Za-z0-9]")
_BORDERS = re.compile(r"[│┃]")
_NAME_CHAR = re.compile(r"[A-Za-z0-9/.:@_=-]")


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


def columns(text: str) -> list[tuple[str, list[int]]]:
    """Each table column (or plain line) as its fragments joined, with the break offsets.

    Lines of one table have their borders at the same offsets; each column of those
    lines is a stream of fragments, stripped, that a wrapped cell continues into.
    """
    streams: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for number, line in enumerate(text.splitlines()):
        borders = tuple(m.start() for m in _BORDERS.finditer(line))
        if not borders:
            streams["line", number].append(line.strip())
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
    streams = columns(text)
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


@pytest.mark.parametrize(
    "mode",
    [
        ("--fail", "mgmt", "--for", "2h"),
        ("--all-single-failures", "--for", "1h"),
        (),
    ],
    ids=["incident", "matrix", "model"],
)
def test_simulate(cli: Cli, narrow: None, mode: tuple[str, ...]) -> None:
    text, data = both(cli, "simulate", str(EXAMPLES / "local-multicluster.yaml"), *mode)
    check_unbroken(text, data, set())


def test_the_check_finds_a_folded_path() -> None:
    """The check itself: a path folded mid-name is reported, one split at '/' is not."""
    data = {"file": "clusters/app-1/values.yaml"}
    folded = "│ clusters/app-1/valu │\n│ es.yaml             │\n"
    with pytest.raises(AssertionError, match=re.escape("clusters/app-1/valu | es.yaml")):
        check_unbroken(folded, data, set())
    split = "│ clusters/app-1/ │\n│ values.yaml     │\n"
    check_unbroken(split, data, {"clusters/app-1/values.yaml"})
