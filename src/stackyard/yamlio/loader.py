"""Safe YAML loading that remembers where every value came from.

Policy: Stackyard reads YAML written by people and by strangers (specs, any repository
it assesses), so the loader refuses what a careless loader would run into:

- only the YAML 1.1 core tags; ``!!python/...`` and other custom tags are errors;
- duplicate keys are errors (most parsers keep the last one silently);
- aliases are allowed, but the expanded document is capped in nodes and depth, which
  stops "billion laughs" bombs and self-referencing aliases; every mapping merged in
  with ``<<`` counts as a node too, so a merge bomb of empty mappings stops as well;
- nesting is limited before libyaml composes the document: libyaml's C composer
  recurses once per level and a few thousand levels of ``[[[[`` or ``- - - -`` exhaust
  the C stack (the interpreter dies with a segmentation fault, no exception). A cheap
  upper bound of the possible depth (brackets counted, deep indentation searched for)
  decides, at C speed, whether a document may nest deeply; only then is the event
  stream (iterative) walked once to refuse nesting over ``MAX_DEPTH`` at its line;
- the node cap holds before composing too: a flat ``[{},{},…]`` of a million items
  costs libyaml seconds and hundreds of megabytes to compose. A cheap upper bound of
  the nodes a text can hold (characters that start or separate nodes, counted at C
  speed) decides whether the event stream must be walked, once, to refuse a document
  of over ``MAX_NODES`` written nodes at its line (aliases expand later, in the
  builder, which counts them);
- files are read through ``stackyard.fsio`` (regular files only, the byte cap enforced
  while reading);
- a scalar that cannot become a value (``2024-02-30``, an integer of 5,000 digits) is a
  located error, and a number over ``MAX_NUMBER_CHARS`` characters is refused before it
  is converted (a long sexagesimal number takes quadratic time).

What is refused as an attack (bombs, nesting, foreign tags, size) raises
``HostileYamlError``; a mistake (a syntax error, a bad date, a duplicate key) raises
``YamlError``, so callers can say which it was.

Valid but unusual YAML is read as Kubernetes tools read it: the YAML 1.1 value
indicator ``=`` and a ``<<`` that is not a key are plain strings, and an anchor
defined twice is legal (a later alias means the later definition). libyaml refuses
the redefinition, so such a stream is composed again by PyYAML's composer over the
same C event stream, with redefinition allowed.

Callers that read strangers' repositories (``stackyard assess``) may relax one rule:
``duplicates="keep-last"`` keeps the later value of a duplicate key, as most parsers
do, and records the duplicate as a warning on the document instead of failing. Tags,
bombs and depth stay fatal in every mode. ``spans=True`` also records the last line
of every value, so evidence can cite a whole block (``file:131-143``).

libyaml composes the node tree (fast, C); the small constructor below turns nodes into
plain Python values and records where every key and value is written, in a tree of
positions that mirrors the data (``Entry``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from sys import intern
from typing import Any, ClassVar, Literal

import yaml

from stackyard.errors import HostileYamlError, InputError, Location, Problem, YamlError
from stackyard.fsio import read_input_bytes

try:  # libyaml is in every PyYAML wheel we pin; the pure parser is the same grammar.
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

_RESOLVED_CACHE_LIMIT = 200_000


class _Loader(_BaseLoader):
    """libyaml's loader with the implicit-tag resolver memoised.

    libyaml composes in C but asks PyYAML's Python resolver for the tag of every plain
    scalar (a regex match each); repositories repeat the same keys and values endlessly,
    so the answer is cached per (value, implicit) — the resolver depends on nothing else
    for scalars. The cache is bounded and shared, being a pure function of its key.
    """

    _resolved: ClassVar[dict[tuple[str, Any], str]] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode:
            key = (value, implicit)  # implicit is libyaml's (plain, quoted) pair
            tag = self._resolved.get(key)
            if tag is None:
                tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
                if len(self._resolved) >= _RESOLVED_CACHE_LIMIT:
                    self._resolved.clear()
                self._resolved[key] = tag
            return tag
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]

    # Path resolvers are never registered on the safe loader, so the composer's
    # bookkeeping calls around every node can return at once.
    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


class _RedefiningLoader(yaml.composer.Composer, _Loader):
    """PyYAML's composer over libyaml's events, allowing an anchor to be defined again.

    Used only for a stream libyaml refused for a duplicate anchor; the depth of such a
    stream is checked first, as this composer recurses in Python.
    """

    def __init__(self, stream: str) -> None:
        _Loader.__init__(self, stream)  # the parser, constructor and resolver
        self.anchors: dict[Any, yaml.Node] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        anchor = getattr(self.peek_event(), "anchor", None)
        if anchor is not None and not self.check_event(yaml.AliasEvent):
            self.anchors.pop(anchor, None)  # the later definition wins
        return super().compose_node(parent, index)


MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64
MAX_NUMBER_CHARS = 1000
_TOO_MANY_NODES = f"document expands to over {MAX_NODES} nodes (alias bomb or merge bomb?)"
_TOO_MANY_WRITTEN = f"document has over {MAX_NODES} nodes"
_TOO_DEEP = f"nesting deeper than {MAX_DEPTH} levels"

# The possible depth of a document is under about a thousand levels — far from where
# libyaml's composer exhausts an 8 MiB stack (about 20,000 levels here, 2,500 with
# 1 MiB) — when it has at most _FLOW_OPENERS_SAFE flow brackets (each opens at most
# one level) and no line starts with _BLOCK_PREFIX_SAFE characters of indentation and
# indicators (a block collection nested in another starts at a greater column, or at
# the same column for a sequence in a mapping, so block depth is at most twice the
# column where the deepest one starts).
_FLOW_OPENERS_SAFE = 500
_BLOCK_PREFIX_SAFE = 200
# One pattern per line break, each starting with a literal: the regex engine then skips
# ahead to the next break at C speed (a character class there costs 15 times more).
_DEEP_BLOCK_AFTER = tuple(
    re.compile(f"{br}[ ?:-]{{{_BLOCK_PREFIX_SAFE}}}") for br in "\n\r\x85\u2028\u2029"
)
_DEEP_BLOCK_START = re.compile(f"\ufeff?[ ?:-]{{{_BLOCK_PREFIX_SAFE}}}")
_COLLECTION_START = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_COLLECTION_END = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
_NODE_START = (yaml.SequenceStartEvent, yaml.MappingStartEvent, yaml.AliasEvent)
# Every node after the first of a stream is started or separated from the one before by
# one of these characters (flow and block indicators, line breaks); one character
# accounts for at most three nodes — ``[a: b`` opens a sequence, a mapping and a key at
# its ``[``, ``? a`` opens a mapping, a key and its empty value at its ``?``. Anchors,
# tags, quotes and spaces start or separate nothing.
_NODE_MARKS = (",", ":", "-", "?", "[", "{", "\n", "\r", "\x85", "\u2028", "\u2029")
_NODES_PER_MARK = 3

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(
    _CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp", "binary")
)
_MERGE = _CORE + "merge"
_STR = _CORE + "str"
_NUMBER_TAGS = frozenset((_CORE + "int", _CORE + "float"))
# Read as the strings they are written as: YAML 1.1's value indicator ``=`` (Go's YAML
# libraries, and so Kubernetes tools, know no such type) and a ``<<`` that is a value.
_PLAIN_STRING_TAGS = frozenset((_CORE + "value", _MERGE))
# Scalars are built with PyYAML's own safe constructors, called directly: they keep no
# state, so one instance serves every document.
_SAFE = yaml.SafeLoader("")
_SCALAR_CONSTRUCTORS: dict[str, Any] = {
    tag: yaml.SafeLoader.yaml_constructors[tag].__get__(_SAFE) for tag in _SCALAR_TAGS
}

PathKey = tuple[str | int, ...]
Duplicates = Literal["error", "keep-last"]

# Where one node is written, mirroring the data: (key line, key column — 0 for list
# items and the root —, value line, value column, last line — 0 unless loaded with
# spans —, the entries of its children by key or index, or None for a scalar).
# A tree rather than a table keyed by path: no path tuple per node to build, hold or
# pass between processes, and looking a path up is one step per key.
Entry = tuple[int, int, int, int, int, "dict[Any, Entry] | list[Entry] | None"]
_NOWHERE: Entry = (0, 0, 0, 0, 0, None)


@dataclass(frozen=True)
class LocatedDocument:
    """One YAML document: its plain data and the position of every path in it."""

    source: str
    data: Any
    positions: Entry = _NOWHERE
    start_line: int = 1
    warnings: tuple[Problem, ...] = ()

    def locate(self, path: PathKey, *, key: bool = False) -> Location:
        """Where ``path`` is written; falls back to the nearest written ancestor.

        Args:
            path: keys and list indexes from the document root.
            key: point at the mapping key rather than its value.
        """
        entry, exact = self._find(path)
        if key and exact and entry[0]:
            return Location(self.source, entry[0], entry[1])
        if entry[2]:
            return Location(self.source, entry[2], entry[3])
        return Location(self.source, self.start_line, 1)

    def span(self, path: PathKey) -> tuple[int, int]:
        """First and last line of ``path``: from its key (if any) to the end of its value.

        The last line is known only for documents loaded with ``spans=True``; otherwise
        the span is the first line alone.
        """
        entry, exact = self._find(path)
        if exact and entry[0] and isinstance(path[-1], str):
            first = entry[0]  # from the key
        else:
            first = entry[2] or self.start_line
        return first, max(first, entry[4] if exact else first)

    def shifted(self, lines: int, columns: int) -> LocatedDocument:
        """The same document with every position moved (YAML embedded in another file)."""

        def move(entry: Entry) -> Entry:
            key_line, key_column, line, column, last, children = entry
            return (
                key_line + lines if key_line else 0,
                key_column + columns if key_line else 0,
                line + lines,
                column + columns,
                last + lines if last else 0,
                _map_children(children, move),
            )

        moved = move(self.positions) if self.positions[2] else self.positions
        return replace(self, positions=moved, start_line=self.start_line + lines)

    def pinned(self, line: int) -> LocatedDocument:
        """The same document with every position on ``line`` (column 1)."""

        def pin(entry: Entry) -> Entry:
            key_line = line if entry[0] else 0
            return (key_line, 1 if key_line else 0, line, 1, line, _map_children(entry[5], pin))

        return replace(self, positions=pin(self.positions), start_line=line)

    def _find(self, path: PathKey) -> tuple[Entry, bool]:
        """The entry of ``path``, or of its nearest written ancestor (then False)."""
        entry = self.positions
        for part in path:
            children = entry[5]
            if type(children) is dict:
                child = children.get(part)
            elif type(children) is list and type(part) is int and 0 <= part < len(children):
                child = children[part]
            else:
                child = None
            if child is None:
                return entry, False
            entry = child
        return entry, True


def _map_children(
    children: dict[Any, Entry] | list[Entry] | None, change: Callable[[Entry], Entry]
) -> dict[Any, Entry] | list[Entry] | None:
    if type(children) is dict:
        return {key: change(child) for key, child in children.items()}
    if type(children) is list:
        return [change(child) for child in children]
    return None


def read_yaml_file(
    path: Path, *, max_bytes: int = MAX_FILE_BYTES, what: str = ""
) -> list[LocatedDocument]:
    """Read every document of a YAML file, safely.

    Args:
        path: the file; only a regular file is read (``stackyard.fsio``).
        max_bytes: the most bytes read; a longer file is refused.
        what: what the file is to the user ("the spec"), for messages.

    Raises:
        YamlError: the file is missing, not a regular file, too large, not UTF-8, not
            YAML, or hostile (``HostileYamlError``).
    """
    return load_yaml_documents(read_text_file(path, max_bytes=max_bytes, what=what), str(path))


def read_yaml_document(
    path: Path, *, max_bytes: int = MAX_FILE_BYTES, what: str = ""
) -> LocatedDocument:
    """Read a YAML file that must hold one document (an empty file gives None), safely.

    The user files Stackyard reads into a model (spec, scenario, exceptions) are one
    document each; :func:`stackyard.yamlio.models.validate_document` then says what is
    wrong with its content, a document that is no mapping included.

    Raises:
        YamlError: as :func:`read_yaml_file`, or the file holds several documents (at
            the line of the second).
    """
    return load_yaml_text(read_text_file(path, max_bytes=max_bytes, what=what), str(path))


def read_text_file(path: Path, *, max_bytes: int = MAX_FILE_BYTES, what: str = "") -> str:
    """The UTF-8 text of a regular file of at most ``max_bytes``, for a YAML or JSON parser.

    Raises:
        YamlError: the file is missing, not a regular file, too large or not UTF-8; a bad
            byte is located at its line.
    """
    try:
        raw = read_input_bytes(path, max_bytes=max_bytes, what=what)
    except InputError as e:
        raise YamlError(e.problems) from e
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise _error(str(path), line, 0, "file is not valid UTF-8") from e


def load_yaml_text(text: str, source: str) -> LocatedDocument:
    """Load text that must hold exactly one YAML document (an empty text gives None)."""
    documents = load_yaml_documents(text, source)
    if len(documents) > 1:
        second = documents[1].start_line
        raise _error(source, second, 1, "expected one YAML document, found several")
    return documents[0] if documents else LocatedDocument(source=source, data=None)


def load_yaml_documents(text: str, source: str) -> list[LocatedDocument]:
    """Load every document of a YAML stream with positions, refusing hostile input."""
    return list(iter_yaml_documents(text, source))


def iter_yaml_documents(
    text: str, source: str, *, duplicates: Duplicates = "error", spans: bool = False
) -> Iterator[LocatedDocument]:
    """Yield the documents of a YAML stream one by one, with positions.

    A stream that breaks in its third document still yields the first two before
    raising, so a tolerant caller can keep them.

    Args:
        text: the YAML stream.
        source: the file name recorded in every position.
        duplicates: ``"keep-last"`` turns duplicate keys into document warnings.
        spans: record the last line of every value (``LocatedDocument.span``).

    Raises:
        YamlError: the text is not YAML or holds a value YAML cannot hold;
            ``HostileYamlError`` when it is too large, a bomb, too deep or tagged.
    """
    if len(text) > MAX_FILE_BYTES:
        raise _hostile(source, 0, 0, f"text is over {MAX_FILE_BYTES} characters")
    deep, large = _may_nest_deeply(text), _may_hold_too_many_nodes(text)
    if deep or large:
        _refuse_hostile_structure(text, source, depth=deep, nodes=large)
    yielded = 0
    try:
        for document in _documents(text, source, _Loader, duplicates, spans):
            yielded += 1
            yield document
    except yaml.MarkedYAMLError as e:
        if not (e.context or "").startswith("found duplicate anchor"):
            raise _syntax_error(source, e) from e
        # This composer recurses in Python; the node count was checked above.
        _refuse_hostile_structure(text, source, depth=True, nodes=False)
        try:
            for index, document in enumerate(
                _documents(text, source, _RedefiningLoader, duplicates, spans)
            ):
                if index >= yielded:
                    yield document
        except yaml.MarkedYAMLError as again:
            raise _syntax_error(source, again) from again
        except yaml.YAMLError as again:
            raise _error(source, 0, 0, f"invalid YAML: {again}") from again
    except yaml.YAMLError as e:
        raise _error(source, 0, 0, f"invalid YAML: {e}") from e
    except RecursionError as e:  # pragma: no cover - depth is refused before composing
        raise _hostile(source, 0, 0, "YAML nesting is too deep") from e


def _documents(
    text: str, source: str, loader: type[_Loader], duplicates: Duplicates, spans: bool
) -> Iterator[LocatedDocument]:
    for node in yaml.compose_all(text, Loader=loader):
        if node is None:  # pragma: no cover - compose_all skips empty streams
            continue
        builder = _Builder(source, duplicates=duplicates, spans=spans)
        data, positions = builder.build(node, 0, 0, 0)
        yield LocatedDocument(
            source=source,
            data=data,
            positions=positions,
            start_line=node.start_mark.line + 1,
            warnings=tuple(builder.warnings),
        )


def _may_nest_deeply(text: str) -> bool:
    """Whether ``text`` may nest deeper than libyaml's composer can safely recurse."""
    if text.count("[") + text.count("{") > _FLOW_OPENERS_SAFE:
        return True
    if _DEEP_BLOCK_START.match(text) is not None:
        return True
    return any(pattern.search(text) is not None for pattern in _DEEP_BLOCK_AFTER)


