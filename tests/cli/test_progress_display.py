"""Progress bars appear on stderr when it is a terminal, and never in a pipe or with --quiet.

The commands run as a user runs them, ``python -m stackyard`` in a child process, with
stderr attached to a pseudo-terminal (what a person sees) or to a pipe (CI, a script);
stdout always goes to a file, so the report can be compared between the two.
"""

from __future__ import annotations

import errno
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from stackyard.cli import options
from stackyard.cli.progress import progress_display
from stackyard.progress import no_progress
from tests.conftest import EXAMPLES, render_example

LOCAL = EXAMPLES / "local-multicluster.yaml"
ESCAPE = "\x1b["


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def run(args: list[str], cwd: Path, terminal: bool) -> Run:
    """Run ``stackyard ARGS`` with stderr on a pseudo-terminal or a pipe."""
    env = os.environ | {"TERM": "xterm-256color", "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    out = cwd / f"stdout-{len(list(cwd.iterdir()))}.txt"
    command = [sys.executable, "-m", "stackyard", *args]
    with out.open("wb") as stdout:
        if not terminal:
            done = subprocess.run(
                command, cwd=cwd, env=env, stdout=stdout, stderr=subprocess.PIPE, timeout=120
            )
            err = done.stderr.decode()
            code = done.returncode
        else:
            master, slave = pty.openpty()
            try:
                child = subprocess.Popen(command, cwd=cwd, env=env, stdout=stdout, stderr=slave)
                os.close(slave)
                err = b"".join(_drain(master)).decode(errors="replace")
                code = child.wait(timeout=120)
            finally:
                os.close(master)
    return Run(code, out.read_text(encoding="utf-8"), err)


def _drain(master: int) -> Iterator[bytes]:
    """Everything written to the terminal until the child closes it."""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError as e:  # Linux reports the closed other end as EIO
            if e.errno != errno.EIO:
                raise
            return
        if not chunk:
            return
        yield chunk


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("render") / "tree"
    render_example(LOCAL, out)
    return out


COMMANDS = {
    "validate": (["validate", "{tree}"], ["reading files", "checking schemas"]),
    "assess": (["assess", "{tree}"], ["reading files", "running detectors"]),
    "simulate": (
        ["simulate", str(LOCAL), "--all-single-failures", "--for", "30m"],
        ["rendering", "simulating failures"],
    ),
    "render": (["render", str(LOCAL), "{out}"], ["rendering"]),
    "diff": (
        ["diff", "--manifests", str(EXAMPLES / "community-poc.yaml"), str(LOCAL)],
        ["rendering the old spec", "rendering the new spec", "comparing objects"],
    ),
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_progress_is_drawn_on_a_terminal_and_absent_from_a_pipe(
    name: str, tree: Path, tmp_path: Path
) -> None:
    template, steps = COMMANDS[name]
    drawn, piped = (
        run([a.format(tree=tree, out=tmp_path / out) for a in template], tmp_path, terminal)
        for out, terminal in (("drawn", True), ("piped", False))
    )
    for step in steps:
        assert step in drawn.stderr, drawn.stderr
        assert step not in piped.stderr
    assert ESCAPE not in piped.stderr
    assert drawn.code == piped.code
    assert drawn.stdout.replace("drawn", "piped") == piped.stdout


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_quiet_draws_nothing_on_a_terminal(name: str, tree: Path, tmp_path: Path) -> None:
    template, steps = COMMANDS[name]
    args = [a.format(tree=tree, out=tmp_path / "out") for a in template]
    quiet = run(["--quiet", *args], tmp_path, terminal=True)
    assert quiet.code in (0, 1), quiet.stderr
    # The result itself is never silenced (render's is the tree it writes).
    assert (tmp_path / "out" / "README.md").is_file() if name == "render" else quiet.stdout
    for step in steps:
        assert step not in quiet.stderr
    assert ESCAPE not in quiet.stderr


def test_the_display_is_silent_with_quiet_and_off_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    master, slave = pty.openpty()
    try:
        with os.fdopen(slave, "w", closefd=True) as terminal:
            monkeypatch.setattr(sys, "stderr", terminal)
            with progress_display() as progress:
                assert progress is not no_progress
            monkeypatch.setattr(options, "quiet", lambda: True)
            with progress_display() as progress:
                assert progress is no_progress
    finally:
        os.close(master)
    monkeypatch.setattr(options, "quiet", lambda: False)
    with open(os.devnull, "w") as pipe_like:
        monkeypatch.setattr(sys, "stderr", pipe_like)
        with progress_display() as progress:
            assert progress is no_progress
