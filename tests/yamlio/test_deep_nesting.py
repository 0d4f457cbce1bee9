"""Nesting is refused before libyaml's recursive composer can exhaust the C stack.

libyaml's composer recurses once per level in C: about 20,000 levels of ``[`` kill the
interpreter with a segmentation fault, which no ``except`` catches. Each case runs the
loader in a child process, so a crash fails the test instead of killing the run.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from stackyard.errors import HostileYamlError
from stackyard.yamlio import load_yaml_documents, load_yaml_text, loader
from stackyard.yamlio.loader import MAX_DEPTH

LEVELS = 50_000  # far past where libyaml's composer overflows an 8 MiB stack

DEEP = {
    "flow sequences": "[" * LEVELS + "]" * LEVELS,
    "flow mappings": "{a: " * LEVELS + "1" + "}" * LEVELS,
    "compact block sequences": "- " * LEVELS + "x\n",
    "compact explicit keys": "? " * LEVELS + "x\n",
    "a deep value under a key": "key:\n  " + "[" * LEVELS + "]" * LEVELS + "\n",
    "indented block mappings": "".join(" " * i + "a:\n" for i in range(2_000)) + "  " * 1_000,
    "indentation and compact sequences": "".join("  " * i + "- - - - b:\n" for i in range(1_000)),
}

_CHILD = textwrap.dedent(
    """
    import sys
    from stackyard.errors import HostileYamlError
    from stackyard.yamlio import read_yaml_file
    try:
        read_yaml_file(__import__("pathlib").Path(sys.argv[1]))
    except HostileYamlError as e:
        problem = e.problems[0]
        print(problem.location.line, problem.location.column, problem.message)
        sys.exit(0)
    print("loaded")
    sys.exit(1)
    """
)


@pytest.mark.parametrize("text", DEEP.values(), ids=DEEP.keys())
def test_deep_nesting_is_a_located_error_not_a_crash(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr[-2000:])
    line, column, message = done.stdout.split(" ", 2)
    assert int(line) >= 1 and int(column) >= 1
    assert message.strip() == f"nesting deeper than {MAX_DEPTH} levels"


def test_the_depth_limit_is_exact_below_the_deep_check() -> None:
    # Few brackets: no event walk; the builder refuses at the same level.
    allowed = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    assert load_yaml_text(allowed, "ok.yaml").data is not None
    refused = "[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2)
    with pytest.raises(HostileYamlError, match="nesting deeper"):
        load_yaml_text(refused, "deep.yaml")


def test_the_depth_limit_is_the_same_when_the_event_stream_is_walked() -> None:
    # Many brackets side by side make the cheap bound high: the event walk decides.
    padding = "x: [" + ", ".join(["[1]"] * 600) + "]\n"
    allowed = padding + "y: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n"
    assert load_yaml_text(allowed, "ok.yaml").data["x"][0] == [1]
    refused = padding + "y: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n"
    with pytest.raises(HostileYamlError) as info:
        load_yaml_text(refused, "deep.yaml")
    assert info.value.problems[0].location.line == 2


def test_many_shallow_brackets_load() -> None:
    text = "[" + ",".join("{a: [1, {b: 2}]}" for _ in range(5_000)) + "]"
    assert len(load_yaml_text(text, "wide.yaml").data) == 5_000


def test_documents_before_a_deep_one_are_still_refused_whole() -> None:
    # The walk runs before any document is built: a deep stream yields nothing.
    text = "a: 1\n---\n" + "[" * LEVELS + "]" * LEVELS + "\n"
    with pytest.raises(HostileYamlError) as info:
        load_yaml_documents(text, "deep.yaml")
    assert info.value.problems[0].location.line == 3


def test_a_syntax_error_after_many_brackets_is_still_a_syntax_error() -> None:
    text = "a: [" + ", ".join(["[1]"] * 600) + "\nb: : :\n"
    with pytest.raises(Exception) as info:
        load_yaml_text(text, "broken.yaml")
    assert not isinstance(info.value, HostileYamlError)
    assert "invalid YAML" in str(info.value)


@pytest.mark.parametrize("line_break", ["\n", "\r\n", "\r", "\x85", "\u2028", "\u2029"])
def test_deep_indentation_after_any_yaml_line_break_is_walked(line_break: str) -> None:
    # libyaml ends a line at each of these; the cheap bound must see every one of them.
    lines = [" " * level + "a:" for level in range(300)]
    text = line_break.join(lines) + line_break
    with pytest.raises(HostileYamlError) as info:
        load_yaml_text(text, "deep.yaml")
    assert info.value.problems[0].location.line == MAX_DEPTH + 2
    assert loader._may_nest_deeply(text)
    assert not loader._may_nest_deeply(line_break.join(lines[:150]))
