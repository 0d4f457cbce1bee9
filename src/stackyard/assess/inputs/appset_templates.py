"""The two template syntaxes of Argo CD ApplicationSets, evaluated the way the controller does.

An ApplicationSet renders its ``template`` once per parameter set a generator yields.
Without ``goTemplate: true`` the controller uses fasttemplate: ``{{name}}`` is replaced
by the flat parameter ``name`` (dotted names such as ``values.addonChart`` or
``path[0]`` are single keys), and a tag that names no parameter is left as written
(https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/Template/).
With ``goTemplate: true`` it is Go's ``text/template`` with Sprig functions over nested
parameters: ``{{.values.addonChart}}``, ``{{ index .metadata.labels "env" }}``,
``{{ .path.basename | lower }}``
(https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/GoTemplate/).

Only what an assessment needs is evaluated: parameter look-ups, ``index``, pipelines of
a few string functions and ``default``. Anything else — ``if``/``range`` logic, other
functions — is reported as a gap rather than guessed, and so is a parameter the
generators do not provide: the caller says whether that value is known only at run
time. A gap never becomes a glob.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_NESTING = 20  # parentheses inside one action: deeper is refused, not recursed into
_CONTROL = frozenset({"if", "else", "end", "range", "with", "define", "template", "block", "break"})
_TOKEN = re.compile(r'\s*("(?:[^"\\]|\\.)*"|`[^`]*`|\(|\)|\||[^\s()|]+)')
_INVALID_DNS = re.compile(r"[^-a-z0-9.]")


@dataclass(frozen=True)
class Gap:
    """A template expression that could not be evaluated, and why."""

    expression: str
    missing: bool  # True: a parameter the generators did not provide; False: unsupported


@dataclass(frozen=True)
class Rendered:
    """A string rendered with one parameter set; gaps are left as written."""

    text: str
    gaps: tuple[Gap, ...]


PlacedGap = tuple[tuple[str | int, ...], Gap]


class _Missing:
    """A parameter that is not there (Go's ``<no value>``)."""

    def __init__(self, expression: str) -> None:
        self.expression = expression


class _UnsupportedError(Exception):
    """A construct this evaluator does not run."""


def is_templated(text: str) -> bool:
    """Whether ``text`` holds a template action."""
    return "{{" in text and "}}" in text


def render(text: str, params: Mapping[str, Any], go_template: bool) -> Rendered:
    """``text`` rendered with ``params`` in the ApplicationSet's syntax."""
    if not is_templated(text):
        return Rendered(text, ())
    return _render_go(text, params) if go_template else _render_fast(text, params)


def render_tree(
    value: Any, params: Mapping[str, Any], go_template: bool
) -> tuple[Any, list[PlacedGap]]:
    """Every string of a YAML tree rendered; the gaps with the path where each was found."""
    gaps: list[PlacedGap] = []

    def walk(node: Any, path: tuple[str | int, ...]) -> Any:
        if isinstance(node, str):
            rendered = render(node, params, go_template)
            gaps.extend((path, gap) for gap in rendered.gaps)
            return rendered.text
        if isinstance(node, Mapping):
            return {k: walk(v, (*path, str(k))) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, (*path, i)) for i, v in enumerate(node)]
        return node

    return walk(value, ()), gaps


def sanitize_name(name: str) -> str:
    """Argo CD's ``SanitizeName``: lowercase, ``[-a-z0-9.]`` only, at most 253 characters."""
    return _INVALID_DNS.sub("-", name.lower())[:253].strip("-.")


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """Nested parameters as fasttemplate sees them: ``{"a": {"b": 1}}`` is ``a.b: "1"``."""
    flat: dict[str, str] = {}
    if isinstance(value, Mapping):
        for key, item in value.items():
            flat.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            flat.update(flatten(item, f"{prefix}.{i}" if prefix else str(i)))
    elif prefix:
        flat[prefix] = _go_string(value)
    return flat


