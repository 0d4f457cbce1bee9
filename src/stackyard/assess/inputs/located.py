"""Parts of YAML documents that remember where they are written.

Every fact a detector reads is a ``Located`` subtree: a document from
``stackyard.yamlio`` plus the path of the subtree's root inside it (an object inside
a ``kind: List``, the ``valuesObject`` of an Application, the ``grafana:`` block of
an umbrella chart). Reading a value through it gives the value and an ``Evidence``
span in one step, so a verdict can always cite file and lines. Documents embedded in
strings (an Application's ``helm.values: |`` block, a HelmChart's ``valuesContent``)
are parsed on their own and shifted to the lines they occupy in the outer file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from stackyard.assess.inputs.templating import UNKNOWN, forget_unknown, is_template, untemplate
from stackyard.assess.model import Evidence, noted
from stackyard.errors import HostileYamlError, YamlError
from stackyard.yamlio import LocatedDocument, iter_yaml_documents

PathKey = tuple[str | int, ...]
MAX_TEXT = 120


@dataclass(frozen=True)
class Hit:
    """A value found in a document, and where it is written."""

    value: Any
    evidence: Evidence


class Located:
    """A subtree of a located document: read values with their evidence."""

    __slots__ = ("base", "data", "doc")

    def __init__(self, doc: LocatedDocument, base: PathKey = (), data: Any = None) -> None:
        """Point at ``base`` inside ``doc`` (``()`` is the whole document).

        ``data`` replaces what is written there while keeping its positions: an
        ApplicationSet's template rendered for one generated application is read with
        the template's lines.
        """
        self.doc = doc
        self.base = base
        self.data = _walk(doc.data, base) if data is None else data

    @property
    def file(self) -> str:
        """The file this subtree is written in (relative to the assessed root)."""
        return self.doc.source

    def get(self, *path: str | int) -> Any:
        """The value at ``path`` below this subtree, or None."""
        return _walk(self.data, path)

    def hit(self, *path: str | int) -> Hit | None:
        """The value at ``path`` with its evidence, or None when it is not written."""
        value = _walk(self.data, path, missing=_MISSING)
        if value is _MISSING:
            return None
        return Hit(value, self.evidence(*path))

    def written_at(self, *path: str | int) -> PathKey:
        """The path in the document where ``path`` below this subtree is written."""
        return (*self.base, *path)

    def evidence(self, *path: str | int, text: str = "") -> Evidence:
        """The lines of ``path`` (key to end of value) with a short text."""
        full = self.written_at(*path)
        first, last = self.doc.span(full)
        if not text:
            # Quote what is written; a value rendered from a template (an
            # ApplicationSet's application) follows as a note.
            value = _walk(self.data, path)
            written = _walk(self.doc.data, full)
            text = describe(_label(full), written if written is not None else value)
            if written is not None and written != value and not isinstance(value, Mapping | list):
                text = noted(text[:MAX_TEXT], describe(None, value))
        return Evidence(self.doc.source, first, last, text[:MAX_TEXT])

    def walk(self) -> Iterator[tuple[PathKey, Any]]:
        """Every (path, value) below this subtree, parents before children."""
        stack: list[tuple[PathKey, Any]] = [((), self.data)]
        while stack:
            path, value = stack.pop()
            yield path, value
            if isinstance(value, Mapping):
                stack.extend(((*path, str(k)), v) for k, v in reversed(list(value.items())))
            elif isinstance(value, list):
                stack.extend(((*path, i), v) for i, v in reversed(list(enumerate(value))))

    def child(self, *path: str | int) -> Located:
        """The subtree at ``path`` (of this subtree's data, rendered or as written)."""
        return Located(self.doc, (*self.base, *path), _walk(self.data, path))

    def rendered(self, data: Any) -> Located:
        """This subtree with ``data`` in place of its values, cited at the same lines."""
        return Located(self.doc, self.base, data)


class Overlaid(Located):
    """A subtree merged from two places of one document, each value cited where written.

    An ApplicationSet generator's own ``template`` is merged over the ApplicationSet's
    ``template``: the fields the generator writes cite its lines, the others the
    ApplicationSet's.
    """

    __slots__ = ("over",)

    def __init__(self, doc: LocatedDocument, base: PathKey, data: Any, over: PathKey) -> None:
        """``data`` read at ``base``, except what is written below ``over`` in ``doc``."""
        super().__init__(doc, base, data)
        self.over = over

    def written_at(self, *path: str | int) -> PathKey:
        """Below ``over`` when the overriding subtree writes ``path``, else below ``base``."""
        if _walk(self.doc.data, (*self.over, *path), missing=_MISSING) is not _MISSING:
            return (*self.over, *path)
        return (*self.base, *path)

    def child(self, *path: str | int) -> Located:
        """The subtree at ``path``, still citing each value where it is written."""
        return Overlaid(self.doc, (*self.base, *path), _walk(self.data, path), (*self.over, *path))

    def rendered(self, data: Any) -> Located:
        """This subtree with ``data`` in place of its values, each cited where written."""
        return Overlaid(self.doc, self.base, data, self.over)


def describe(key: str | int | None, value: Any) -> str:
    """A one-line text for evidence: ``key: value`` for scalars, ``key:`` for blocks."""
    if isinstance(value, Mapping | list):
        body = ""
    elif isinstance(value, str):
        body = value.strip().splitlines()[0] if value.strip() else '""'
        if "\n" in value.strip():
            body += " ..."
    else:
        body = (
            "null"
            if value is None
            else str(value).lower()
            if isinstance(value, bool)
            else str(value)
        )
    if key is None:
        return body or "document"
    if isinstance(key, int):
        return f"- {body}".rstrip()
    return f"{key}: {body}".rstrip()


def embedded_documents(
    text: str, source: str, first_line: int, indent: int = 0
) -> list[LocatedDocument]:
    """Parse YAML written inside a string, with positions in the outer file.

    Args:
        text: the string's content.
        source: the outer file.
        first_line: the outer line that holds the string's first line.
        indent: columns the string's lines are indented by in the outer file.

    Raises:
        YamlError: the content is not YAML (even read as a template) or is hostile.
    """
    unknown = UNKNOWN in text  # the outer file was read as a template
    try:
        documents = list(iter_yaml_documents(text, source, duplicates="keep-last", spans=True))
    except HostileYamlError:
        raise
    except YamlError:
        # Inline values of a template (``replicas: {{ cookiecutter.replicas }}``) are read
        # as the file around them would be; see ``templating``.
        if not is_template(text):
            raise
        untemplated = untemplate(text).text
        documents = list(
            iter_yaml_documents(untemplated, source, duplicates="keep-last", spans=True)
        )
        unknown = True
    if unknown:
        for document in documents:
            forget_unknown(document.data)
    return [doc.shifted(first_line - 1, indent) for doc in documents]


def block_string_documents(
    owner: Located, path: PathKey, source_text: str
) -> list[LocatedDocument]:
    """Parse the YAML string at ``path`` of ``owner`` (e.g. ``helm.values: |``).

    A literal block (``|``) maps line for line onto the outer file, so every key
    keeps its exact line. Any other string style is parsed too, but every position
    then points at the line of the string itself.

    Raises:
        YamlError: the string is not YAML or is hostile.
    """
    value = owner.get(*path)
    if not isinstance(value, str):
        return []
    full = owner.written_at(*path)
    where = owner.doc.locate(full)
    line, column = where.line, where.column
    lines = source_text.splitlines()
    if 0 < line <= len(lines) and _is_literal(lines, line, column):
        indent = _indent_of(lines, line)
        return embedded_documents(value, owner.file, line + 1, indent)
    documents = embedded_documents(value, owner.file, 1)
    return [d.pinned(line) for d in documents]


def _is_literal(lines: list[str], line: int, column: int) -> bool:
    return lines[line - 1][column - 1 : column].startswith("|")


def _indent_of(lines: list[str], line: int) -> int:
    for text in lines[line:]:
        if text.strip():
            return len(text) - len(text.lstrip(" "))
    return 0


def _label(path: PathKey) -> str | int | None:
    """The last key of a path, with its parent key for context (``injector.enabled``)."""
    if not path:
        return None
    if len(path) >= 2 and isinstance(path[-1], str) and isinstance(path[-2], str):
        return f"{path[-2]}.{path[-1]}"
    return path[-1]


_MISSING: Any = object()


def _walk(data: Any, path: PathKey, missing: Any = None) -> Any:
    node = data
    for key in path:
        if isinstance(node, Mapping):
            if key not in node:
                return missing
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            return missing
    return node


def as_mapping(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a mapping, else an empty one (strangers' YAML has any shape)."""
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list, else an empty one."""
    return value if isinstance(value, list) else []
