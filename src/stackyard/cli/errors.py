"""Exit codes and error reporting for every command, in one place.

0: success. 1: the command ran and found problems (error findings). 2: bad input or
usage — the user's to fix, reported as ``file:line:column: field: message (hint)``
without a traceback. 3: a bug in Stackyard — one readable line on stderr and the
traceback in a log file to attach to a report (as pre-commit does), never a raw
traceback on the terminal. 130: interrupted (Ctrl-C). 141: the reader of stdout went
away (``stackyard … | head``), reported as a shell reports a program ended by SIGPIPE,
without a message.
"""

from __future__ import annotations

import datetime
import functools
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec

import typer

from stackyard import __version__
from stackyard.errors import CatalogError, InputError, StackyardError

OK = 0
FINDINGS = 1
BAD_INPUT = 2
BUG = 3
INTERRUPTED = 130
BROKEN_PIPE = 141

P = ParamSpec("P")


def exit_codes(command: Callable[P, int]) -> Callable[P, None]:
    """Run a command that returns an exit code; turn errors into exit codes and messages."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            code = command(*args, **kwargs)
        except InputError as e:
            for problem in e.problems:
                print(f"error: {problem}", file=sys.stderr)
            raise typer.Exit(BAD_INPUT) from None
        except CatalogError as e:
            print(f"error: the component catalog is broken (please report): {e}", file=sys.stderr)
            raise typer.Exit(BAD_INPUT) from None
        except StackyardError as e:
            print(f"error: {e}", file=sys.stderr)
            raise typer.Exit(BAD_INPUT) from None
        except BrokenPipeError:
            # Nobody reads stdout any more: stop quietly, and point stdout at /dev/null so
            # the interpreter's own flush at exit does not fail a second time.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
            raise typer.Exit(BROKEN_PIPE) from None
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            raise typer.Exit(INTERRUPTED) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except BaseException as e:  # a bug: say so in one line, keep the details in a log
            log = write_crash_log(e)
            where = f"; details in {log}" if log else ""
            print(
                f"error: internal error, please report it: {type(e).__name__}: {_first_line(e)}"
                f"{where}",
                file=sys.stderr,
            )
            raise typer.Exit(BUG) from None
        raise typer.Exit(code)

    return wrapper


def crash_log_dir() -> Path:
    """Where crash logs go: ``$STACKYARD_LOG_DIR``, else the user's cache directory."""
    configured = os.environ.get("STACKYARD_LOG_DIR")
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "stackyard"


def write_crash_log(error: BaseException) -> Path | None:
    """Write the traceback of ``error`` with the command line and versions; None if impossible.

    The log goes to :func:`crash_log_dir`, or the temporary directory when that cannot
    be written; a crash while logging a crash must not hide the first one.
    """
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    text = (
        f"stackyard {__version__} on Python {sys.version.split()[0]}\n"
        f"command: {' '.join(sys.argv)}\n\n" + "".join(traceback.format_exception(error))
    )
    for directory in (crash_log_dir(), Path(tempfile.gettempdir())):
        try:
            directory.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=f"crash-{stamp}-", suffix=".log", dir=directory)
            with os.fdopen(handle, "w", encoding="utf-8", errors="replace") as stream:
                stream.write(text)
            return Path(name)
        except OSError:
            continue
    return None


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:300] if lines else "(no message)"
