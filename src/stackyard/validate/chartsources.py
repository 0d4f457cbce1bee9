"""Keys a chart accepts beyond its ``values.yaml`` defaults: comments and templates.

A chart's ``values.yaml`` shows only the keys that have a default. Many more are real:
Grafana documents ``adminPassword`` only as ``# adminPassword: strongpassword``, and
templates read keys that no file documents at all (``.Values.controller.admissionWebhooks
.patch.image.digest``). A key check that knew only the defaults would reject keys the chart
reads. ``scripts/build_reference_data.py`` uses this module to add both kinds to the key
trees it derives; nothing here runs at validation time.

Policy, chosen so that a documented key is never reported and a typo still is:

- a commented line ``# key: value`` is a key at the column of the ``#`` plus the indent
  inside the comment (the convention charts follow), below the nearest real or commented
  key with a smaller column; keys inside commented list items are examples of list
  content and are skipped; prose (``# Note: ...``, ``# ref: https://...``) is skipped;
- a commented key with a scalar value is a scalar; with an empty, mapping or multi-line
  value it accepts any key below (the lines under it are examples, not a full list);
- a key path a template reads (``.Values.a.b``, ``$.Values.a.b``, ``index .Values "a"
  "b"``) is accepted with any shape; only the chart's own ``templates/`` count, not its
  subcharts';
- both only add keys: a key the defaults or the schema already describe keeps their shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import yaml

ANY = "*"

Path = tuple[str, ...]

_KEY = re.compile(
    r"""^(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<plain>[^\s"'#\-?:,\[\]{}&*!|>%@`][^#]*?))"""
    r"""\s*:(?:\s+(?P<value>.*?))?\s*$"""
)
_BLOCK_SCALAR = re.compile(r"^[|>][-+0-9]*\s*(#.*)?$")
# Words that open prose in comments, not keys: "# Note: ...", "# ref: https://...".
_PROSE = frozenset(
    {"note", "notes", "ref", "refs", "see", "example", "examples", "e.g", "eg", "i.e", "ie"}
    | {"warning", "important", "info", "tip", "todo", "fixme", "docs", "link", "links"}
    | {"deprecated", "caution", "nb", "hint", "source", "more", "also", "usage", "details"}
)
_VALUES_PATH = re.compile(r"\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
# `($.Values.global).profile` reads `.Values.global.profile` (Istio guards a missing map so).
_PAREN_VALUES_PATH = re.compile(
    r"\(\s*\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)"
)
_FIELDS = r"((?:\.[A-Za-z_][A-Za-z0-9_]*)+)"
_VERBATIM = (
    re.compile(r"to(?:Yaml|Json)\s+\(?\$?\.Values" + _FIELDS + r"\s*\)?\s*(?:\||\}\})"),
    re.compile(r"\$?\.Values" + _FIELDS + r"\s*\|\s*to(?:Yaml|Json)\b"),
    re.compile(
        r"with\s+\$?\.Values" + _FIELDS + r"\s*-?\}\}"
        r"(?:(?!\{\{-?\s*end)[^\n]*\n?){0,3}?[^\n]*?"
        r"(?:to(?:Yaml|Json)\s+\.(?![\w.$])|(?<![\w)\]$])\.\s*\|\s*to(?:Yaml|Json))"
    ),
)
_ACTION = re.compile(r"\{\{-?(.*?)-?\}\}", re.DOTALL)
# `.field` relative to the current scope: not `$.x`, `.Values.x`, `$var.x`, `(...).x`.
_FIELD = re.compile(
    r"(?<![\w)\]$.])((?:\.(?!Values\b|Release\b|Chart\b|Capabilities\b|Template\b|Files\b)"
    r"[A-Za-z_][A-Za-z0-9_]*)+)"
)
_INDEX_VALUES = re.compile(
    r"index\s+\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)*)((?:\s+\"[^\"]+\")+)"
)


def commented_keys(text: str) -> Iterator[tuple[Path, Any]]:
    """Every key ``values.yaml`` documents in a comment, with its shape.

    Charts write ``#  key:`` as often as ``# key:``, so an indented commented key can be
    a child of the key above it or a sibling whose ``#`` sits at the key column; both
    readings are taken, since a missed key would be a false report and an extra one only
    lets a rare typo through.

    Args:
        text: the chart's ``values.yaml``.

    Yields:
        The key's path from the document root and its key-tree shape: ``None`` for a
        scalar, ``[]`` for a list, ``"*"`` for anything else.
    """
    seen: set[tuple[Path, str]] = set()
    for relative in (False, True):
        for path, shape in _commented_keys(text, relative_to_block=relative):
            marker = (path, repr(shape))
            if marker not in seen:
                seen.add(marker)
                yield path, shape


def _commented_keys(text: str, *, relative_to_block: bool) -> Iterator[tuple[Path, Any]]:
    """One reading of the comments; see :func:`commented_keys`."""
    real: list[tuple[int, str | None]] = []  # open real keys: (column, key or None for a list item)
    commented: list[tuple[int, str | None]] = []  # open commented keys below them
    block_column: int | None = None  # inside a real block scalar started at this column
    # Charts write "#  key:" as often as "# key:"; within one comment block, columns are
    # taken relative to its first key, which sits where the ``#`` is.
    block_base: int | None = None
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if not stripped.strip():
            block_base = None
            continue
        column = len(line) - len(stripped)
        if block_column is not None:
            if column > block_column:
                continue  # block scalar text, even when it looks like a comment
            block_column = None
        if not stripped.startswith("#"):
            commented.clear()
            block_base = None
            value = _open(real, column, stripped)
            if value is not None and _BLOCK_SCALAR.match(value):
                block_column = column
            continue
        body = stripped[1:]
        body = body[1:] if body.startswith(" ") else body
        inner = len(body) - len(body.lstrip(" "))
        content = body.lstrip(" ")
        if block_base is None and (_KEY.match(content) or content.startswith("-")):
            block_base = inner if relative_to_block else 0
        found = _commented(real, commented, column + inner - (block_base or 0), content)
        if found is not None:
            yield found


def _open(stack: list[tuple[int, str | None]], column: int, body: str) -> str | None:
    """Close the keys a real line ends, open its own; return its inline value."""
    while stack and stack[-1][0] >= column:
        stack.pop()
    if body == "-" or body.startswith("- "):
        stack.append((column, None))
        return None
    match = _KEY.match(body)
    if match is None:
        return None
    stack.append((column, _key_of(match)))
    return match["value"]


def _key_of(match: re.Match[str]) -> str:
    """The key a ``_KEY`` match names, without its quotes."""
    for group in ("dq", "sq", "plain"):
        if match[group] is not None:
            return str(match[group])
    return ""


def _commented(
    real: list[tuple[int, str | None]],
    commented: list[tuple[int, str | None]],
    column: int,
    body: str,
) -> tuple[Path, Any] | None:
    """The key one commented line documents, if it documents one."""
    while commented and commented[-1][0] >= column:
        commented.pop()
    # A commented key hides the real keys at or right of its column.
    limit = min([column] + [entry[0] + 1 for entry in commented[:1]])
    parents = [entry for entry in real if entry[0] < limit] + commented
    if body == "-" or body.startswith("- "):
        commented.append((column, None))
        return None
    match = _KEY.match(body)
    if match is None:
        return None
    key = _key_of(match)
    value = (match["value"] or "").strip()
    if match["plain"] is not None and _is_prose(key, value):
        return None
    commented.append((column, key))
    if any(parent is None for _, parent in parents):
        return None  # inside a list item: an example of list content
    path = (*(str(parent) for _, parent in parents), key)
    return path, _shape(value)


def _is_prose(key: str, value: str) -> bool:
    if any(c.isspace() for c in key) or key.lower().rstrip(".") in _PROSE:
        return True
    # "# Default: the first of ...": a capitalised word opening a sentence.
    return key[:1].isupper() and len(value.split()) > 2


def _shape(value: str) -> Any:
    if not value or _BLOCK_SCALAR.match(value):
        return ANY
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        return ANY
    if isinstance(parsed, list):
        return []
    if isinstance(parsed, dict) or parsed is None:
        return ANY
    return None


def template_keys(templates: Iterable[str]) -> tuple[set[Path], set[Path]]:
    """Every values path the template texts read, and those they copy verbatim.

    A key the chart renders whole (``toYaml .Values.a``, ``.Values.a | toYaml``, or
    ``with .Values.a`` followed by ``toYaml .``) accepts any key below it: whatever is
    written there reaches the rendered file (Loki's ``limits_config``, the collector's
    ``config``).
    """
    read: set[Path] = set()
    verbatim: set[Path] = set()
    for text in templates:
        for match in _VALUES_PATH.finditer(text):
            read.add(_dotted(match[1]))
        for match in _PAREN_VALUES_PATH.finditer(text):
            read.add(_dotted(match[1] + match[2]))
        for match in _INDEX_VALUES.finditer(text):
            read.add(_dotted(match[1]) + tuple(re.findall(r"\"([^\"]+)\"", match[2])))
        for pattern in _VERBATIM:
            verbatim.update(_dotted(m[1]) for m in pattern.finditer(text))
        read.update(_with_scoped(text))
    return read, verbatim


def _with_scoped(text: str) -> Iterator[Path]:
    """Paths read as ``.field`` inside ``{{ with .Values.a }}`` (ingress-nginx's image)."""
    scopes: list[Path | None] = []  # per open block: the values path `.` stands for, if known
    for action in _ACTION.finditer(text):
        body = action[1].strip()
        word = body.split(None, 1)[0] if body else ""
        if word == "end":
            if scopes:
                scopes.pop()
            continue
        if word == "with":
            # `with .Values.a` or `with (merge .Values.a .Values.global.a)`
            match = re.match(
                r"with\s+\(?\s*(?:merge\s+)?\$?\.Values" + _FIELDS + r"[\s)]", body + " "
            )
            scopes.append(_dotted(match[1]) if match else None)
            continue
        if word in ("range", "define", "block"):
            scopes.append(None)
            continue
        if word == "if":
            scopes.append(scopes[-1] if scopes else None)  # `if` keeps the scope of `.`
        base = scopes[-1] if scopes else None
        if base is None:
            continue
        for field in _FIELD.finditer(body):
            yield base + _dotted(field[1])


def _dotted(text: str) -> Path:
    return tuple(part for part in text.split(".") if part)


def open_key(tree: Any, path: Path) -> Any:
    """``tree`` with any key accepted at ``path`` (the chart copies it verbatim)."""
    if not path or tree == ANY or isinstance(tree, list):
        return ANY if not path else tree
    node = dict(tree) if isinstance(tree, dict) else {}
    node[path[0]] = open_key(node.get(path[0], {}), path[1:])
    return node


def add_key(tree: Any, path: Path, shape: Any) -> Any:
    """``tree`` with ``path`` known, adding only what is missing; returns the new tree.

    A key below a scalar default makes that default a mapping (the chart reads a field of
    it); a key below ``"*"`` or a list is already accepted.
    """
    if not path:
        return tree
    if tree == ANY or isinstance(tree, list):
        return tree
    node = dict(tree) if isinstance(tree, dict) else {}
    head, rest = path[0], path[1:]
    if head in node:
        node[head] = add_key(node[head], rest, shape)
    else:
        node[head] = add_key({}, rest, shape) if rest else shape
    return node
