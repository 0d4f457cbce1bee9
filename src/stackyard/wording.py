"""How every output counts things in words: "1 change", "2 errors".

The bottom layer, so the command line, the use cases and every report (assess included,
which may import nothing above the catalog) say counts the same way.
"""

from __future__ import annotations

__all__ = ["counted"]


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun``, in the plural unless the count is exactly one.

    Args:
        count: how many.
        noun: the singular ("error", "change", "YAML file").
        plural: the plural when it is not ``noun`` + "s".

    Examples: ``counted(1, "change")`` is "1 change", ``counted(0, "error")`` "0 errors".
    """
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
