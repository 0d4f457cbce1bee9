"""Terraform configuration read through python-hcl2, with the lines of every block.

Each top-level block (``resource``, ``data``, ``module``, ``terraform``,
``provider``...) becomes a ``TerraformBlock`` with its labels, its attributes as
plain Python values (quotes removed) and its line span. Heredoc attributes
(``user_data = <<-EOT``) are handed back as text with the line their content starts
on in the ``.tf`` file, so the RKE2 or kubeadm configuration inside them is
searched with exact lines; ``templatefile("...")`` calls name the template files a
block renders; object literals keep the line of every key (``hclvalues``).

A file python-hcl2 cannot parse whole is cut into its top-level blocks
(``hclblocks``) and each is parsed alone: a block that still fails gives a notice
naming file, line and block, and every other block is kept with its real lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import hcl2
from hcl2.rules.base import AttributeRule, BlockRule

from stackyard.assess.inputs.hclblocks import MAX_CHUNKS, Chunk, top_level_chunks
from stackyard.assess.inputs.hclvalues import file_calls, heredoc_texts, object_literals, unquote
from stackyard.assess.inputs.repopaths import in_repository
from stackyard.assess.inputs.texts import TextFile, text_file
from stackyard.assess.model import Evidence, Notice
from stackyard.yamlio import LocatedDocument

_TEMPLATEFILE = re.compile(r"templatefile\(\s*\"([^\"]+)\"")
_HEREDOC_START = re.compile(r"([A-Za-z_][\w-]*)\s*=\s*<<-?([A-Za-z][\w.-]*)\s*$")
# python-hcl2 turns its tree into values recursively: deeper brackets than this are a
# nesting bomb, not Terraform, and are refused before the parser sees them.
MAX_DEPTH = 100
_AT_LINE = re.compile(r"\bat line (\d+)")
MAX_LOST_NOTICES = 20


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
    # Lines of nested blocks by type (``set``, ``dynamic``...), in order of writing.
    nested_lines: Mapping[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    # Object literals per attribute (``manifest = {...}``, ``values = [yamlencode({...})]``).
    documents: Mapping[str, tuple[LocatedDocument, ...]] = field(default_factory=dict)
    # ``file("...")``/``templatefile("...")`` per attribute: repository path and line.
    file_refs: Mapping[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)
    # Heredocs per attribute (``yaml_body = <<-YAML``): content, first line, indent.
    heredoc_values: Mapping[str, tuple[tuple[str, int, int], ...]] = field(default_factory=dict)

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
    """Parse one ``.tf`` file, block by block when python-hcl2 cannot parse it whole.

    A block python-hcl2 cannot read gives one notice (file, line, block) and is left
    out; every other block is kept with its real lines.
    """
    result = TerraformFile()
    folder = PurePosixPath(file).parent
    chunks = top_level_chunks(text)
    deepest = max((c.depth for c in chunks), default=0)
    tree, _ = _parse(text, 0) if deepest <= MAX_DEPTH else (None, "")
    if tree is not None:
        result.blocks = [_block(child, file, folder, 0) for child in _block_rules(tree)]
    else:
        result.blocks = _block_by_block(chunks, file, folder, notices)
    result.heredocs = list(_heredocs(text, file))
    result.templates = [_template_path(folder, t) for t in _TEMPLATEFILE.findall(text)]
    return result


def _block_by_block(
    chunks: list[Chunk], file: str, folder: PurePosixPath, notices: list[Notice]
) -> list[TerraformBlock]:
    """Parse each top-level block alone; one notice per block that does not parse."""
    blocks: list[TerraformBlock] = []
    lost = 0
    for chunk in chunks:
        tree, error = (
            _parse(chunk.text, chunk.line - 1)
            if chunk.depth <= MAX_DEPTH
            else (None, "nested too deep to read")
        )
        if tree is not None:
            blocks += [_block(child, file, folder, chunk.line - 1) for child in _block_rules(tree)]
            continue
        lost += 1
        if lost <= MAX_LOST_NOTICES:
            notices.append(
                Notice(
                    file,
                    f"line {chunk.line}: Terraform block {chunk.head or '?'} not read "
                    f"(python-hcl2: {error}); the other blocks of the file are read",
                )
            )
    if lost > MAX_LOST_NOTICES:
        notices.append(Notice(file, f"{lost - MAX_LOST_NOTICES} more Terraform blocks not read"))
    if len(chunks) >= MAX_CHUNKS:
        notices.append(Notice(file, f"only the first {MAX_CHUNKS} Terraform blocks read"))
    return blocks


def _parse(text: str, offset: int) -> tuple[Any, str]:
    """The python-hcl2 tree of ``text``, or None and the first line of its error.

    The error's line number is moved by ``offset`` to the line in the whole file.
    """
    try:
        return hcl2.parses(text), ""
    except Exception as e:  # lark raises many unrelated types on bad input
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        moved = _AT_LINE.sub(lambda m: f"at line {int(m.group(1)) + offset}", first)
        return None, moved[:160]


def _block_rules(tree: Any) -> list[BlockRule]:
    return [child for child in tree.body.children if isinstance(child, BlockRule)]


def _block(child: BlockRule, file: str, folder: PurePosixPath, offset: int) -> TerraformBlock:
    """One parsed block as a ``TerraformBlock``; ``offset`` lines are added to its lines."""
    labels = [str(label.serialize()).strip('"') for label in child.labels]
    lines: dict[str, int] = {}
    nested: dict[str, list[tuple[int, int]]] = {}
    documents: dict[str, list[LocatedDocument]] = {}
    files: dict[str, list[tuple[str, int]]] = {}
    heredocs: dict[str, list[tuple[str, int, int]]] = {}
    for item in child.body.children:
        if isinstance(item, AttributeRule):
            name = str(item.identifier.serialize())
            lines[name] = item._meta.line + offset
            for found in object_literals(item.expression, file, offset):
                documents.setdefault(name, []).append(found)
            for path, line in file_calls(item.expression, offset):
                files.setdefault(name, []).append((_template_path(folder, path), line))
            for heredoc in heredoc_texts(item.expression, offset):
                heredocs.setdefault(name, []).append(heredoc)
        elif isinstance(item, BlockRule):
            kind = str(item.labels[0].serialize()).strip('"') if item.labels else ""
            nested.setdefault(kind, []).append(
                (item._meta.line + offset, item._meta.end_line + offset)
            )
    attributes = {
        key: _plain(value)
        for key, value in child.body.serialize().items()
        if not key.startswith("__")
    }
    return TerraformBlock(
        block_type=labels[0],
        labels=tuple(labels[1:]),
        file=file,
        line=child._meta.line + offset,
        end_line=child._meta.end_line + offset,
        attributes=attributes,
        attribute_lines=lines,
        nested_lines={k: tuple(v) for k, v in nested.items()},
        documents={k: tuple(v) for k, v in documents.items()},
        file_refs={k: tuple(v) for k, v in files.items()},
        heredoc_values={k: tuple(v) for k, v in heredocs.items()},
    )


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
        return unquote(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {
            str(k).strip('"'): _plain(v) for k, v in value.items() if not str(k).startswith("__")
        }
    return value


def _template_path(folder: PurePosixPath, template: str) -> str:
    return in_repository(folder, re.sub(r"^\$\{path\.(module|root|cwd)\}/", "", template))
