"""How every output counts things in words: "1 change", "2 errors", "a, b and 3 more".

The bottom layer, so the command line, the use cases and every report (assess included,
which may import nothing above the catalog) say counts the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["counted", "first_few"]


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun``, in the plural unless the count is exactly one.

    Args:
        count: how many.
        noun: the singular ("error", "change", "YAML file").
        plural: the plural when it is not ``noun`` + "s".

    Examples: ``counted(1, "change")`` is "1 change", ``counted(0, "error")`` "0 errors".
    """
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def first_few(names: Sequence[str], shown: int) -> str:
    """The first ``shown`` names, then how many more: ``a, b, c and 4 more``.

    A summary for a line of text, never a listing: the whole list belongs in the JSON.
    """
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")
