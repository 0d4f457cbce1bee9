"""Safe YAML loading that remembers where every value came from.

Policy: Stackyard reads YAML written by people and by strangers (specs, any repository
it assesses), so the loader refuses what a careless loader would run into:

- only the YAML 1.1 core tags; ``!!python/...`` and other custom tags are errors;
- duplicate keys are errors (most parsers keep the last one silently);
- aliases are allowed, but the expanded document is capped in nodes and depth, which
  stops "billion laughs" bombs and self-referencing aliases;
- files over a size cap are refused before they are read.

Callers that read strangers' repositories (``stackyard assess``) may relax one rule:
``duplicates="keep-last"`` keeps the later value of a duplicate key, as most parsers
do, and records the duplicate as a warning on the document instead of failing. Tags,
bombs and depth stay fatal in every mode. ``spans=True`` also records the last line
of every value, so evidence can cite a whole block (``file:131-143``).

libyaml composes the node tree (fast, C); the small constructor below turns nodes into
plain Python values and records a line and column for every key and value path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml

from stackyard.errors import Location, Problem, YamlError

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


MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(
    _CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp", "binary")
)
_MERGE = _CORE + "merge"
_STR = _CORE + "str"
# Scalars are built with PyYAML's own safe constructors, called directly: they keep no
# state, so one instance serves every document.
_SAFE = yaml.SafeLoader("")
_SCALAR_CONSTRUCTORS: dict[str, Any] = {
    tag: yaml.SafeLoader.yaml_constructors[tag].__get__(_SAFE) for tag in _SCALAR_TAGS
}

PathKey = tuple[str | int, ...]
Duplicates = Literal["error", "keep-last"]


@dataclass(frozen=True)
class LocatedDocument:
    """One YAML document: its plain data and the position of every path in it."""

    source: str
    data: Any
    value_marks: Mapping[PathKey, tuple[int, int]] = field(default_factory=dict)
    key_marks: Mapping[PathKey, tuple[int, int]] = field(default_factory=dict)
    start_line: int = 1
    end_lines: Mapping[PathKey, int] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()

    def locate(self, path: PathKey, *, key: bool = False) -> Location:
        """Where ``path`` is written; falls back to the nearest written ancestor.

        Args:
            path: keys and list indexes from the document root.
            key: point at the mapping key rather than its value.
        """
        for depth in range(len(path), -1, -1):
            prefix = path[:depth]
            marks = self.key_marks if key and depth == len(path) else self.value_marks
            mark = marks.get(prefix) or self.key_marks.get(prefix)
            if mark:
                return Location(self.source, mark[0], mark[1])
        return Location(self.source, self.start_line, 1)

    def span(self, path: PathKey) -> tuple[int, int]:
        """First and last line of ``path``: from its key (if any) to the end of its value.

        The last line is known only for documents loaded with ``spans=True``; otherwise
        the span is the first line alone.
        """
        first = self.locate(path, key=bool(path) and isinstance(path[-1], str)).line
        return first, max(first, self.end_lines.get(path, first))


def read_yaml_file(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> list[LocatedDocument]:
    """Read every document of a YAML file, safely.

    Raises:
        YamlError: the file is missing, too large, not UTF-8, not YAML, or hostile.
    """
    source = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise _error(source, 0, 0, f"file is {size} bytes; the limit is {max_bytes}")
        raw = path.read_bytes()
    except OSError as e:
        raise _error(source, 0, 0, f"cannot read file: {e.strerror or e}") from e
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise _error(source, line, 0, "file is not valid UTF-8") from e
    return load_yaml_documents(text, source)


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
        YamlError: the text is too large, not YAML, or hostile.
    """
    if len(text) > MAX_FILE_BYTES:
        raise _error(source, 0, 0, f"text is over {MAX_FILE_BYTES} characters")
    try:
        for node in yaml.compose_all(text, Loader=_Loader):
            if node is None:  # pragma: no cover - compose_all skips empty streams
                continue
            builder = _Builder(source, duplicates=duplicates, spans=spans)
            data = builder.build(node, (), 0)
            yield LocatedDocument(
                source=source,
                data=data,
                value_marks=builder.value_marks,
                key_marks=builder.key_marks,
                start_line=node.start_mark.line + 1,
                end_lines=builder.end_lines,
                warnings=tuple(builder.warnings),
            )
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        message = " ".join(part for part in (e.context, e.problem) if part) or "invalid YAML"
        raise _error(source, line, column, f"invalid YAML: {message}") from e
    except yaml.YAMLError as e:
        raise _error(source, 0, 0, f"invalid YAML: {e}") from e
    except RecursionError as e:
        raise _error(source, 0, 0, "YAML nesting is too deep") from e