def _actions(text: str) -> Iterator[tuple[int, int, str]]:
    """Each ``{{ … }}`` of ``text``: its start, its end and what is inside.

    An action ends at the first ``}}`` after its ``{{``, as in both engines; found with
    ``str.find`` so that text with many ``{{`` and no ``}}`` after them costs one pass
    (a lazy regular expression would rescan the rest of the text from every ``{{``).
    """
    position = 0
    while True:
        start = text.find("{{", position)
        if start < 0:
            return
        end = text.find("}}", start + 2)
        if end < 0:
            return
        yield start, end + 2, text[start + 2 : end]
        position = end + 2


def _render_fast(text: str, params: Mapping[str, Any]) -> Rendered:
    out: list[str] = []
    gaps: list[Gap] = []
    position = 0
    for start, end, inner in _actions(text):
        out.append(text[position:start])
        position = end
        tag = inner.strip()
        value = params.get(tag)
        if tag and isinstance(value, str):
            out.append(value)
            continue
        if tag:
            gaps.append(Gap(text[start:end], missing=True))
        out.append(text[start:end])
    out.append(text[position:])
    return Rendered("".join(out), tuple(gaps))


def _render_go(text: str, params: Mapping[str, Any]) -> Rendered:
    out: list[str] = []
    gaps: list[Gap] = []
    position = 0
    trim_next = False
    for start, end, inner in _actions(text):
        literal = text[position:start]
        if trim_next:
            literal = literal.lstrip()
        trim_left = inner[:1] == "-" and inner[1:2].isspace()
        trim_right = len(inner) >= 2 and inner[-1] == "-" and inner[-2].isspace()
        if trim_left:
            literal = literal.rstrip()
        out.append(literal)
        trim_next = trim_right
        position = end
        written = text[start:end]
        action = inner[2 if trim_left else 0 : -2 if trim_right else None].strip()
        if action.startswith("/*"):
            continue
        try:
            value = _pipeline(_tokens(action), params)
        except _UnsupportedError:
            gaps.append(Gap(written, missing=False))
            out.append(written)
            continue
        if isinstance(value, _Missing):
            gaps.append(Gap(written, missing=True))
            out.append(written)
        else:
            out.append(_go_string(value))
    tail = text[position:]
    out.append(tail.lstrip() if trim_next else tail)
    return Rendered("".join(out), tuple(gaps))


def _tokens(action: str) -> list[str]:
    tokens = []
    position = 0
    while position < len(action):
        match = _TOKEN.match(action, position)
        if match is None or not match.group(1):
            break
        tokens.append(match.group(1))
        position = match.end()
    if not tokens or tokens[0] in _CONTROL or any(":=" in t or t == "=" for t in tokens):
        raise _UnsupportedError(action)
    depth = deepest = 0
    for token in tokens:
        depth += (token == "(") - (token == ")")
        deepest = max(deepest, depth)
    if deepest > MAX_NESTING:
        raise _UnsupportedError(action)
    return tokens


def _pipeline(tokens: Sequence[str], params: Mapping[str, Any]) -> Any:
    commands: list[list[str]] = [[]]
    depth = 0
    for token in tokens:
        if token == "|" and depth == 0:
            commands.append([])
            continue
        depth += (token == "(") - (token == ")")
        commands[-1].append(token)
    value: Any = None
    for i, command in enumerate(commands):
        if not command:
            raise _UnsupportedError("empty command")
        value = _command(command, params, piped=(value,) if i else ())
    return value


def _command(tokens: list[str], params: Mapping[str, Any], piped: tuple[Any, ...]) -> Any:
    args = _arguments(tokens, params)
    head = tokens[0]
    if head in _FUNCTIONS:
        try:
            return _FUNCTIONS[head](*args[1:], *piped)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as e:
            # Wrong arguments for the function (``lower`` alone, ``join 1 .list``):
            # the controller fails to render too; here it is a gap, never a crash.
            raise _UnsupportedError(" ".join(tokens)) from e
    if piped or len(args) != 1:
        raise _UnsupportedError(" ".join(tokens))
    return args[0]


