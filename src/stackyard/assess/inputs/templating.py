"""Read YAML written as a template: placeholders out, lines kept, templated values unknown.

Platform repositories are often generated from templates, or are templates: a
cookiecutter or copier project (``{{ cookiecutter.name }}``, ``{% if %}`` lines), a
Backstage software template (``${{ values.name }}``), a Helm chart's templates
(``{{ .Values.x }}``), a file meant for ``envsubst`` (``${DOMAIN}``) or one with
``<PLACEHOLDER>`` values. One ``name: {{ cookiecutter.name }}`` line is a YAML error
(a flow mapping used as a key), and a file that does not parse loses every fact in it.

Policy, applied only to a file that does not parse as written and holds ``{{``, ``{%``
or ``{#`` (a file that parses is read as written: an ApplicationSet's
``'{{.values.chart}}'`` is the GitOps engine's own templating, resolved elsewhere):

- every line stays where it was, so every cited line is exact;
- a line that is only template logic (``{% if x %}``, ``{% endif %}``, ``{{- with .Values.x }}``,
  ``{{ toYaml .Values.r | nindent 4 }}``) or a comment (``{# #}``, ``{{/* */}}``) becomes
  empty: the content of a conditional block is read as if its condition held;
- a value written only as placeholders (``replicas: {{ x }}``, ``- ${{ values.host }}``,
  and in such a file ``${VAR}`` and ``<PLACEHOLDER>``) is unknown: the key is left out
  of the data, and a block left empty by that is left out too, so no detector counts
  it as a setting (``cpu: {{ x }}`` is no CPU request, ``enabled: {{ x }}`` nothing
  enabled). A templated ``name`` or ``namespace`` reads ``TEMPLATE``: it names an
  object, it sets nothing;
- a placeholder inside a longer value becomes the word ``TEMPLATE``
  (``{{ cookiecutter.slug }}-grafana`` reads ``TEMPLATE-grafana``).

A file named ``*.yaml.j2`` (or ``*.yml.j2``, ``*.yaml.tpl.j2``) is a Jinja template by
name, so it is always read this way, even when it parses as written: makejinja, as
used by Flux + Talos cluster templates, writes ``#{ var }#`` placeholders and
``#% if %#`` statements, which YAML reads as comments or as literal strings
(``mode: "#{ cilium.mode }#"``) rather than as unknown values
(https://github.com/mirkolenz/makejinja, ``[makejinja.delimiter]`` in makejinja.toml).

The text parsed goes through the same safe loader as any file (size cap, alias and
merge bombs, depth, tags refused), so a template cannot smuggle in what a plain file
cannot.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

MARKERS = ("{{", "{%", "{#")
INLINE = "TEMPLATE"
UNKNOWN = "__stackyard_templated_value__"  # stands for a value written only as placeholders
IDENTITY_KEYS = frozenset({"name", "namespace"})

JINJA_SUFFIXES = (".yaml.j2", ".yml.j2", ".yaml.tpl.j2", ".yml.tpl.j2")

# Comments first: they may span lines (their newlines are kept). makejinja's comment
# delimiters are ``#|`` on both ends.
_COMMENT = re.compile(r"\{#.*?#\}|\{\{-?\s*/\*.*?\*/\s*-?\}\}|#\|.*?#\|", re.DOTALL)
_ACTION = r"\$?\{\{.*?\}\}|#\{.*?\}#"  # Go/Helm, Jinja, Backstage ${{ }}, makejinja #{ }#
_TAG = r"\{%.*?%\}|#%.*?%#"  # Jinja statements, makejinja #% %#
_ENVSUBST = r"\$\{[A-Za-z_][A-Za-z0-9_]*(?:[:?=+-][^}]*)?\}"
_ANGLE = r"<[A-Za-z][A-Za-z0-9_.-]*>"
_INLINE = re.compile(f"{_ACTION}|{_TAG}")
_LOGIC_LINE = re.compile(rf"^\s*(?:(?:{_ACTION}|{_TAG})\s*)+$")
_PLACEHOLDER = rf"(?:{_ACTION}|{_TAG}|{_ENVSUBST}|{_ANGLE})"
_ONLY_PLACEHOLDERS = re.compile(
    rf"(?P<q>[\"']?)\s*(?:{_PLACEHOLDER}\s*)+(?P=q)(?P<comment>\s+#.*)?"
)
# The value part of ``key: value``, ``- value`` or ``- key: value`` (no flow collections).
_VALUE = re.compile(
    r"^(?P<lead>\s*(?:-\s+)*(?:(?:\"[^\"]*\"|'[^']*'|[^\s\"'{#\[<$-][^#]*?|[^\s\"'{#\[<$])"
    r"\s*:\s+)?)(?P<value>\S.*)$"
)


@dataclass(frozen=True)
class Untemplated:
    """A template's text ready to parse, and what was done to it."""

    text: str
    dialects: tuple[str, ...]  # template languages recognised, for the notice
    unknown: int  # values written only as placeholders
    logic_lines: int  # lines of template logic or comments emptied


def is_template(text: str) -> bool:
    """Whether the text holds template syntax worth undoing when it fails to parse."""
    return any(marker in text for marker in MARKERS)


def is_jinja_file(path: str) -> bool:
    """Whether the file is a Jinja template of YAML by its name (``*.yaml.j2``)."""
    return path.lower().endswith(JINJA_SUFFIXES)


def untemplate(text: str) -> Untemplated:
    """The text with template syntax replaced, every line where it was."""
    comment_lines = 0

    def blank(match: re.Match[str]) -> str:
        nonlocal comment_lines
        comment_lines += 1
        return "\n" * match.group(0).count("\n")

    text = _COMMENT.sub(blank, text)
    lines = []
    unknown = logic = 0
    for line in text.split("\n"):
        if _LOGIC_LINE.match(line):
            lines.append("")
            logic += 1
            continue
        value = _VALUE.match(line)
        if value and _ONLY_PLACEHOLDERS.fullmatch(value.group("value")):
            lines.append(value.group("lead") + UNKNOWN)
            unknown += 1
            continue
        lines.append(_INLINE.sub(INLINE, line))
    return Untemplated("\n".join(lines), _dialects(text), unknown, logic + comment_lines)


def forget_unknown(data: Any) -> None:
    """Leave out of parsed data every value written only as placeholders (in place).

    A mapping key with such a value is removed (``name`` and ``namespace`` read
    ``TEMPLATE``), and so is a block that this left empty; a list item becomes None,
    so the items after it keep their index (and their positions).
    """
    _forget(data)


def _forget(node: Any) -> bool:
    """Clean ``node``; True when it is a block that only unknown values emptied."""
    if isinstance(node, MutableMapping):
        if not node:
            return False
        for key in list(node):
            value = node[key]
            if value == UNKNOWN:
                if key in IDENTITY_KEYS:
                    node[key] = INLINE
                else:
                    del node[key]
            elif _forget(value):
                del node[key]
        return not node
    if isinstance(node, list):
        for index, item in enumerate(node):
            if item == UNKNOWN:
                node[index] = None
            else:
                _forget(item)
    return False


def _dialects(text: str) -> tuple[str, ...]:
    found = []
    if "cookiecutter." in text:
        found.append("cookiecutter")
    if "${{" in text:
        found.append("Backstage")
    if "{%" in text or "{#" in text:
        found.append("Jinja")
    if re.search(r"#\{.*?\}#|#%.*?%#", text):
        found.append("makejinja")
    if re.search(r"\{\{-?\s*(?:\.|include |template |toYaml |if |range |with |end)", text):
        found.append("Helm")
    return tuple(found) or ("{{ }}",)
