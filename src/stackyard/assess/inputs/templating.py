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
# delimiters are ``#|`` on both ends. One pattern per kind, each run only up to the
# kind's last closing delimiter: past it no opening can match, and trying each one
# there would rescan the rest of the text (quadratic on ``{#{#{#…``).
_COMMENTS = (
    (re.compile(r"\{#.*?#\}", re.DOTALL), re.compile(r"#\}")),
    (re.compile(r"\{\{-?\s*/\*.*?\*/\s*-?\}\}", re.DOTALL), re.compile(r"\*/\s*-?\}\}")),
    (re.compile(r"#\|.*?#\|", re.DOTALL), re.compile(r"#\|")),
)
# Placeholders: an opening and the first closing after it (Go/Helm and Jinja ``{{ }}``,
# Backstage ``${{ }}``, makejinja ``#{ }#``; statements ``{% %}``, makejinja ``#% %#``).
# Found with ``str.find`` (one pass per line): a lazy regex tried at every opening
# that has no closing after it would be quadratic, and ``(?:{{.*?}}\s*)+`` exponential.
_ACTIONS = (("{{", "}}"), ("#{", "}#"))
_TAGS = (("{%", "%}"), ("#%", "%#"))
_ENVSUBST = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?:[:?=+-][^}]*)?\}")
_ANGLE = re.compile(r"<[A-Za-z][A-Za-z0-9_.-]*>")
_TRAILING_COMMENT = re.compile(r"\s+#.*")
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

    for comment, closing in _COMMENTS:
        last = max(closing.finditer(text), key=lambda m: m.end(), default=None)
        if last is not None:
            text = comment.sub(blank, text[: last.end()]) + text[last.end() :]
    lines = []
    unknown = logic = 0
    for line in text.split("\n"):
        spans = _spans(line, envsubst=False)
        if spans and _only_spans(line, spans):
            lines.append("")
            logic += 1
            continue
        value = _VALUE.match(line)
        if value and _only_placeholders(value.group("value")):
            lines.append(value.group("lead") + UNKNOWN)
            unknown += 1
            continue
        lines.append(_replaced(line, spans))
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


def _spans(line: str, envsubst: bool) -> dict[int, int]:
    """The placeholders of ``line``, leftmost first, as start -> end.

    Template actions and statements always; with ``envsubst`` also ``${VAR}`` and
    ``<PLACEHOLDER>``. Each kind's next opening is searched again only once passed, and
    an opening with no closing after it ends the search for its kind (no later opening
    of that kind can close either): one pass over the line per kind.
    """
    closings = dict(_ACTIONS + _TAGS)
    if envsubst:
        closings.update({"${": "}", "<": ">"})
    following = {opening: line.find(opening) for opening in closings}
    spans: dict[int, int] = {}
    position = taken = 0  # where to search from; where the last placeholder ended
    while True:
        live = [(at, opening) for opening, at in following.items() if at >= 0]
        if not live:
            return spans
        start, opening = min(live)
        closing = closings[opening]
        end = line.find(closing, start + len(opening))
        if end < 0:
            del following[opening]
            continue
        end += len(closing)
        if opening in ("${", "<"):
            match = (_ENVSUBST if opening == "${" else _ANGLE).match(line, start)
            end = match.end() if match is not None else -1
        if end >= 0:
            if opening == "{{" and start > taken and line[start - 1] == "$":
                start -= 1  # Backstage ${{ }}
            spans[start] = end
            position = taken = end
        else:
            position = max(position, start + 1)
        for other, at in following.items():
            if 0 <= at < position:
                following[other] = line.find(other, position)


def _only_spans(line: str, spans: dict[int, int]) -> bool:
    """Whether ``line`` holds nothing but ``spans`` and whitespace."""
    position = 0
    for start, end in spans.items():
        if line[position:start].strip():
            return False
        position = end
    return not line[position:].strip()


def _only_placeholders(value: str) -> bool:
    """Whether a value is only placeholders, maybe quoted, maybe with a trailing comment."""
    quote = value[0] if value[:1] in ("'", '"') else ""
    spans = _spans(value, envsubst=True)
    position = len(quote)
    count = 0
    while True:
        start = len(value[position:]) - len(value[position:].lstrip()) + position
        if start not in spans:
            break
        position = spans[start]
        count += 1
    if not count:
        return False
    rest = value[position:]
    if quote:
        rest = rest.lstrip()
        if not rest.startswith(quote):
            return False
        rest = rest[1:]
    return not rest.strip() or bool(_TRAILING_COMMENT.fullmatch(rest))


def _replaced(line: str, spans: dict[int, int]) -> str:
    """``line`` with each template action or statement replaced by ``TEMPLATE``."""
    out: list[str] = []
    position = 0
    for start, end in spans.items():
        out.append(line[position:start])
        out.append(INLINE)
        position = end
    out.append(line[position:])
    return "".join(out)


def _encloses(text: str, opening: str, closing: str) -> bool:
    """Whether ``text`` holds ``opening`` with ``closing`` somewhere after it."""
    start = text.find(opening)
    return start >= 0 and text.find(closing, start + len(opening)) >= 0


def _dialects(text: str) -> tuple[str, ...]:
    found = []
    if "cookiecutter." in text:
        found.append("cookiecutter")
    if "${{" in text:
        found.append("Backstage")
    if "{%" in text or "{#" in text:
        found.append("Jinja")
    if any(_encloses(text, opening, closing) for opening, closing in (("#{", "}#"), ("#%", "%#"))):
        found.append("makejinja")
    if re.search(r"\{\{-?\s*(?:\.|include |template |toYaml |if |range |with |end)", text):
        found.append("Helm")
    return tuple(found) or ("{{ }}",)
