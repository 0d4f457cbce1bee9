"""Exit codes and error reporting for every command, in one place.

0: success. 1: the command ran and found problems (error findings). 2: bad input or
usage — the user's to fix, reported as ``file:line:column: field: message (hint)``
without a traceback. Anything else escaping a command is a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec

import typer

from stackyard.errors import CatalogError, InputError, StackyardError

OK = 0
FINDINGS = 1
BAD_INPUT = 2

P = ParamSpec("P")


def exit_codes(command: Callable[P, int]) -> Callable[P, None]:
    """Run a command that returns an exit code; turn Stackyard errors into exit 2."""

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
        raise typer.Exit(code)

    return wrapper
