"""The table engine: tables whose cells wrap at separators and spaces, never inside a name.

At 80 columns a path such as ``clusters/app-1/values.yaml``, a component name or a setting
key breaks after a ``/``, ``.``, ``-``, ``_`` or ``:``, or moves to its own line, and stays
a name a reader can copy.
"""

from __future__ import annotations

import re
from typing import Any

from rich.cells import cell_len, chop_cells
from rich.console import Console, ConsoleOptions, JustifyMethod, OverflowMethod, RenderableType
from rich.containers import Lines
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

# A piece ends after a run of separators or of spaces: the only places a line may break.
_SEPARATORS = r"/.\-_:=,@"
_PIECE = re.compile(rf"[^\s{_SEPARATORS}]*(?:[{_SEPARATORS}]+\s*|\s+)|[^\s{_SEPARATORS}]+")


def _pieces(text: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group()) for m in _PIECE.finditer(text)]


def _breaks(text: str, width: int) -> list[int]:
    """Where to break ``text`` into lines of ``width`` cells: after a separator or a space.

    rich's own wrapping breaks at spaces and folds a longer word anywhere, which cuts
    ``clusters/app-1/values.yaml`` mid-name; here the word is a piece between
    separators, and only a single piece wider than the whole column is folded.
    """
    offsets: list[int] = []
    used = 0
    for start, piece in _pieces(text):
        length = cell_len(piece.rstrip())
        if used + length <= width:
            used += cell_len(piece)
            continue
        if length > width:  # wider than the column on its own: fold it
            if start:
                offsets.append(start)
            chunks = chop_cells(piece, width)
            for chunk in chunks[:-1]:
                start += len(chunk)
                offsets.append(start)
            used = cell_len(chunks[-1])
        else:
            if used and start:
                offsets.append(start)
            used = cell_len(piece)
    return offsets


class WrappedText(Text):
    """Text that wraps only after a separator (``/ . - _ : = , @``) or a space.

    Its narrowest width is its longest piece, so a table shrinks the column to that at
    most and a path, component name or key is never cut inside a name.
    """

    @classmethod
    def of(cls, text: Text) -> WrappedText:
        """The same characters and styles, wrapping at separators."""
        return cls(text.plain, style=text.style, spans=text.spans, end=text.end)

    def wrap(
        self,
        console: Console,
        width: int,
        *,
        justify: JustifyMethod | None = None,
        overflow: OverflowMethod | None = None,
        tab_size: int = 8,
        no_wrap: bool | None = None,
    ) -> Lines:
        """Lines of at most ``width`` cells, broken at separators and spaces."""
        lines = Lines()
        for line in self.split(allow_blank=True):
            if "\t" in line:
                line.expand_tabs(tab_size)
            pieces = Lines([line]) if no_wrap else line.divide(_breaks(line.plain, width))
            for piece in pieces:
                piece.rstrip_end(width)
            pieces.justify(console, width, justify=justify or "default", overflow="fold")
            for piece in pieces:
                piece.truncate(width, overflow="fold")
            lines.extend(pieces)
        return lines

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        """At least the widest piece between separators; at most the longest line."""
        lines = self.plain.splitlines()
        widest = max((cell_len(line) for line in lines), default=0)
        pieces = [cell_len(piece.rstrip()) for _, piece in _pieces(self.plain)]
        return Measurement(max(pieces, default=widest), widest)


class _WrappingTable(Table):
    def _calculate_column_widths(self, console: Console, options: ConsoleOptions) -> list[int]:
        # rich narrows the widest columns first, below their narrowest content if need be
        # (and then folds it mid-word); narrow them only down to their widest piece
        # instead, and leave rich's way for a table that cannot fit even so.
        ranges = [self._measure_column(console, options, column) for column in self.columns]
        widths = [measured.maximum for measured in ranges]
        for _ in range(sum(widths) - options.max_width):
            slack = [i for i, measured in enumerate(ranges) if widths[i] > measured.minimum]
            if not slack:
                return super()._calculate_column_widths(console, options)
            widths[max(slack, key=lambda i: widths[i])] -= 1
        return widths

    def add_row(
        self,
        *renderables: RenderableType | None,
        style: Any = None,
        end_section: bool = False,
    ) -> None:
        cells = [
            WrappedText.of(Text.from_markup(cell)) if isinstance(cell, str) else cell
            for cell in renderables
        ]
        super().add_row(*cells, style=style, end_section=end_section)


def table(title: str, *columns: str, caption: str | None = None) -> Table:
    """A table whose cells (rich markup) wrap at separators and spaces, never inside a name.

    Every table of the text output is made here: at 80 columns a path such as
    ``clusters/app-1/values.yaml``, a component name or a setting key breaks after a
    ``/``, ``.``, ``-``, ``_`` or ``:``, or moves to its own line, and stays a name a
    reader can copy. More columns can be added with ``add_column`` (e.g. right-justified).
    """
    result = _WrappingTable(title=title, caption=caption, expand=False)
    for column in columns:
        result.add_column(column)
    return result


# Leading tokens that are markers rather than words: a time, a number, a symbol ("0s ❌",
# "2.", "✅"). A wrapped line continues under the first word after them.
_MARKERS = re.compile(r"\s*(?:[^\sA-Za-z]\S*\s+)*")
_HANG = 4


def _line_spans(line: str, width: int) -> tuple[list[tuple[bool, int, int]], int]:
    """Where :func:`wrap_line` cuts ``line``: (hangs, start, end) of each line, and the hang."""
    markers = _MARKERS.match(line)
    lead = cell_len(line) - cell_len(line.lstrip())
    hang = cell_len(markers.group()) if markers and markers.group().strip() else lead + _HANG
    hang = min(hang, width // 2)
    spans: list[tuple[bool, int, int]] = []
    start, hangs, room = 0, False, width
    while start < len(line):
        offsets = _breaks(line[start:], room)
        end = start + (offsets[0] if offsets else len(line) - start)
        if line[start:end].strip():  # a first piece too wide even for the first line moves down
            spans.append((hangs, start, start + len(line[start:end].rstrip())))
        start = end + len(line[end:]) - len(line[end:].lstrip())
        hangs, room = True, width - hang
    return spans, hang


def wrap_line(line: str, width: int) -> list[str]:
    """``line`` in lines of at most ``width`` cells, broken with the rule of the tables.

    A line breaks only after a separator or a space, so a path, service or key is never cut
    inside a name; only a piece wider than the room left is folded. Continuation lines
    hang under the first word after the line's markers (``  ✅ L1 mgmt: …`` continues
    under ``L1``), or four cells in when the line opens with a word.
    """
    if cell_len(line) <= width:
        return [line]
    spans, hang = _line_spans(line, width)
    return [" " * hang * hangs + line[start:end] for hangs, start, end in spans]


def wrap_text(text: str, width: int) -> str:
    """Every line of ``text`` wrapped by :func:`wrap_line` at ``width`` cells."""
    return "\n".join("\n".join(wrap_line(line, width)) for line in text.split("\n"))


def wrap_markup(markup: str, width: int) -> Text:
    """A line of rich markup wrapped as :func:`wrap_line` wraps its plain text, styles kept.

    For the plain lines of a text report printed on a console (``plan --why``, ``diff``).
    """
    line = Text.from_markup(markup)
    if cell_len(line.plain) <= width:
        return line
    spans, hang = _line_spans(line.plain, width)
    pieces = [Text(" " * hang * hangs) + line[start:end] for hangs, start, end in spans]
    return Text("\n").join(pieces)
