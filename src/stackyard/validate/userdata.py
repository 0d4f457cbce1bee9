"""Files a cloud-init user-data writes on a node, read as the manifests they are.

kubeadm nodes get their configuration through cloud-init: the user-data's
``write_files`` entries carry the kubeadm configuration, the audit policy, the
encryption configuration and static Pods as text. Those files are what kubeadm, the
kubelet and the API server read, so they are checked like any file of the tree; their
documents keep positions in the user-data file itself, so a finding names the line of
the user-data where the offending field is written.

A ``content`` written as a literal block (``content: |``) maps line for line onto the
user-data file; any other string style is checked too, but every position then points
at the line of the string. Entries cloud-init decodes first (``encoding`` base64 or
gzip) and paths that are not YAML or JSON files are left alone. Content that is not
valid YAML becomes a finding at the line of its ``content``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from stackyard.errors import Location, YamlError
from stackyard.findings import Finding
from stackyard.yamlio import LocatedDocument, load_yaml_documents

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
# cloud-init's write_files encodings that are plain text as written
# (https://cloudinit.readthedocs.io/en/latest/reference/modules.html#write-files).
PLAIN_ENCODINGS = ("", "text/plain")


@dataclass
class WrittenFiles:
    """The documents of the files a user-data writes, and what could not be read."""

    documents: list[LocatedDocument] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)


def is_user_data(data: object) -> bool:
    """Whether a document is a cloud-config with ``write_files`` entries."""
    return isinstance(data, Mapping) and isinstance(data.get("write_files"), list)


def written_files(document: LocatedDocument, text: str) -> WrittenFiles:
    """The YAML documents of every manifest file ``document``'s ``write_files`` writes.

    Args:
        document: a user-data document (:func:`is_user_data`).
        text: the text of the file ``document`` was read from, to tell a literal
            block from any other string and to find its indentation.
    """
    found = WrittenFiles()
    lines = text.splitlines()
    for index, entry in enumerate(document.data["write_files"]):
        content = _manifest_content(entry)
        if content is None:
            continue
        at = ("write_files", index, "content")
        where = document.locate(at)
        try:
            inner = load_yaml_documents(content, document.source)
        except YamlError as e:
            reason = e.problems[0].message if e.problems else "not YAML"
            message = f"{entry['path']} (write_files[{index}].content): {reason}"
            found.problems.append(Finding(where, "yaml", message))
            continue
        found.documents += _placed(inner, where, lines)
    return found


def _manifest_content(entry: object) -> str | None:
    """The text of a ``write_files`` entry that writes a YAML or JSON file as written."""
    if not isinstance(entry, Mapping):
        return None
    path, content = entry.get("path"), entry.get("content")
    if not isinstance(path, str) or not isinstance(content, str):
        return None
    if str(entry.get("encoding", "")) not in PLAIN_ENCODINGS:
        return None
    return content if PurePosixPath(path).suffix in MANIFEST_SUFFIXES else None


def _placed(
    documents: list[LocatedDocument], where: Location, lines: list[str]
) -> Iterator[LocatedDocument]:
    """``documents`` with their positions in the user-data file.

    A literal block's first line is the line after its ``|``, indented like every line
    of the block; anything else is pinned to the line of the string.
    """
    line = where.line
    literal = 0 < line < len(lines) and lines[line - 1][where.column - 1 :].startswith("|")
    if not literal:
        yield from (d.pinned(line) for d in documents)
        return
    first = next((text for text in lines[line:] if text.strip()), "")
    indent = len(first) - len(first.lstrip(" "))
    yield from (d.shifted(line, indent) for d in documents)
