"""Edit ``platform.yaml`` as a person would: add or remove one cluster, nothing else moves.

A spec is written and reviewed by people, so an edit made by a program must read like
theirs in ``git diff``: the comments, key order, quoting and layout of everything it
does not touch stay byte for byte. Policy:

- the text is first loaded by Stackyard's own safe loader (hostile YAML, duplicate keys
  and foreign tags are refused there, before any other parser sees it);
- ruamel.yaml's round-trip parser says where each cluster is written; the edit is a
  splice of whole lines: a removed cluster takes its lines (and the comment lines right
  above its dash) out, an added one is dumped by ruamel.yaml in the file's own
  indentation (and the flow style of its node pools) and inserted after the last one;
- a ``clusters`` list written in flow style (``[...]``), or a layout the splice cannot
  follow, is edited through a full ruamel.yaml round trip instead (comments and quoting
  kept, spacing normalised);
- whatever the route, the new text must hold exactly the old data with that one cluster
  added or removed (checked with the safe loader) and must load as a valid spec, before
  any caller writes it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError as RuamelError

from stackyard.errors import InputError, Location, Problem, YamlError
from stackyard.fsio.read import read_input_bytes
from stackyard.spec.load import MAX_SPEC_BYTES, LoadedSpec, validate_spec
from stackyard.yamlio import load_yaml_text

_CLUSTERS = "clusters"
_BOM = "\ufeff"
_WIDE = 1 << 16  # never fold a long value onto a second line
_DEFAULT_MAPPING_INDENT = 2
_DEFAULT_SEQUENCE_INDENT = 4  # "  - name: ...": the examples' and kubectl's layout
_DEFAULT_SEQUENCE_OFFSET = 2


@dataclass(frozen=True)
class SpecText:
    """A spec file's text as read, and where it came from."""

    path: Path
    text: str

    @property
    def source(self) -> str:
        """The name problems are located in."""
        return str(self.path)


@dataclass(frozen=True)
class SpecEdit:
    """An edited spec: its new text and the valid spec that text loads as."""

    text: str
    spec: LoadedSpec


def _problem(source: str, field: str, message: str, line: int = 0, hint: str = "") -> InputError:
    return InputError([Problem(Location(source, line), field, message, hint)])


