"""How reports show a verdict's citations: where it is decided, and the first few spans.

The JSON document carries every span that proves a verdict; a report for people shows
the first ``SHOWN`` of each list and says how many more there are, so a long list never
hides the verdict and nothing is silently dropped. A verdict is *located* where a
reader should look first: a gap for a control that is not achieved (the line that
proves what is missing), its first evidence otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from stackyard.assess.model import ControlResult, Evidence
from stackyard.assess.report.locations import span

SHOWN = 12

T = TypeVar("T")


def first(items: Sequence[T], limit: int = SHOWN) -> tuple[Sequence[T], int]:
    """The first ``limit`` items and how many more there are."""
    return items[:limit], max(len(items) - limit, 0)


def and_more(count: int) -> str:
    """``and 3 more`` (empty for none)."""
    return f"and {count} more" if count else ""


def lead(control: ControlResult) -> Evidence | None:
    """The span a reader should open first: a gap unless the control is achieved."""
    order = (
        (control.evidence, control.gaps)
        if control.status == "achieved"
        else (control.gaps, control.evidence)
    )
    for spans in order:
        if spans:
            return spans[0]
    return None


def where(control: ControlResult, root: str) -> str:
    """``path:line +N more`` for the verdict's lead span; empty when nothing is cited."""
    span_ = lead(control)
    if span_ is None:
        return ""
    others = len(control.evidence) + len(control.gaps) - 1
    return span(span_, root) + (f" +{others} more" if others else "")


def counted(control: ControlResult) -> str:
    """``17 of 18`` for a control with units; empty otherwise."""
    if not control.units:
        return ""
    done = sum(u.counted for u in control.units)
    return f"{done} of {len(control.units)}"


def counted_line(control: ControlResult, quote: Callable[[str], str] = str) -> str:
    """``Counted: 17 of 18; not counted: a, b, and 4 more`` (empty for a control without units).

    ``quote`` escapes each name for the report's format.
    """
    if not control.units:
        return ""
    names, more = first([u.name for u in control.units if not u.counted])
    text = f"Counted: {counted(control)}"
    if names:
        text += "; not counted: " + ", ".join(quote(n) for n in names)
        text += f", {and_more(more)}" if more else ""
    return text