def _may_hold_too_many_nodes(text: str) -> bool:
    """Whether a document of ``text`` may hold more than ``MAX_NODES`` written nodes."""
    if len(text) * _NODES_PER_MARK < MAX_NODES:  # most files: not even every character
        return False
    marks = sum(text.count(mark) for mark in _NODE_MARKS)
    return marks * _NODES_PER_MARK + 1 > MAX_NODES


def _refuse_hostile_structure(text: str, source: str, *, depth: bool, nodes: bool) -> None:
    """Walk the event stream (libyaml parses without recursion) and refuse what is too big.

    With ``depth``, nesting is counted as the builder counts it (the root is level 0), so
    what passes here is refused by the builder at the same level, with the same message.
    With ``nodes``, the written nodes of each document are counted, never more than the
    builder counts them (a ``<<`` merge key and a list of merged mappings are not nodes
    to it), so a document refused here is one the builder would refuse after composing.
    A syntax error ends the walk: composing stops at the same event and reports it.
    """
    level = -1
    count = 0
    after_merge_key = False
    try:
        for event in yaml.parse(text, Loader=_Loader):
            kind = type(event)
            if nodes:
                if isinstance(event, yaml.ScalarEvent):
                    if event.value == "<<":  # a merge key is no node; a string is one
                        after_merge_key = True
                        continue
                    count += 1
                elif kind in _NODE_START and not (
                    after_merge_key and kind is yaml.SequenceStartEvent  # merged mappings
                ):
                    count += 1
                elif kind is yaml.DocumentStartEvent:
                    count = 0
                after_merge_key = False
                if count > MAX_NODES:
                    line, column = _event_mark(event)
                    raise _hostile(source, line, column, _TOO_MANY_WRITTEN)
            if not depth:
                continue
            if kind in _COLLECTION_START:
                level += 1
                if level > MAX_DEPTH:
                    line, column = _event_mark(event)
                    raise _hostile(source, line, column, _TOO_DEEP)
            elif kind in _COLLECTION_END:
                level -= 1
    except yaml.YAMLError:
        return


