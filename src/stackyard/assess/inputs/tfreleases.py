"""What Terraform's Helm and Kubernetes providers install, as releases and objects.

A ``helm_release`` is a release like an Argo CD Application: its chart counts as
installed and its values are read like any other release's, lowest precedence
first as the Helm provider merges them — the ``values`` list in order (files named
by ``file()``/``templatefile()``, ``yamlencode({...})`` literals, heredocs), then
every ``set`` (https://registry.terraform.io/providers/hashicorp/helm/latest/docs/resources/release).
Objects written inline in ``kubernetes_manifest`` (``manifest = {...}``) and
``kubectl_manifest`` (``yaml_body``) are indexed like objects read from YAML, with
the lines they have in the ``.tf`` file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from stackyard.assess.inputs.charts import canonical_chart
from stackyard.assess.inputs.located import Located, embedded_documents
from stackyard.assess.inputs.objects import KubeObject, objects_in
from stackyard.assess.inputs.releases import Release, ReleaseSource, ValuesLayer
from stackyard.assess.inputs.terraform import TerraformBlock
from stackyard.assess.model import Notice
from stackyard.errors import YamlError
from stackyard.yamlio import LocatedDocument

HELM_RELEASE = "helm_release"
MANIFEST_TYPES = frozenset({"kubernetes_manifest", "kubectl_manifest"})
# A ``set`` name splits at dots not escaped with a backslash (``ingress.annotations.a\.b``).
_SET_PATH = re.compile(r"(?<!\\)\.")


def terraform_release(block: TerraformBlock, notices: list[Notice]) -> Release | None:
    """The release a ``helm_release`` block declares (None for any other block)."""
    if block.block_type != "resource" or block.labels[:1] != (HELM_RELEASE,):
        return None
    attributes = block.attributes
    name = str(attributes.get("name") or block.labels[-1])
    chart = canonical_chart(str(attributes.get("chart") or ""))
    files = tuple(path for path, _ in block.file_refs.get("values", ()))
    source = ReleaseSource(
        chart,
        str(attributes.get("repository") or ""),
        "",
        files,
        block.evidence("chart") if "chart" in block.attribute_lines else block.evidence(),
    )
    release = Release(
        "helm_release",
        name,
        block.file,
        block.evidence(),
        (source,),
        namespace=str(attributes.get("namespace") or ""),
    )
    for document in block.documents.get("values", ()):
        release.inline.append(ValuesLayer(Located(document), chart, name, "values"))
    for content, line, indent in block.heredoc_values.get("values", ()):
        for document in _yaml(content, block.file, line, indent, notices):
            release.inline.append(ValuesLayer(Located(document), chart, name, "values"))
    release.inline += [
        ValuesLayer(Located(document), chart, name, "set") for document in _set_values(block)
    ]
    return release


def terraform_objects(block: TerraformBlock, notices: list[Notice]) -> Iterator[KubeObject]:
    """Kubernetes objects written inline in ``kubernetes_manifest`` / ``kubectl_manifest``."""
    if block.block_type != "resource" or not block.labels or block.labels[0] not in MANIFEST_TYPES:
        return
    for document in block.documents.get("manifest", ()):
        yield from objects_in(document)
    for content, line, indent in block.heredoc_values.get("yaml_body", ()):
        for document in _yaml(content, block.file, line, indent, notices):
            yield from objects_in(document)


def _set_values(block: TerraformBlock) -> Iterator[LocatedDocument]:
    """Each ``set`` as a one-key values document on the line it is written."""
    written = block.attributes.get("set")
    entries = written if isinstance(written, list) else [written] if written else []
    spans = block.nested_lines.get("set", ())
    literals = block.documents.get("set", ())
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("name"):
            continue
        if i < len(spans):
            line = spans[i][0]
        elif i < len(literals):
            line = literals[i].start_line
        else:
            line = block.attribute_lines.get("set", block.line)
        written_name = str(entry["name"]).replace("\\\\", "\\")  # HCL escapes a backslash
        keys = [k.replace("\\.", ".") for k in _SET_PATH.split(written_name)]
        data: Any = entry.get("value")
        for key in reversed(keys):
            data = {key: data}
        yield LocatedDocument(block.file, data, start_line=line)


def _yaml(
    content: str, file: str, line: int, indent: int, notices: list[Notice]
) -> list[LocatedDocument]:
    try:
        return embedded_documents(content, file, line, indent)
    except YamlError as e:
        message = e.problems[0].message
        notices.append(Notice(file, f"line {line}: YAML in a heredoc not read: {message}"))
        return []