class _Builder:
    """Turns a composed node tree into Python values, recording positions."""

    def __init__(
        self, source: str, *, duplicates: Duplicates = "error", spans: bool = False
    ) -> None:
        self.source = source
        self.nodes = 0
        self.value_marks: dict[PathKey, tuple[int, int]] = {}
        self.key_marks: dict[PathKey, tuple[int, int]] = {}
        self.end_lines: dict[PathKey, int] = {}
        self.warnings: list[Problem] = []
        self._duplicates = duplicates
        self._spans = spans
        self._last_line = 0  # the furthest line built so far (documents build in order)

    def build(self, node: yaml.Node, path: PathKey, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self._fail(node, f"document expands to over {MAX_NODES} nodes (alias bomb?)")
        if depth > MAX_DEPTH:
            raise self._fail(node, f"nesting deeper than {MAX_DEPTH} levels")
        mark = node.start_mark
        self.value_marks.setdefault(path, (mark.line + 1, mark.column + 1))
        # Dispatch inline: this runs once per node of every file an assessment reads.
        kind = type(node)
        if kind is yaml.ScalarNode:
            value = node.value if node.tag == _STR else self._scalar(node)
        elif kind is yaml.MappingNode:
            value = self._mapping(node, path, depth)  # type: ignore[arg-type]
        else:
            value = self._value(node, path, depth)
        if self._spans:
            end = _end_line(node, value)
            if end > self._last_line:
                self._last_line = end
            self.end_lines.setdefault(path, self._last_line)
        return value

    def _value(self, node: yaml.Node, path: PathKey, depth: int) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            if node.tag not in (_CORE + "seq",):
                raise self._fail(node, f"tag {node.tag!r} is not allowed")
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        raise self._fail(node, f"unexpected node {type(node).__name__}")  # pragma: no cover

    def _scalar(self, node: yaml.Node) -> Any:
        tag = node.tag
        if tag == _STR:
            return node.value
        construct = _SCALAR_CONSTRUCTORS.get(tag)
        if construct is None:
            raise self._fail(node, f"tag {tag!r} is not allowed (only plain YAML types)")
        try:
            return construct(node)
        except yaml.constructor.ConstructorError as e:
            raise self._fail(node, f"bad {tag.removeprefix(_CORE)} value: {e.problem}") from e

    def _mapping(self, node: yaml.MappingNode, path: PathKey, depth: int) -> dict[Any, Any]:
        if node.tag != _CORE + "map":
            raise self._fail(node, f"tag {node.tag!r} is not allowed")
        result: dict[Any, Any] = {}
        seen: dict[Any, yaml.Node] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.update(self._merge_source(value_node, path, depth))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise self._fail(key_node, "mapping keys must be plain scalars")
            self.nodes += 1
            key = key_node.value if key_node.tag == _STR else self._scalar(key_node)
            if key in seen:
                first = seen[key].start_mark.line + 1
                message = f"duplicate key {key!r} (first defined on line {first})"
                if self._duplicates == "error":
                    raise self._fail(key_node, message)
                line, column = _mark(key_node)
                self.warnings.append(Problem(Location(self.source, line, column), "", message))
            seen[key] = key_node
            child = (*path, key)
            mark = key_node.start_mark
            self.key_marks[child] = (mark.line + 1, mark.column + 1)
            result[key] = self.build(value_node, child, depth + 1)
        for key, value in merged.items():
            result.setdefault(key, value)
        return result

    def _merge_source(self, node: yaml.Node, path: PathKey, depth: int) -> dict[Any, Any]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[Any, Any] = {}
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise self._fail(source, "a merge key (<<) needs a mapping or list of mappings")
            for key, value in self._mapping(source, path, depth + 1).items():
                merged.setdefault(key, value)
        return merged

    def _fail(self, node: yaml.Node, message: str) -> YamlError:
        line, column = _mark(node)
        return _error(self.source, line, column, message)


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
