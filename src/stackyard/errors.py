"""The exceptions Stackyard raises, rooted in one class so callers catch one thing.

The command line maps them to exit codes in one place (``stackyard.cli.errors``):
every ``StackyardError`` is the user's input at fault (exit 2), anything else is a bug.

Tree::

    StackyardError
    ├── InputError              bad input at a known place (file, line, column, field)
    │   ├── YamlError           unreadable, invalid or hostile YAML
    │   │   └── HostileYamlError  refused as an attack: a bomb, deep nesting, a foreign tag
    │   └── SpecError           a platform spec that does not match the model
    └── CatalogError            a malformed component catalog entry (a packaging bug)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Location:
    """A place in a source file; line and column are 1-based, 0 when unknown."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line and self.column:
            return f"{self.file}:{self.line}:{self.column}"
        if self.line:
            return f"{self.file}:{self.line}"
        return self.file


COMMAND_LINE = Location("command line")
"""Where a problem with a command's own arguments and options is located."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where, which field, what, and what to do."""

    location: Location
    field: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.location}: {self.field}: " if self.field else f"{self.location}: "
        text = where + self.message
        return f"{text} ({self.hint})" if self.hint else text


class StackyardError(Exception):
    """Root of every error Stackyard raises on purpose."""


class InputError(StackyardError):
    """Input that Stackyard cannot accept, with every problem found in it."""

    def __init__(self, problems: list[Problem]) -> None:
        """Keep all problems so the user can fix them in one pass."""
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class StorageFullError(InputError):
    """The file system (or the quota) is full: what was to be written there was not."""


class YamlError(InputError):
    """A YAML file that is unreadable, invalid or hostile."""


class HostileYamlError(YamlError):
    """YAML refused as an attack rather than a mistake, so nothing in it is trusted.

    An alias or merge bomb, nesting deeper than the limit, a tag outside plain YAML
    types, or text over the size cap.
    """


class SpecError(InputError):
    """A platform spec that does not match the spec model."""


class CatalogError(StackyardError):
    """A catalog entry that breaks the catalog schema; a packaging bug, not user input."""
