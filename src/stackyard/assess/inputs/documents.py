"""Turn the text of a YAML file into located documents, tolerating what strangers write.

The shared loader (``stackyard.yamlio``) is strict on purpose. An assessment must
read whatever a repository holds and say what it could not read, so per case:

- duplicate keys: the later value wins (as in most parsers) and a notice names the line;
- invalid YAML (a syntax error, a date that does not exist): the documents before the
  broken one are kept, and a notice says where it broke;
- hostile YAML — alias or merge bombs, over-deep nesting, custom or Python tags, which
  the loader raises as ``HostileYamlError``: the whole file is skipped with a notice
  ("unsafe YAML") — nothing from a hostile file is trusted;
- Helm template syntax (``{{ }}``) that breaks the YAML: template actions are blanked
  (line numbers kept), the file is parsed again, and a notice says the values may be
  incomplete; if it still does not parse, it is skipped with a notice.

Every document keeps line spans for every key path (``spans=True``).
"""

from __future__ import annotations

import json
import re

from stackyard.assess.model import Notice
from stackyard.errors import HostileYamlError, YamlError
from stackyard.yamlio import LocatedDocument, iter_yaml_documents

_ACTION_LINE = re.compile(r"^\s*\{\{-?.*?-?\}\}\s*$")
_ACTION = re.compile(r"\{\{-?.*?-?\}\}")
_COMMENT = re.compile(r"\{\{-?\s*/\*.*?\*/\s*-?\}\}", re.DOTALL)


def yaml_documents(text: str, source: str, notices: list[Notice]) -> list[LocatedDocument]:
    """Every readable document of ``text``; problems become notices."""
    documents, error = _load(text, source)
    if error is not None and "{{" in text and not _hostile(error):
        stripped, stripped_error = _load(strip_templates(text), source)
        if stripped_error is None:
            notices.append(
                Notice(
                    source,
                    "Helm template syntax ({{ }}): read with template actions blanked; "
                    "values set by the template are unknown",
                )
            )
            return _with_warnings(stripped, notices)
        notices.append(
            Notice(
                source,
                "Helm template that is not YAML even without its actions: "
                f"skipped ({_first(error)})",
            )
        )
        return []
    if error is not None:
        if _hostile(error):
            notices.append(Notice(source, f"unsafe YAML, file skipped: {_first(error)}"))
            return []
        kept = f"; kept the {len(documents)} documents before it" if documents else ""
        notices.append(Notice(source, f"{_first(error)}{kept}"))
    return _with_warnings(documents, notices)


def json_documents(text: str, source: str, notices: list[Notice]) -> list[LocatedDocument]:
    """A JSON file as one located document (JSON is read by the YAML loader for positions)."""
    try:
        json.loads(text)
    except ValueError as e:
        notices.append(Notice(source, f"invalid JSON: {e}"))
        return []
    documents, error = _load(text, source)
    if error is not None:
        notices.append(Notice(source, _first(error)))
        return []
    return _with_warnings(documents, notices)


def strip_templates(text: str) -> str:
    """Blank Helm/Go template actions, keeping every line where it was.

    A line that is only an action (``{{- if .Values.x }}``, ``{{ end }}``) becomes
    empty; an action inside a line becomes the word ``TEMPLATE``; comments spanning
    lines keep their newlines.
    """
    text = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    lines = []
    for line in text.split("\n"):
        if _ACTION_LINE.match(line):
            lines.append("")
        else:
            lines.append(_ACTION.sub("TEMPLATE", line))
    return "\n".join(lines)


def _load(text: str, source: str) -> tuple[list[LocatedDocument], YamlError | None]:
    documents: list[LocatedDocument] = []
    try:
        for document in iter_yaml_documents(text, source, duplicates="keep-last", spans=True):
            documents.append(document)
    except YamlError as e:
        return documents, e
    return documents, None


def _with_warnings(
    documents: list[LocatedDocument], notices: list[Notice]
) -> list[LocatedDocument]:
    for document in documents:
        for warning in document.warnings:
            notices.append(
                Notice(
                    document.source,
                    f"line {warning.location.line}: {warning.message}; kept the later value",
                )
            )
    return documents


def _hostile(error: YamlError) -> bool:
    # By type, not by words: libyaml's syntax errors say "not allowed" too.
    return isinstance(error, HostileYamlError)


def _first(error: YamlError) -> str:
    problem = error.problems[0]
    where = f"line {problem.location.line}: " if problem.location.line else ""
    return where + problem.message
