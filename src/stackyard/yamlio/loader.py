"""Safe YAML loading that remembers where every value came from.

Policy: Stackyard reads YAML written by people and by strangers (specs, any repository
it assesses), so the loader refuses what a careless loader would run into:

- only the YAML 1.1 core tags; ``!!python/...`` and other custom tags are errors;
- duplicate keys are errors (most parsers keep the last one silently);
- aliases are allowed, but the expanded document is capped in nodes and depth, which
  stops "billion laughs" bombs and self-referencing aliases;
- files over a size cap are refused before they are read.

libyaml composes the node tree (fast, C); the small constructor below turns nodes into
plain Python values and records a line and column for every key and value path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from stackyard.errors import Location, Problem, YamlError

try:  # libyaml is in every PyYAML wheel we pin; the pure parser is the same grammar.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(
    _CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp", "binary")
)
_MERGE = _CORE + "merge"

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class LocatedDocument:
    """One YAML document: its plain data and the position of every path in it."""

    source: str
    data: Any
    value_marks: Mapping[PathKey, tuple[int, int]] = field(default_factory=dict)
    key_marks: Mapping[PathKey, tuple[int, int]] = field(default_factory=dict)
    start_line: int = 1

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
    if len(text) > MAX_FILE_BYTES:
        raise _error(source, 0, 0, f"text is over {MAX_FILE_BYTES} characters")
    documents: list[LocatedDocument] = []
    try:
        for node in yaml.compose_all(text, Loader=_Loader):
            if node is None:  # pragma: no cover - compose_all skips empty streams
                continue
            builder = _Builder(source)
            data = builder.build(node, (), 0)
            documents.append(
                LocatedDocument(
                    source=source,
                    data=data,
                    value_marks=builder.value_marks,
                    key_marks=builder.key_marks,
                    start_line=node.start_mark.line + 1,
                )
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
    return documents


class _Builder:
    """Turns a composed node tree into Python values, recording positions."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.nodes = 0
        self.value_marks: dict[PathKey, tuple[int, int]] = {}
        self.key_marks: dict[PathKey, tuple[int, int]] = {}
        self._scalars = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: PathKey, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self._fail(node, f"document expands to over {MAX_NODES} nodes (alias bomb?)")
        if depth > MAX_DEPTH:
            raise self._fail(node, f"nesting deeper than {MAX_DEPTH} levels")
        self.value_marks.setdefault(path, _mark(node))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            if node.tag not in (_CORE + "seq",):
                raise self._fail(node, f"tag {node.tag!r} is not allowed")
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if node.tag not in _SCALAR_TAGS:
            raise self._fail(node, f"tag {node.tag!r} is not allowed (only plain YAML types)")
        try:
            return self._scalars.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as e:
            raise self._fail(node, f"bad {node.tag.removeprefix(_CORE)} value: {e.problem}") from e

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
            key = self.build(key_node, (*path, "<key>"), depth + 1)
            if isinstance(key, list | dict):  # pragma: no cover - guarded above
                raise self._fail(key_node, "mapping keys must be plain scalars")
            if key in seen:
                first = seen[key].start_mark.line + 1
                raise self._fail(key_node, f"duplicate key {key!r} (first defined on line {first})")
            seen[key] = key_node
            self.key_marks[(*path, key)] = _mark(key_node)
            result[key] = self.build(value_node, (*path, key), depth + 1)
        self.value_marks.pop((*path, "<key>"), None)
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


def _error(source: str, line: int, column: int, message: str) -> YamlError:
    return YamlError([Problem(Location(source, line, column), "", message)])
