"""Run Stackyard as a user would, in a child process that a crash or a hang cannot take down.

Shared by every test that must survive what it runs: the hostile-input suite
(``tests/hostile``) and the command-line tests of inputs that once crashed or hung.

Every hostile case runs Stackyard in its own process (forked from the test process, or
``python -m stackyard`` as a fresh interpreter) with a wall-clock limit and an
address-space limit, so a segfault, a hang or a memory runaway shows as a
failing case instead of killing or stalling the test run. ``check_outcome`` holds the
promises every case shares: an exit code of 0, 1 or 2, no traceback, no internal
error, death by no signal, and — for bad input — a message that names the input.
"""

from __future__ import annotations

import os
import pickle
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import pytest

from stackyard.catalog import load_catalog
from stackyard.cli.main import app

load_catalog()  # warm once in the parent: every forked case inherits the loaded catalog

T = TypeVar("T")

CASE_SECONDS = 60  # generous: CI machines are shared; a real hang runs into it anyway
MEMORY_BYTES = 4 * 1024**3  # a runaway stops at 4 GiB (address space) instead of swapping


@dataclass(frozen=True)
class Outcome:
    """How one run of the command line ended."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    seconds: float


def _limit_child(memory: int = MEMORY_BYTES) -> None:  # pragma: no cover - in the child
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_stackyard(*args: str | Path, cwd: Path, timeout: float = CASE_SECONDS) -> Outcome:
    """Run ``stackyard ARGS`` in ``cwd`` in a forked child; a hang fails the test at ``timeout``.

    The child is forked from the test process, where Stackyard is already imported, so a
    case costs what the command costs rather than an interpreter start; it is still a
    real process with its own memory limit, and a crash or a signal shows in its status.
    """
    out_path, err_path = cwd / ".case-stdout", cwd / ".case-stderr"
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        _run_in_child([str(a) for a in args], cwd, out_path, err_path)
    status = _wait(pid, timeout, args)
    code = os.waitstatus_to_exitcode(status)
    stdout = out_path.read_bytes().decode("utf-8", "replace")
    stderr = err_path.read_bytes().decode("utf-8", "replace")
    out_path.unlink()
    err_path.unlink()
    return Outcome(tuple(map(str, args)), code, stdout, stderr, time.monotonic() - started)


def _run_in_child(args: list[str], cwd: Path, out_path: Path, err_path: Path) -> NoReturn:
    code = 70
    try:
        os.chdir(cwd)
        os.environ["STACKYARD_LOG_DIR"] = str(cwd / ".crash-logs")
        os.environ["COLUMNS"] = "200"
        for fd, path in ((1, out_path), (2, err_path)):
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(handle, fd)
            os.close(handle)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        _limit_child()
        try:
            app(args=args, prog_name="stackyard")
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
    except BaseException:  # the runner itself failed: show it like an uncaught error
        import traceback

        traceback.print_exc()
        code = 70
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def _wait(pid: int, timeout: float, args: tuple[str | Path, ...]) -> int:
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"hung: stackyard {' '.join(map(str, args))} ran over {timeout:.0f} s")
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def run_bounded(function: Callable[..., T], *args: Any, timeout: float = CASE_SECONDS) -> T:
    """``function(*args)`` run in a forked child; its result, or a failure if it hangs.

    A hang guard, not a speed target (those live in benchmarks): the limit is generous
    so that only a true hang — or a memory runaway, stopped by the child's address-space
    limit — fails, however loaded the machine is. The result comes back pickled.
    """
    with tempfile.TemporaryDirectory() as folder:
        result = Path(folder, "result.pickle")
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            code = 70
            try:
                _limit_child()
                result.write_bytes(pickle.dumps(function(*args)))
                code = 0
            except BaseException:
                import traceback

                traceback.print_exc()
            finally:
                sys.stderr.flush()
            os._exit(code)
        status = _wait(pid, timeout, (getattr(function, "__name__", "function"),))
        assert os.waitstatus_to_exitcode(status) == 0, f"{function} failed in the child"
        value: T = pickle.loads(result.read_bytes())
        return value


def run_stackyard_process(
    *args: str | Path, cwd: Path, timeout: float = CASE_SECONDS, memory: int = MEMORY_BYTES
) -> Outcome:
    """Run ``python -m stackyard ARGS`` as a fresh interpreter, exactly as a user does."""
    command = [sys.executable, "-m", "stackyard", *map(str, args)]
    env = {**os.environ, "STACKYARD_LOG_DIR": str(cwd / ".crash-logs"), "COLUMNS": "200"}
    started = time.monotonic()
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            preexec_fn=lambda: _limit_child(memory),
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"hung: {' '.join(command[3:])} did not finish in {timeout:.0f} s")
    stdout = done.stdout.decode("utf-8", "replace")
    stderr = done.stderr.decode("utf-8", "replace")
    return Outcome(tuple(command[3:]), done.returncode, stdout, stderr, time.monotonic() - started)


def check_outcome(outcome: Outcome, *, names: str | None = None) -> None:
    """The promises every hostile case keeps.

    Args:
        outcome: the finished run.
        names: text the error message must contain when the run refuses its input
            (exit 2) — usually the input's file name.
    """
    what = " ".join(outcome.args)
    assert outcome.code >= 0, f"killed by signal {-outcome.code}: {what}\n{outcome.stderr[-2000:]}"
    assert outcome.code in (0, 1, 2), f"exit {outcome.code}: {what}\n{outcome.stderr[-2000:]}"
    assert "Traceback" not in outcome.stderr + outcome.stdout, f"{what}\n{outcome.stderr[-3000:]}"
    assert "internal error" not in outcome.stderr, f"{what}\n{outcome.stderr[-2000:]}"
    if outcome.code == 2 and names is not None:
        assert names in outcome.stderr, f"exit 2 without naming {names!r}: {outcome.stderr[-2000:]}"


def tree_snapshot(root: Path) -> dict[str, bytes | str]:
    """Every entry under ``root`` (not following links): file bytes, or a kind marker."""
    snapshot: dict[str, bytes | str] = {}
    for directory, folders, files in os.walk(root):
        for name in folders + files:
            path = Path(directory, name)
            relative = str(path.relative_to(root))
            if path.is_symlink():
                snapshot[relative] = f"link:{os.readlink(path)}"
            elif path.is_file():
                snapshot[relative] = path.read_bytes() if path.stat().st_size < 1 << 20 else "big"
            elif path.is_dir():
                snapshot[relative] = "dir"
            else:
                snapshot[relative] = "special"
    return snapshot
