"""Split Terraform text into its top-level blocks without parsing it.

python-hcl2 parses a file whole, so one line it cannot read (a template placeholder
such as ``cluster_name = <CLUSTER_NAME>`` or ``"${{ values.name }}"``) loses every
block of the file. This scanner cuts the text at the boundaries of its top-level
items instead, so each can be parsed on its own and one bad line loses one block.

It matches brackets the way HCL nests them and ignores what cannot nest: quoted
strings (one line each, with ``${...}``/``%{...}`` templates that nest again),
heredocs (``<<EOT`` / ``<<-EOT`` up to the line holding only the marker) and
comments (``#``, ``//``, ``/* */``). See the HCL native syntax specification:
https://github.com/hashicorp/hcl/blob/main/hclsyntax/spec.md

Policy for hostile text: one linear pass; a line that starts a top-level block at
column 0 (``resource "``, ``module "``, ``locals {``...) while brackets are still
open closes the item before it, so an unbalanced brace costs one block, not the rest
of the file; a string never runs past its line; at most ``MAX_CHUNKS`` items are
returned. Each item reports how deep its brackets nest, so callers can refuse to
hand a nesting bomb to a recursive parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CHUNKS = 5000

_HEREDOC = re.compile(r"<<-?([A-Za-z_][\w-]*)[ \t]*\r?$")
_TOP_LEVEL = re.compile(
    r"(resource|data|module|provider|terraform|locals|variable|output|moved|import|check"
    r"|removed)\b\s*(\"|\{)"
)
_HEAD = re.compile(r"[^{\n]*")
_OPENERS = "{[("
_CLOSERS = "}])"


@dataclass(frozen=True)
class Chunk:
    """One top-level item of a Terraform file: its text, first line and nesting."""

    text: str
    line: int  # the file line the chunk's first line is on
    end_line: int
    depth: int  # deepest bracket nesting inside it
    closed: bool  # every bracket it opened was closed

    @property
    def head(self) -> str:
        """The block's header as written (``resource "aws_eks_addon" "vpc_cni"``)."""
        match = _HEAD.match(self.text.lstrip())
        return " ".join((match.group(0) if match else "").split())[:100]


def top_level_chunks(text: str) -> list[Chunk]:
    """The top-level items of ``text`` (blocks, and any stray attribute line), in order."""
    scanner = _Scanner(text)
    scanner.run()
    return scanner.chunks


class _Scanner:
    """One pass over the text; brackets, strings and templates on a stack."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self.chunks: list[Chunk] = []
        # "{", "[", "(" for brackets, '"' for a string, "$" for a template inside a string.
        self.stack: list[str] = []
        self.start: int | None = None  # index of the chunk's first line
        self.depth = 0

    def run(self) -> None:
        number = 0
        while number < len(self.lines) and len(self.chunks) < MAX_CHUNKS:
            line = self.lines[number]
            if self.start is not None and self.stack and _TOP_LEVEL.match(line):
                self._close(number - 1, closed=False)  # unbalanced: a new block starts here
            if self.start is None:
                if not _significant(line):
                    number += 1
                    continue
                self.start = number
                self.depth = 0
            skip_to = self._scan_line(line, number)
            number = skip_to if skip_to is not None else number + 1
            if not self.stack and self.start is not None:
                self._close(number - 1, closed=True)
        if self.start is not None and len(self.chunks) < MAX_CHUNKS:
            self._close(len(self.lines) - 1, closed=not self.stack)

    def _scan_line(self, line: str, number: int) -> int | None:
        """Walk one line; return the line to continue at when a heredoc was skipped."""
        stack = self.stack
        i = 0
        end = len(line)
        while i < end:
            char = line[i]
            top = stack[-1] if stack else ""
            if top == '"':
                if char == "\\":
                    i += 2
                    continue
                if char == '"':
                    stack.pop()
                elif char in "$%" and line.startswith("{", i + 1):
                    if i > 0 and line[i - 1] == char:  # $${ and %%{ are escapes
                        i += 2
                        continue
                    stack.append("$")
                    self.depth = max(self.depth, len(stack))
                    i += 2
                    continue
                elif char == "\n":
                    stack.pop()  # strings never span lines: recover at the line's end
                i += 1
                continue
            if char == "#" or line.startswith("//", i):
                return None
            if line.startswith("/*", i):
                closing = line.find("*/", i + 2)
                if closing < 0:
                    return self._skip_comment(number)
                i = closing + 2
                continue
            if char == '"':
                stack.append('"')
            elif line.startswith("<<", i):
                heredoc = _HEREDOC.match(line, i)
                if heredoc is not None:
                    return self._skip_heredoc(number, heredoc.group(1))
            elif char in _OPENERS:
                stack.append(char)
                self.depth = max(self.depth, len(stack))
            elif char in _CLOSERS and stack:
                # A closer ends the innermost bracket or template, whatever it opened with:
                # the recovery that keeps one typo from swallowing the file.
                stack.pop()
            i += 1
        if stack and stack[-1] == '"':
            stack.pop()
        return None

    def _skip_heredoc(self, number: int, marker: str) -> int:
        for later in range(number + 1, len(self.lines)):
            if self.lines[later].strip() == marker:
                return later + 1
        return len(self.lines)

    def _skip_comment(self, number: int) -> int:
        for later in range(number + 1, len(self.lines)):
            if "*/" in self.lines[later]:
                return later + 1
        return len(self.lines)

    def _close(self, last: int, closed: bool) -> None:
        assert self.start is not None
        first = self.start
        self.chunks.append(
            Chunk(
                "".join(self.lines[first : last + 1]),
                first + 1,
                last + 1,
                self.depth,
                closed,
            )
        )
        self.start = None
        self.stack.clear()


def _significant(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(("#", "//"))
