"""Check every Kubernetes object of a tree against its schema.

Built-in kinds use the strict OpenAPI schema of the target Kubernetes version
(``kube``); everything else must be a custom resource whose CRD schema Stackyard
ships (``crdschemas``). An object with no schema at all is a finding: unvalidated
output is exactly what this command exists to prevent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stackyard.validate.crdschemas import check_resource
from stackyard.validate.findings import ValidationFinding
from stackyard.validate.kube import UnknownKindError, validate_builtin
from stackyard.validate.repository import Repository
from stackyard.yamlio import LocatedDocument

REQUIRED = ("apiVersion", "kind", "metadata")
# CRDs the Kubernetes distribution itself installs (RKE2's helm-controller), whose
# schemas the reference data does not hold yet: reported as unchecked, not as invalid.
DISTRIBUTION_KINDS = frozenset(
    {("helm.cattle.io/v1", "HelmChart"), ("helm.cattle.io/v1", "HelmChartConfig")}
)


def check_objects(repository: Repository, version: str) -> Iterator[ValidationFinding]:
    """Schema findings for every object, located at the offending field."""
    for _, document in repository.objects():
        yield from check_object(document, version)


def check_object(document: LocatedDocument, version: str) -> Iterator[ValidationFinding]:
    """Schema findings for one object."""
    data = document.data
    if not isinstance(data, dict) or any(key not in data for key in REQUIRED):
        yield ValidationFinding(
            document.locate(()), "schema", "not a Kubernetes object (apiVersion, kind, metadata)"
        )
        return
    try:
        for problem in validate_builtin(data, version):
            yield _finding(document, "schema", problem.path, problem.message, data)
        return
    except UnknownKindError:
        pass
    result = check_resource(data)
    if result.status == "unknown" and (data["apiVersion"], data["kind"]) in DISTRIBUTION_KINDS:
        yield ValidationFinding(
            document.locate(()),
            "crd",
            f"{data['kind']} {data['metadata'].get('name', '?')}: not checked, no CRD schema "
            f"for {data['apiVersion']}/{data['kind']} (installed by RKE2) in the reference data",
            severity="unchecked",
        )
        return
    for problem in result.problems:
        yield _finding(document, "crd", problem.path, problem.message, data)


def _finding(
    document: LocatedDocument, check: Any, path: str, message: str, data: dict[str, Any]
) -> ValidationFinding:
    kind = f"{data.get('kind')} {(data.get('metadata') or {}).get('name', '?')}"
    where = f" at {path}" if path else ""
    return ValidationFinding(document.locate(_parse_path(path)), check, f"{kind}{where}: {message}")


def _parse_path(path: str) -> tuple[str | int, ...]:
    """``spec.rules[0].name`` → ``("spec", "rules", 0, "name")`` (best effort)."""
    parts: list[str | int] = []
    for piece in path.replace("]", "").replace("[", ".").split("."):
        if not piece:
            continue
        if piece.isdigit():
            parts.append(int(piece))
        else:
            parts.append(piece.strip('"'))
    return tuple(parts)
