"""What every use-case result says besides its data: whether it failed, and why.

Every result of :mod:`stackyard.app` is a :class:`Result`: ``failed`` is the verdict a
shell turns into its exit status (the command line exits 1), and ``reasons`` says why,
one sentence each, empty when the result did not fail. A result that only describes
(a model, a listing, what a render wrote) never fails: it inherits :class:`Describes`.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Result(Protocol):
    """A use case's frozen result: its JSON document, and its verdict with the reasons."""

    @property
    def failed(self) -> bool:
        """Whether the result is a failure a shell reports (the command line exits 1)."""
        ...

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the result failed, one sentence each; empty when it did not."""
        ...

    def as_dict(self) -> dict[str, Any]:
        """The versioned JSON document; its first key is ``"schema"``."""
        ...


class Describes:
    """A result that describes and judges nothing: it never fails, for no reason."""

    @property
    def failed(self) -> bool:
        """Never: a description is not a verdict."""
        return False

    @property
    def reasons(self) -> tuple[str, ...]:
        """Never any: the result cannot fail."""
        return ()