def _event_mark(event: yaml.Event) -> tuple[int, int]:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark else (0, 0)


def _syntax_error(source: str, e: yaml.MarkedYAMLError) -> YamlError:
    mark = e.problem_mark or e.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    message = " ".join(part for part in (e.context, e.problem) if part) or "invalid YAML"
    return _error(source, line, column, f"invalid YAML: {message}")


class _Builder:
    """Turns a composed node tree into Python values and their position entries."""

    def __init__(
        self, source: str, *, duplicates: Duplicates = "error", spans: bool = False
    ) -> None:
        self.source = source
        self.nodes = 0
        self.warnings: list[Problem] = []
        self._duplicates = duplicates
        self._spans = spans
        self._last_line = 0  # the furthest line built so far (documents build in order)

    def build(
        self, node: yaml.Node, depth: int, key_line: int, key_column: int
    ) -> tuple[Any, Entry]:
        """The value of ``node`` and its entry (with the given key position)."""
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self._hostile(node, _TOO_MANY_NODES)
        if depth > MAX_DEPTH:
            raise self._hostile(node, _TOO_DEEP)
        # Dispatch inline: this runs once per node of every file an assessment reads.
        kind = type(node)
        children: dict[Any, Entry] | list[Entry] | None = None
        if kind is yaml.ScalarNode:
            value = node.value if node.tag == _STR else self._scalar(node)
        elif kind is yaml.MappingNode:
            value, children = self._mapping(node, depth)
        elif kind is yaml.SequenceNode:
            value, children = self._sequence(node, depth)
        else:  # pragma: no cover - the composer makes no other kind
            raise self._fail(node, f"unexpected node {kind.__name__}")
        last = 0
        if self._spans:
            last = max(_end_line(node, value), self._last_line)
            self._last_line = last
        mark = node.start_mark
        return value, (key_line, key_column, mark.line + 1, mark.column + 1, last, children)

    def _sequence(self, node: yaml.Node, depth: int) -> tuple[list[Any], list[Entry]]:
        if node.tag != _CORE + "seq":
            raise self._hostile(node, f"tag {node.tag!r} is not allowed")
        values, entries = [], []
        for item in node.value:
            value, entry = self.build(item, depth + 1, 0, 0)
            values.append(value)
            entries.append(entry)
        return values, entries

    def _scalar(self, node: yaml.Node) -> Any:
        tag = node.tag
        if tag == _STR:
            return node.value
        construct = _SCALAR_CONSTRUCTORS.get(tag)
        if construct is None:
            if tag in _PLAIN_STRING_TAGS:
                return node.value
            raise self._hostile(node, f"tag {tag!r} is not allowed (only plain YAML types)")
        kind = tag.removeprefix(_CORE)
        if tag in _NUMBER_TAGS and len(node.value) > MAX_NUMBER_CHARS:
            message = f"bad {kind} value: over {MAX_NUMBER_CHARS} characters"
            raise self._fail(node, message)
        try:
            return construct(node)
        except yaml.constructor.ConstructorError as e:
            raise self._fail(node, f"bad {kind} value: {e.problem}") from e
        except (ValueError, OverflowError) as e:  # a date that does not exist, a huge int
            raise self._fail(node, f"bad {kind} value {node.value[:40]!r}: {e}") from e

    def _mapping(self, node: yaml.Node, depth: int) -> tuple[dict[Any, Any], dict[Any, Entry]]:
        if node.tag != _CORE + "map":
            raise self._hostile(node, f"tag {node.tag!r} is not allowed")
        values: dict[Any, Any] = {}
        entries: dict[Any, Entry] = {}
        merged: list[tuple[dict[Any, Any], dict[Any, Entry]]] = []
        spans = self._spans
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged += self._merge_sources(value_node, depth)
                continue
            if type(key_node) is not yaml.ScalarNode:
                raise self._fail(key_node, "mapping keys must be plain scalars")
            self.nodes += 1
            # Interned: keys repeat in every object, and interned strings are shared by
            # the data, the positions and anything that pickles them.
            key = intern(key_node.value) if key_node.tag == _STR else self._scalar(key_node)
            if key in values:
                self._duplicate(key_node, key, entries[key][0])
            mark = key_node.start_mark
            key_line, key_column = mark.line + 1, mark.column + 1
            if (
                type(value_node) is not yaml.ScalarNode
                or value_node.tag != _STR
                or value_node.style == "|"
                or depth >= MAX_DEPTH
            ):
                values[key], entries[key] = self.build(value_node, depth + 1, key_line, key_column)
                continue
            # What build() does for a plain string, inlined: most values are one.
            self.nodes += 1
            if self.nodes > MAX_NODES:
                raise self._hostile(value_node, _TOO_MANY_NODES)
            mark = value_node.start_mark
            line = mark.line + 1
            last = 0
            if spans:
                end = value_node.end_mark
                last = max(line, end.line + (1 if end.column else 0), self._last_line)
                self._last_line = last
            values[key] = value_node.value
            entries[key] = (key_line, key_column, line, mark.column + 1, last, None)
        for merged_values, merged_entries in merged:  # explicit keys win, then earlier sources
            for key, value in merged_values.items():
                if key not in values:
                    values[key] = value
                    entries[key] = merged_entries[key]
        return values, entries

    def _merge_sources(
        self, node: yaml.Node, depth: int
    ) -> list[tuple[dict[Any, Any], dict[Any, Entry]]]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        built = []
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise self._fail(source, "a merge key (<<) needs a mapping or list of mappings")
            # Each merge is work even when the merged mapping is empty: counted as a node,
            # so a bomb of empty mappings merged into each other stops at the cap.
            self.nodes += 1
            if self.nodes > MAX_NODES:
                raise self._hostile(source, _TOO_MANY_NODES)
            if depth + 1 > MAX_DEPTH:
                raise self._hostile(source, _TOO_DEEP)
            built.append(self._mapping(source, depth + 1))
        return built

    def _duplicate(self, key_node: yaml.Node, key: Any, first: int) -> None:
        message = f"duplicate key {key!r} (first defined on line {first})"
        if self._duplicates == "error":
            raise self._fail(key_node, message)
        line, column = _mark(key_node)
        self.warnings.append(Problem(Location(self.source, line, column), "", message))

    def _fail(self, node: yaml.Node, message: str) -> YamlError:
        line, column = _mark(node)
        return _error(self.source, line, column, message)

    def _hostile(self, node: yaml.Node, message: str) -> HostileYamlError:
        line, column = _mark(node)
        return _hostile(self.source, line, column, message)


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _end_line(node: yaml.Node, value: Any) -> int:
    """The last line a node's own text occupies (children are tracked by the builder)."""
    start = node.start_mark.line + 1
    if type(node) is yaml.ScalarNode:
        if node.style == "|" and type(value) is str:
            # A literal block's content starts below the indicator, one line per line;
            # end_mark would also count the blank lines that follow it.
            return start + max(1, value.rstrip("\n").count("\n") + 1)
        end = node.end_mark.line + (1 if node.end_mark.column else 0)
        return max(start, end)
    if getattr(node, "flow_style", False):
        return max(start, node.end_mark.line + 1)
    return start


def _error(source: str, line: int, column: int, message: str) -> YamlError:
    return YamlError([Problem(Location(source, line, column), "", message)])


def _hostile(source: str, line: int, column: int, message: str) -> HostileYamlError:
    return HostileYamlError([Problem(Location(source, line, column), "", message)])
