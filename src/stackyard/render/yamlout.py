"""Deterministic YAML output: the same objects always give the same bytes.

Keys keep the order the renderer built them in (Kubernetes readers expect
``apiVersion``, ``kind``, ``metadata``, ``spec`` first), strings that YAML would
misread (``on``, ``1.30``, ``0755``) are quoted by the dumper, and long lines are
never folded, so diffs between renders stay line-based and reviewable.
"""

from __future__ import annotations

from typing import Any

import yaml

try:
    from yaml import CSafeDumper as _Dumper
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]


class _BlockDumper(_Dumper):
    """libyaml's emitter (fast) with literal blocks for multi-line strings."""


def _multiline_strings(dumper: _BlockDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _multiline_strings)


def dump_yaml(data: Any) -> str:
    """One YAML document, block style, keys in insertion order."""
    text: str = yaml.dump(
        data,
        Dumper=_BlockDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=10_000,
    )
    return text


def dump_documents(documents: list[Any], header: str = "") -> str:
    """Several documents separated by ``---``, with an optional comment header."""
    prefix = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    body = "---\n".join(dump_yaml(document) for document in documents)
    return prefix + body
