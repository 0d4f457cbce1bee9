"""Turn the text of a YAML file into located documents, tolerating what strangers write.

The shared loader (``stackyard.yamlio``) is strict on purpose. An assessment must
read whatever a repository holds and say what it could not read, so per case:

- duplicate keys: the later value wins (as in most parsers) and a notice names the line;
- invalid YAML (a syntax error, a date that does not exist): the documents before the
  broken one are kept, and a notice says where it broke;
- hostile YAML — alias or merge bombs, over-deep nesting, custom or Python tags, which
  the loader raises as ``HostileYamlError``: the whole file is skipped with a notice
  ("unsafe YAML") — nothing from a hostile file is trusted;
- template syntax (Helm ``{{ }}``, Jinja and cookiecutter ``{% %}``, Backstage
  ``${{ }}``) that breaks the YAML: the file is read as a template
  (``stackyard.assess.inputs.templating``: lines kept, placeholder values unknown), and a
  notice says so and how much was unknown; if it still does not parse, it is skipped
  with a notice. A file named as a Jinja template of YAML (``*.yaml.j2``) is always read
  as a template, even when it parses as written (its placeholders may hide in YAML
  comments or strings); the notice is given only when something was replaced.

Every document keeps line spans for every key path (``spans=True``).
"""

from __future__ import annotations

import json

from stackyard.assess.inputs.templating import (
    forget_unknown,
    is_jinja_file,
    is_template,
    untemplate,
)
from stackyard.assess.model import Notice
from stackyard.errors import HostileYamlError, YamlError
from stackyard.wording import counted
from stackyard.yamlio import LocatedDocument, iter_yaml_documents


def yaml_documents(text: str, source: str, notices: list[Notice]) -> list[LocatedDocument]:
    """Every readable document of ``text``; problems become notices."""
    if is_jinja_file(source):
        return _template_documents(text, source, notices)
    documents, error = _load(text, source)
    if error is not None and is_template(text) and not _hostile(error):
        return _template_documents(text, source, notices)
    if error is not None:
        if _hostile(error):
            notices.append(Notice(source, f"unsafe YAML, file skipped: {_first(error)}"))
            return []
        kept = f"; kept the {len(documents)} documents before it" if documents else ""
        notices.append(Notice(source, f"{_first(error)}{kept}"))
    return _with_warnings(documents, notices)


def _template_documents(text: str, source: str, notices: list[Notice]) -> list[LocatedDocument]:
    """A file that only parses with its template syntax replaced (``templating``)."""
    untemplated = untemplate(text)
    documents, again = _load(untemplated.text, source)
    dialects = ", ".join(untemplated.dialects)
    if again is not None and _hostile(again):
        notices.append(Notice(source, f"unsafe YAML, file skipped: {_first(again)}"))
        return []
    if again is not None:
        reason = _first(again)
        notices.append(
            Notice(
                source,
                f"template ({dialects}) that is not YAML even with its template syntax "
                f"replaced: skipped ({reason})",
            )
        )
        return []
    for document in documents:
        forget_unknown(document.data)
    if untemplated.text == text:  # a Jinja file by name that holds no template syntax
        return _with_warnings(documents, notices)
    unknown, logic = untemplated.unknown, untemplated.logic_lines
    parts = []
    if unknown:
        parts.append(f"{counted(unknown, 'placeholder value')} unknown (not counted)")
    if logic:
        parts.append(f"{counted(logic, 'template logic line')} ignored")
    if not parts:
        parts.append("placeholders inside values read as TEMPLATE")
    notices.append(
        Notice(source, f"read as a template ({dialects}): {'; '.join(parts)}", "template")
    )
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
