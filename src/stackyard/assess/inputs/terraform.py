"""Terraform configuration read through python-hcl2, with the lines of every block.

Each top-level block (``resource``, ``data``, ``module``, ``terraform``,
``provider``...) becomes a ``TerraformBlock`` with its labels, its attributes as
plain Python values (quotes removed) and its line span. Heredoc attributes
(``user_data = <<-EOT``) are handed back as text with the line their content starts
on in the ``.tf`` file, so the RKE2 or kubeadm configuration inside them is
searched with exact lines; ``templatefile("...")`` calls name the template files a
block renders. A file python-hcl2 cannot parse is skipped with a notice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import hcl2
from hcl2.rules.base import AttributeRule, BlockRule

from stackyard.assess.inputs.texts import TextFile, text_file
from stackyard.assess.model import Evidence, Notice

_TEMPLATEFILE = re.compile(r"templatefile\(\s*\"([^\"]+)\"")
_HEREDOC_START = re.compile(r"([A-Za-z_][\w-]*)\s*=\s*<<-?([A-Za-z][\w.-]*)\s*$")


@dataclass(frozen=True)
class TerraformBlock:
    """One top-level block of a ``.tf`` file."""

    block_type: str
    labels: tuple[str, ...]
    file: str
    line: int
    end_line: int
    attributes: Mapping[str, Any] = field(default_factory=dict)
    attribute_lines: Mapping[str, int] = field(default_factory=dict)

    @property
    def address(self) -> str:
        """``type.name`` for resources, ``data.type.name``, ``module.name``..."""
        if self.block_type == "resource":
            return ".".join(self.labels)
        return ".".join((self.block_type, *self.labels))

    def evidence(self, attribute: str = "") -> Evidence:
        """The block's lines, or one attribute's line."""
        if attribute and attribute in self.attribute_lines:
            line = self.attribute_lines[attribute]
            value = self.attributes.get(attribute)
            text = f"{attribute} = {value}" if not isinstance(value, dict | list) else attribute
            return Evidence(
                self.file, line, line, text.splitlines()[0][:120] if text else attribute
            )
        head = " ".join([self.block_type, *(f'"{label}"' for label in self.labels)])
        return Evidence(self.file, self.line, self.end_line, head[:120])


@dataclass
class TerraformFile:
    """What one ``.tf`` file holds."""

    blocks: list[TerraformBlock] = field(default_factory=list)
    heredocs: list[TextFile] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)  # repository-relative paths


def read_terraform(text: str, file: str, notices: list[Notice]) -> TerraformFile:
    """Parse one ``.tf`` file; a file that does not parse gives a notice and nothing else."""
    result = TerraformFile()
    try:
        tree = hcl2.parses(text)
    except Exception as e:  # lark raises many unrelated types on bad input
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        notices.append(Notice(file, f"Terraform that python-hcl2 cannot parse: {first[:160]}"))
        return result
    folder = PurePosixPath(file).parent
    for child in tree.body.children:
        if not isinstance(child, BlockRule):
            continue
        labels = [str(label.serialize()).strip('"') for label in child.labels]
        attributes: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for item in child.body.children:
            if isinstance(item, AttributeRule):
                name = str(item.identifier.serialize())
                lines[name] = item._meta.line
        body = child.body.serialize()
        for key, value in body.items():
            if key.startswith("__"):
                continue
            attributes[key] = _plain(value)
        result.blocks.append(
            TerraformBlock(
                block_type=labels[0],
                labels=tuple(labels[1:]),
                file=file,
                line=child._meta.line,
                end_line=child._meta.end_line,
                attributes=attributes,
                attribute_lines=lines,
            )
        )
    result.heredocs = list(_heredocs(text, file))
    result.templates = [_template_path(folder, t) for t in _TEMPLATEFILE.findall(text)]
    return result


def _heredocs(text: str, file: str) -> Iterator[TextFile]:
    """The content of every heredoc attribute, at any depth, with its first line."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        start = _HEREDOC_START.search(lines[i])
        if start is None:
            i += 1
            continue
        marker = start.group(2)
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == marker), len(lines))
        content = "\n".join(lines[i + 1 : end])
        yield text_file("user-data", f"terraform {start.group(1)}", file, content, i + 2)
        i = end + 1


def _plain(value: Any) -> Any:
    """Serialized HCL as plain values: quotes stripped, ``__is_block__`` markers dropped."""
    if isinstance(value, str):
        if len(value) >= 2 and value[0] == value[-1] == '"':
            return value[1:-1]
        return value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {
            str(k).strip('"'): _plain(v) for k, v in value.items() if not str(k).startswith("__")
        }
    return value


def _template_path(folder: PurePosixPath, template: str) -> str:
    clean = re.sub(r"^\$\{path\.(module|root|cwd)\}/", "", template)
    parts: list[str] = []
    for part in (*folder.parts, *PurePosixPath(clean).parts):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return "/".join(parts)