def _arguments(tokens: list[str], params: Mapping[str, Any]) -> list[Any]:
    args: list[Any] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "(":
            depth, j = 1, i + 1
            while j < len(tokens) and depth:
                depth += (tokens[j] == "(") - (tokens[j] == ")")
                j += 1
            args.append(_pipeline(tokens[i + 1 : j - 1], params))
            i = j
            continue
        args.append(_operand(token, params) if i or token not in _FUNCTIONS else token)
        i += 1
    return args


def _operand(token: str, params: Mapping[str, Any]) -> Any:
    if token.startswith('"'):
        try:
            return json.loads(token)
        except ValueError as e:  # an escape Go accepts and JSON does not (``"\\x41"``)
            raise _UnsupportedError(token) from e
    if token.startswith("`"):
        return token[1:-1]
    if token in ("true", "false"):
        return token == "true"
    if re.fullmatch(r"-?\d+", token):
        return int(token)
    if token in (".", "$"):
        return params
    if token.startswith((".", "$.")):
        node: Any = params
        for part in token.removeprefix("$").strip(".").split("."):
            if not isinstance(node, Mapping) or part not in node:
                return _Missing(token)
            node = node[part]
        return node
    raise _UnsupportedError(token)


def _go_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<no value>"
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{_go_string(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_go_string(v) for v in value) + "]"
    return str(value)


def _strict(function: Callable[..., Any]) -> Callable[..., Any]:
    """A function that cannot run on a missing parameter: the gap propagates."""

    def call(*args: Any) -> Any:
        for arg in args:
            if isinstance(arg, _Missing):
                return arg
        return function(*args)

    return call


def _index(collection: Any, *keys: Any) -> Any:
    node = collection
    for key in keys:
        found = (isinstance(node, Mapping) and key in node) or (
            isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)
        )
        if not found:
            return _Missing(f"index {key}")
        node = node[key]
    return node


def _default(fallback: Any, *given: Any) -> Any:
    value = given[0] if given else None
    if isinstance(value, _Missing) or value in (None, "", [], {}, False, 0):
        return fallback
    return value


def _printf(form: str, *args: Any) -> str:
    if re.search(r"%[^svd%]", form):
        raise _UnsupportedError(form)
    return re.sub(r"%[svd]", lambda _: _go_string(args[0]) if args else "", form)


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "index": _strict(_index),
    "default": _default,
    "lower": _strict(lambda s: _go_string(s).lower()),
    "upper": _strict(lambda s: _go_string(s).upper()),
    "trim": _strict(lambda s: _go_string(s).strip()),
    "trimPrefix": _strict(lambda p, s: _go_string(s).removeprefix(p)),
    "trimSuffix": _strict(lambda p, s: _go_string(s).removesuffix(p)),
    "replace": _strict(lambda old, new, s: _go_string(s).replace(old, new)),
    "quote": _strict(lambda s: json.dumps(_go_string(s))),
    "squote": _strict(lambda s: f"'{_go_string(s)}'"),
    "normalize": _strict(lambda s: sanitize_name(_go_string(s))),
    "toString": _strict(_go_string),
    "toJson": _strict(lambda v: json.dumps(v, separators=(",", ":"))),
    "toRawJson": _strict(lambda v: json.dumps(v, separators=(",", ":"))),
    "toYaml": _strict(lambda v: json.dumps(v)),  # JSON is YAML: enough to read it back
    "printf": _strict(_printf),
    "base": _strict(lambda s: _go_string(s).rstrip("/").rpartition("/")[2]),
    "dir": _strict(lambda s: _go_string(s).rpartition("/")[0] or "."),
    "join": _strict(lambda sep, items: sep.join(_go_string(i) for i in items)),
}
