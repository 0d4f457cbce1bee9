"""Old spellings that keep working for one release, with a warning naming the new one.

``-o/--output`` names a format on every command (kubectl, helm and gh do the same);
``render`` and ``init`` used it for a directory and a file. Until the next release a
``-o`` value that is not one of the command's formats is still taken as that path, and
stderr says how to spell it now. The warning is not silenced by ``--quiet``: the
command line that prints it stops working in the next release.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from stackyard.cli.output import warn
from stackyard.errors import COMMAND_LINE, InputError, Problem

F = TypeVar("F", bound=StrEnum)


@dataclass(frozen=True)
class OldOutputPath:
    """How a command used ``-o`` for a path: the placeholder and the new spelling."""

    placeholder: str  # DIR, FILE
    new_spelling: str  # "stackyard render SPEC DIR"

    def warning(self) -> str:
        """The stderr line printed when the old spelling is used."""
        return (
            f"warning: '-o {self.placeholder}' is deprecated and will be removed in the next "
            f"release; use '{self.new_spelling}'"
        )


def format_or_path(
    value: str | None,
    formats: type[F],
    default: F,
    path: Path | None,
    old: OldOutputPath,
    *,
    required: bool = False,
) -> tuple[F, Path | None]:
    """The output format, and the path from the argument or (deprecated) from ``-o``.

    Args:
        value: what ``-o/--output`` was given, None when absent.
        formats: the command's formats; a value among them is a format.
        default: the format when ``-o`` names none.
        path: the positional DIR or FILE, None when absent.
        old: how the command spelled the path with ``-o``.
        required: the command needs the path.

    Raises:
        InputError: ``-o`` names a path and the positional argument gives another, or a
            required path is missing.
    """
    if value is None or value in formats.__members__.values():
        chosen = default if value is None else formats(value)
        if path is None and required:
            hint = ""
            if value is not None:  # `render SPEC -o json` may have meant a folder named json
                named = old.new_spelling.replace(old.placeholder, value)
                hint = f"for a path named {value!r}: {named}"
            message = f"missing {old.placeholder}: {old.new_spelling}"
            raise InputError([Problem(COMMAND_LINE, "", message, hint)])
        return chosen, path
    if path is not None:
        choices = ", ".join(formats.__members__.values())
        raise InputError(
            [
                Problem(
                    COMMAND_LINE,
                    "--output",
                    f"{value!r} is not a format ({choices}) and {old.placeholder} is already "
                    f"given as {path}",
                )
            ]
        )
    warn(old.warning())
    return default, Path(value)
