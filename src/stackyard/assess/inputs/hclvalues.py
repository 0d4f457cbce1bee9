"""HCL expressions read as located values: object literals and the files they name.

Terraform hands Helm values and Kubernetes manifests over as HCL expressions:
``values = [file("values.yaml"), yamlencode({ server = { replicas = 2 } })]``,
``manifest = { apiVersion = "v1", kind = "ConfigMap", ... }``. An object literal
becomes a ``LocatedDocument`` whose every key keeps the line it is written on in the
``.tf`` file, so a detector reading ``server.replicas`` cites that line exactly as it
would in a YAML values file. ``file("...")`` / ``templatefile("...")`` calls are
returned as paths with their lines, for the index to read like any values file.

Only literals are read: a key or value computed from variables stays the expression
text (``${var.replicas}``); Terraform decides it at plan time, not the repository.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hcl2.rules.containers import ObjectRule, TupleRule
from hcl2.rules.expressions import ExprTermRule
from hcl2.rules.functions import FunctionCallRule
from hcl2.rules.strings import HeredocTemplateRule

from stackyard.yamlio import LocatedDocument

ENCODERS = frozenset({"yamlencode", "jsonencode"})
FILE_READERS = frozenset({"file", "templatefile"})
MAX_DEPTH = 64  # of a literal converted; deeper parts stay expression text


def expression_of(node: Any) -> Any:
    """The expression inside ``node``, without the term wrappers python-hcl2 adds."""
    while isinstance(node, ExprTermRule):
        node = node.expression
    return node


def object_literals(expression: Any, file: str, offset: int) -> Iterator[LocatedDocument]:
    """Object literals of an attribute: the value itself, items of a list, encoder calls."""
    expression = expression_of(expression)
    if isinstance(expression, ObjectRule):
        yield _document(expression, file, offset)
    elif isinstance(expression, TupleRule):
        for element in expression.elements:
            yield from object_literals(element, file, offset)
    elif isinstance(expression, FunctionCallRule) and _name(expression) in ENCODERS:
        arguments = expression.arguments
        if arguments is not None and arguments.arguments:
            first = expression_of(arguments.arguments[0])
            if isinstance(first, ObjectRule):
                yield _document(first, file, offset)


def file_calls(expression: Any, offset: int, depth: int = 0) -> Iterator[tuple[str, int]]:
    """``(path as written, line)`` of each ``file()``/``templatefile()`` call in it."""
    expression = expression_of(expression)
    if depth > 8:
        return
    if isinstance(expression, TupleRule):
        for element in expression.elements:
            yield from file_calls(element, offset, depth + 1)
    elif isinstance(expression, FunctionCallRule):
        arguments = expression.arguments
        values = arguments.arguments if arguments is not None else []
        if _name(expression) in FILE_READERS and values:
            path = _text(values[0])
            if path:
                yield path, expression._meta.line + offset
            return
        for value in values:
            yield from file_calls(value, offset, depth + 1)


def heredoc_texts(expression: Any, offset: int) -> Iterator[tuple[str, int, int]]:
    """Heredocs of an attribute (itself or list items): content, first line, indent.

    The indent is what ``<<-`` strips from every line, so YAML inside keeps its columns.
    """
    expression = expression_of(expression)
    if isinstance(expression, TupleRule):
        for element in expression.elements:
            yield from heredoc_texts(element, offset)
    elif isinstance(expression, HeredocTemplateRule):
        lines = str(expression.heredoc).rstrip("\r\n").split("\n")[1:-1]  # no <<EOT, EOT
        indents = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
        indent = min(indents, default=0)
        content = "\n".join(line[indent:] for line in lines)
        yield content, expression._meta.line + offset + 1, indent


def _document(node: ObjectRule, file: str, offset: int) -> LocatedDocument:
    data, entry = _convert(node, offset, 0, 0)
    return LocatedDocument(file, data, positions=entry, start_line=node._meta.line + offset)


def _convert(node: Any, offset: int, key_line: int, depth: int) -> tuple[Any, Any]:
    """Plain data and the position tree ``LocatedDocument`` reads (see yamlio.loader)."""
    node = expression_of(node)
    line = node._meta.line + offset if hasattr(node, "_meta") else key_line
    last = node._meta.end_line + offset if hasattr(node, "_meta") else line
    key_column = 1 if key_line else 0
    if depth < MAX_DEPTH and isinstance(node, ObjectRule):
        data: dict[str, Any] = {}
        children: dict[str, Any] = {}
        for element in node.elements:
            key = unquote(element.key.serialize())
            element_line = element._meta.line + offset
            data[key], children[key] = _convert(element.expression, offset, element_line, depth + 1)
        return data, (key_line, key_column, line, 1, last, children)
    if depth < MAX_DEPTH and isinstance(node, TupleRule):
        items = [_convert(element, offset, 0, depth + 1) for element in node.elements]
        return [d for d, _ in items], (key_line, key_column, line, 1, last, [e for _, e in items])
    return unquote(node.serialize()), (key_line, key_column, line, 1, last, None)


def _name(call: FunctionCallRule) -> str:
    return ".".join(str(i.serialize()) for i in call.identifiers)


def _text(node: Any) -> str:
    value = unquote(expression_of(node).serialize())
    return value if isinstance(value, str) else ""


def unquote(value: Any) -> Any:
    """A serialized HCL string without its quotes (any other value as it is)."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value