def read_spec_text(path: Path) -> SpecText:
    """The text of the spec file ``path``, to edit.

    Raises:
        InputError: ``path`` is missing, not a regular file, too large or not UTF-8.
    """
    raw = read_input_bytes(path, max_bytes=MAX_SPEC_BYTES, what="the spec")
    try:
        return SpecText(path, raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise _problem(str(path), "", "file is not valid UTF-8", line) from e


def add_cluster(spec: SpecText, cluster: Mapping[str, Any]) -> SpecEdit:
    """``spec`` with ``cluster`` (a mapping as written under ``clusters``) appended.

    Raises:
        InputError: the text is not a valid spec, a cluster of that name is already
            there, or the spec with the new cluster is invalid (located in ``spec``).
    """
    name = cluster.get("name")
    before = _safe_data(spec)
    document = _round_trip(spec)
    clusters = _clusters(spec, document)
    for index, existing in enumerate(clusters):
        if isinstance(existing, Mapping) and existing.get("name") == name:
            raise _problem(
                spec.source,
                f"clusters[{index}].name",
                f"a cluster named {name!r} is already in the spec",
                clusters.lc.item(index)[0] + 1,
                "deregister it first, or choose another name",
            )
    expected = {**before, _CLUSTERS: [*before[_CLUSTERS], _plain(cluster)]}
    text = _spliced_addition(spec, document, clusters, cluster)
    if text is None or not _holds(spec, text, expected):
        clusters.append(_commented(cluster, _pool_flow_style(clusters)))
        text = _dumped(spec, document)
    return _checked(spec, text, expected, f"with cluster {name} added")


def remove_cluster(spec: SpecText, name: str) -> SpecEdit:
    """``spec`` without the cluster ``name``, and without the comment lines right above it.

    Raises:
        InputError: the text is not a valid spec, no cluster has that name or it is the
            only one, or the spec without it is invalid (a tenant still names it ...).
    """
    before = _safe_data(spec)
    document = _round_trip(spec)
    clusters = _clusters(spec, document)
    names = [c.get("name") if isinstance(c, Mapping) else None for c in clusters]
    if name not in names:
        known = ", ".join(str(n) for n in names if n is not None)
        raise _problem(
            spec.source,
            _CLUSTERS,
            f"no cluster named {name!r} in the spec",
            document.lc.key(_CLUSTERS)[0] + 1,
            f"clusters: {known}" if known else "",
        )
    index = names.index(name)
    if len(names) == 1:
        raise _problem(
            spec.source,
            f"clusters[{index}].name",
            f"{name!r} is the only cluster; a platform needs at least one",
            clusters.lc.item(index)[0] + 1,
        )
    kept = [c for i, c in enumerate(before[_CLUSTERS]) if i != index]
    expected = {**before, _CLUSTERS: kept}
    text = _spliced_removal(spec, clusters, index)
    if text is None or not _holds(spec, text, expected):
        del clusters[index]
        text = _dumped(spec, document)
    return _checked(spec, text, expected, f"with cluster {name} removed")


# -- reading -----------------------------------------------------------------------------


def _safe_data(spec: SpecText) -> dict[str, Any]:
    """The spec's data as Stackyard's safe loader reads it; refuses what it refuses."""
    data = load_yaml_text(spec.text.removeprefix(_BOM), spec.source).data
    if not isinstance(data, dict) or not isinstance(data.get(_CLUSTERS), list):
        raise _problem(spec.source, _CLUSTERS, "the spec has no list of clusters to edit")
    return data


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = _WIDE
    return yaml


def _round_trip(spec: SpecText) -> CommentedMap:
    try:
        document = _yaml().load(spec.text.removeprefix(_BOM))
    except RuamelError as e:  # the safe loader accepted it; report rather than crash
        raise YamlError([Problem(Location(spec.source), "", f"cannot edit this YAML: {e}")]) from e
    if not isinstance(document, CommentedMap):
        raise _problem(spec.source, "", "the spec is not a mapping")
    return document


def _clusters(spec: SpecText, document: CommentedMap) -> CommentedSeq:
    clusters = document.get(_CLUSTERS)
    if not isinstance(clusters, CommentedSeq):
        raise _problem(spec.source, _CLUSTERS, "the spec has no list of clusters to edit")
    return clusters


# -- line splicing -----------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    """Lines split at line feeds only, each with its ending."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _blank(line: str) -> bool:
    return not line.strip()


def _comment(line: str) -> bool:
    return line.lstrip(" ").startswith("#")


def _dash_line(lines: list[str], clusters: CommentedSeq, index: int) -> int | None:
    """The line of item ``index``'s dash (its own line, or one above a ``-`` alone)."""
    line, column = clusters.lc.item(index)
    for number in range(line, -1, -1):
        text = lines[number]
        if text.lstrip(" ").startswith("-") and _indent(text) < column:
            return number
        if number < line and not (_blank(text) or _comment(text)):
            return None
    return None


def _item_end(lines: list[str], dash: int) -> int:
    """The line after item's content: blank lines and shallow comments after it excluded."""
    column = _indent(lines[dash])
    end = dash + 1
    while end < len(lines):
        text = lines[end]
        if text.startswith(("---", "...")):
            break
        if not (_blank(text) or _comment(text)) and _indent(text) <= column:
            break
        end += 1
    while end - 1 > dash and (
        _blank(lines[end - 1]) or (_comment(lines[end - 1]) and _indent(lines[end - 1]) <= column)
    ):
        end -= 1
    return end


def _with_comments_above(lines: list[str], dash: int) -> int:
    """The first of the comment lines directly above ``dash`` at its indentation."""
    column = _indent(lines[dash])
    start = dash
    while start > 0 and _comment(lines[start - 1]) and _indent(lines[start - 1]) == column:
        start -= 1
    return start


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _spliced_removal(spec: SpecText, clusters: CommentedSeq, index: int) -> str | None:
    if clusters.fa.flow_style():
        return None
    bom, body = _split_bom(spec.text)
    lines = _lines(body)
    dash = _dash_line(lines, clusters, index)
    if dash is None:
        return None
    start, end = _with_comments_above(lines, dash), _item_end(lines, dash)
    # Items set apart by blank lines: take one separator with the item, not leave two.
    if start > 0 and _blank(lines[start - 1]) and end < len(lines) and _blank(lines[end]):
        end += 1
    return bom + "".join(lines[:start] + lines[end:])


def _spliced_addition(
    spec: SpecText, document: CommentedMap, clusters: CommentedSeq, cluster: Mapping[str, Any]
) -> str | None:
    if clusters.fa.flow_style() or not clusters:
        return None
    bom, body = _split_bom(spec.text)
    lines = _lines(body)
    last = len(clusters) - 1
    dash = _dash_line(lines, clusters, last)
    if dash is None:
        return None
    end = _item_end(lines, dash)
    dash_column = _indent(lines[dash])
    mapping, sequence, offset = _layout(lines, document, clusters)
    yaml = _yaml()
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    stream = io.StringIO()
    yaml.dump([_commented(cluster, _pool_flow_style(clusters))], stream)
    newline = _newline(body)
    item = [
        " " * (dash_column - offset) + line + newline if line else newline
        for line in stream.getvalue().split("\n")[:-1]
    ]
    head = lines[:end]
    if head and not head[-1].endswith("\n"):
        head[-1] += newline
    return bom + "".join(head + item + lines[end:])


def _split_bom(text: str) -> tuple[str, str]:
    return (_BOM, text[1:]) if text.startswith(_BOM) else ("", text)


def _layout(lines: list[str], document: CommentedMap, clusters: CommentedSeq) -> tuple[int, ...]:
    """The file's indentation: nested mappings, sequence items, and the dash's offset.

    Read from the last cluster as written, so the new one lines up with it.
    """
    item = clusters[-1]
    key_column = clusters.lc.item(len(clusters) - 1)[1]
    mapping = _DEFAULT_MAPPING_INDENT
    for value in item.values() if isinstance(item, CommentedMap) else ():
        if isinstance(value, CommentedMap) and not value.fa.flow_style() and value:
            mapping = max(1, value.lc.col - key_column)
            break
    parent_column = document.lc.key(_CLUSTERS)[1]
    dash = _dash_line(lines, clusters, len(clusters) - 1)
    dash_column = _indent(lines[dash]) if dash is not None else parent_column
    sequence, offset = key_column - parent_column, dash_column - parent_column
    if offset < 0 or sequence < offset + 2:
        sequence, offset = _DEFAULT_SEQUENCE_INDENT, _DEFAULT_SEQUENCE_OFFSET
    return mapping, sequence, offset


def _mapping_indent(document: CommentedMap) -> int:
    """How deep the file indents a nested mapping, from its first block one at the top."""
    for key, value in document.items():
        if isinstance(value, CommentedMap) and value and not value.fa.flow_style():
            return max(1, int(value.lc.col) - int(document.lc.key(key)[1]))
    return _DEFAULT_MAPPING_INDENT


def _pool_flow_style(clusters: CommentedSeq) -> bool:
    """Whether the file writes node pools as ``{name: cp, count: 1}``, one a line."""
    for item in clusters:
        pools = item.get("nodePools") if isinstance(item, CommentedMap) else None
        if isinstance(pools, CommentedSeq) and pools and isinstance(pools[0], CommentedMap):
            return bool(pools[0].fa.flow_style())
    return False


def _commented(cluster: Mapping[str, Any], flow_pools: bool) -> CommentedMap:
    """The cluster as ruamel.yaml nodes, node pools in the file's style."""
    item = CommentedMap()
    for key, value in cluster.items():
        if key == "nodePools" and isinstance(value, list):
            pools = CommentedSeq()
            for pool in value:
                node = CommentedMap(pool)
                if flow_pools:
                    node.fa.set_flow_style()
                pools.append(node)
            item[key] = pools
        elif isinstance(value, Mapping):
            item[key] = CommentedMap(value)
        else:
            item[key] = value
    return item


def _dumped(spec: SpecText, document: CommentedMap) -> str:
    bom, body = _split_bom(spec.text)
    lines = _lines(body)
    clusters = document[_CLUSTERS]
    yaml = _yaml()
    if clusters and not clusters.fa.flow_style():
        mapping, sequence, offset = _layout(lines, document, clusters)
        yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    else:
        yaml.indent(mapping=_mapping_indent(document))
    stream = io.StringIO()
    yaml.dump(document, stream)
    return bom + stream.getvalue().replace("\n", _newline(body))


# -- checking ------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """``value`` as the safe loader would give it back: plain dicts, lists and scalars."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _holds(spec: SpecText, text: str, expected: dict[str, Any]) -> bool:
    try:
        return bool(load_yaml_text(text.removeprefix(_BOM), spec.source).data == expected)
    except YamlError:
        return False


def _checked(spec: SpecText, text: str, expected: dict[str, Any], change: str) -> SpecEdit:
    """The edit, once its text holds ``expected`` and loads as a valid spec.

    Problems of the edited spec are located in the edited text (``change`` says which),
    whose lines are the file's up to the edit.
    """
    if not _holds(spec, text, expected):
        raise _problem(
            spec.source, _CLUSTERS, "cannot edit this file's clusters without changing other data"
        )
    document = load_yaml_text(text.removeprefix(_BOM), f"{spec.source} ({change})")
    return SpecEdit(text, validate_spec(document, folder=spec.path.parent))
