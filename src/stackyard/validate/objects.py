"""Check every Kubernetes object of a tree against its schema.

Built-in kinds use the strict OpenAPI schema of the target Kubernetes version
(``kube``); everything else must be a custom resource whose CRD schema Stackyard ships
or the tree itself defines (``crdschemas``). Every object ends in exactly one of three
verdicts, and only the first counts as checked:

- checked: validated against a schema (its problems, if any, are errors); this includes
  the configuration files ``configschemas`` has a schema for (the audit policy, the API
  server's encryption and admission files, the kubelet's and kubeadm's);
- not checked: any other file that carries ``apiVersion`` and ``kind`` but is read by a
  program rather than served by the API server (kube-proxy, kustomize...), a file a tool
  turns into objects (a Helm chart template, a kustomize patch; ``toolinputs``), or a
  distribution's CRD with no schema in the reference data; listed with the reason;
- unknown kind: no schema anywhere; an error, because unvalidated output is exactly what
  this command exists to prevent.

Backstage catalog entities (``apiVersion: backstage.io/...``) name a kind too, but
Backstage reads them, not the API server: they are checked against the catalog model's
schemas (``backstage``), and an entity kind without one is not checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from stackyard.errors import Location
from stackyard.findings import Finding
from stackyard.progress import Progress, no_progress
from stackyard.validate.backstage import check_entity, entity_kinds, is_entity
from stackyard.validate.configschemas import check_configuration, has_schema
from stackyard.validate.crdschemas import check_resource, crd_schemas_in
from stackyard.validate.kube import UnknownKindError, validate_builtin
from stackyard.validate.repository import Repository
from stackyard.validate.toolinputs import TEMPLATE_REASON
from stackyard.yamlio import LocatedDocument

REQUIRED = ("apiVersion", "kind", "metadata")
CHECKING = "checking schemas"
# CRDs the Kubernetes distribution itself installs (RKE2's helm-controller), whose
# schemas the reference data does not hold yet: reported as unchecked, not as invalid.
DISTRIBUTION_KINDS = {
    ("helm.cattle.io/v1", "HelmChart"): "installed by RKE2",
    ("helm.cattle.io/v1", "HelmChartConfig"): "installed by RKE2",
}
# API groups of configuration files: they look like objects but a program reads them from
# disk and the API server never serves them, so Kubernetes publishes no OpenAPI schema.
CONFIGURATION_GROUPS = {
    "kubeadm.k8s.io": "a kubeadm configuration file",
    "kubelet.config.k8s.io": "a kubelet configuration file",
    "kubeproxy.config.k8s.io": "a kube-proxy configuration file",
    "apiserver.config.k8s.io": "a kube-apiserver configuration file",
    "audit.k8s.io": "a kube-apiserver audit policy file",
    "kustomize.config.k8s.io": "a kustomize file",
    "config.kubernetes.io": "a kustomize function file",
}


@dataclass(frozen=True)
class ObjectCheck:
    """What the object check found and how much of the tree it covered."""

    findings: list[Finding] = field(default_factory=list)
    objects: int = 0
    checked: int = 0


def check_objects(
    repository: Repository, version: str, progress: Progress = no_progress
) -> ObjectCheck:
    """Schema findings for every object, located at the offending field.

    A zero ``checked`` count is itself an error finding: a tree in which nothing was
    validated must never read as a clean result. ``progress`` hears "checking schemas"
    once per object.
    """
    documents = list(repository.objects())
    defined = crd_schemas_in(d.data for _, d in documents if isinstance(d.data, Mapping))
    findings = list(_tool_inputs(repository))
    checked = 0
    # A fleet's tree holds each object many times over (31,666 objects, 5,517 distinct at
    # 200 clusters): an object's schema problems are worked out once per distinct content.
    judged: dict[str, _Judgement] = {}
    for done, (path, document) in enumerate(documents):
        progress(CHECKING, done, len(documents))
        if is_entity(document.data):
            was_checked, found = _check_entity(repository, path, document)
        else:
            was_checked, found = check_object(document, version, defined, judged)
        checked += was_checked
        findings += found
    progress(CHECKING, len(documents), len(documents))
    if checked == 0:
        findings.append(
            Finding(
                Location(str(repository.root)),
                "schema",
                f"no Kubernetes object was checked: {len(documents)} found, none with a "
                "schema (a tree without objects validates nothing)",
            )
        )
    return ObjectCheck(findings, len(documents), checked)


def _tool_inputs(repository: Repository) -> Iterator[Finding]:
    """One "not checked" line per file a tool reads instead of applying it as written."""
    for path, chart in sorted(repository.templates.items()):
        where = f"chart {chart}" if chart else "the chart at the root of the tree"
        reason = f"{TEMPLATE_REASON} ({where}), not applied as written"
        yield Finding.not_checked(repository.location(path), "schema", f"not checked, {reason}")
    for path, reason in sorted(repository.tool_inputs.items()):
        yield Finding.not_checked(repository.location(path), "schema", f"not checked, {reason}")


def _check_entity(
    repository: Repository, path: str, document: LocatedDocument
) -> tuple[bool, list[Finding]]:
    """A Backstage catalog entity against the catalog model's schema of its kind."""
    data = document.data

    def exists(relative: str) -> bool:
        return relative in repository.files or (repository.root / relative).is_file()

    result = check_entity(data, path, repository.files.get, exists)
    if result.status == "unknown":
        kinds = ", ".join(sorted({k.rpartition("/")[2] for k in entity_kinds()}))
        reason = (
            f"no Backstage schema for {data.get('apiVersion')}/{data.get('kind')} in the "
            f"reference data (kinds with one: {kinds})"
        )
        return False, [_unchecked(document, data, reason)]
    return True, list(_located(document, "backstage", result.problems, data))


def check_object(
    document: LocatedDocument,
    version: str,
    defined: Mapping[str, Mapping[str, Any]] | None = None,
    judged: dict[str, _Judgement] | None = None,
) -> tuple[bool, list[Finding]]:
    """Whether one object was checked against a schema, and its findings.

    Args:
        document: the object's YAML document.
        version: the target Kubernetes version.
        defined: CRD schemas the tree defines, by ``group/version/Kind``.
        judged: the schema problems of objects already checked, by content; filled in.
    """
    data = document.data
    if isinstance(data, dict) and has_schema(data):
        return True, list(_located(document, "schema", check_configuration(data), data))
    if not isinstance(data, dict) or any(key not in data for key in REQUIRED):
        if isinstance(data, dict) and _configuration(data) is not None:
            return False, [_unchecked(document, data, str(_configuration(data)))]
        message = "not a Kubernetes object (apiVersion, kind, metadata)"
        return False, [Finding(document.locate(()), "schema", message)]
    reason = _configuration(data)
    if reason is not None:
        return False, [_unchecked(document, data, reason)]
    if judged is None:
        judgement = _judge(data, version, defined)
    else:
        key = _content_key(data)
        judgement = judged.get(key) or judged.setdefault(key, _judge(data, version, defined))
    check, problems = judgement
    if check:
        return True, list(_located(document, check, problems, data))
    distribution = DISTRIBUTION_KINDS.get((str(data["apiVersion"]), str(data["kind"])))
    if distribution is not None:
        reason = f"no CRD schema for {data['apiVersion']}/{data['kind']} ({distribution})"
        return False, [_unchecked(document, data, f"{reason} in the reference data")]
    message = (
        f"unknown kind {data['apiVersion']}/{data['kind']}: no schema in Kubernetes "
        f"{version} and no CRD schema in the reference data or in the tree"
    )
    return False, [Finding(document.locate(("kind",)), "schema", f"{_name(data)}: {message}")]


# Which check judged an object ("schema", "crd"; "" for none) and its problems.
_Judgement = tuple[str, tuple[Any, ...]]


def _judge(
    data: dict[str, Any], version: str, defined: Mapping[str, Mapping[str, Any]] | None
) -> _Judgement:
    """The schema problems of an object: against the built-in schema, else its CRD's."""
    try:
        return "schema", tuple(validate_builtin(data, version))
    except UnknownKindError:
        pass
    result = check_resource(data, defined=defined)
    if result.status != "unknown":
        return "crd", tuple(result.problems)
    return "", ()


def _content_key(data: dict[str, Any]) -> str:
    """The object's content, types included, in written order.

    ``repr`` tells ``1``, ``1.0``, ``"1"`` and ``True`` apart, keys as well as values
    (JSON would not).
    """
    return repr(data)


def _configuration(data: Mapping[str, Any]) -> str | None:
    """Why a configuration file is not checked, or ``None`` if it is not one."""
    group = str(data.get("apiVersion", "")).rpartition("/")[0]
    what = CONFIGURATION_GROUPS.get(group)
    if what is None:
        return None
    return f"{what}, read from disk and not served by the API server: no schema to check it"


def _unchecked(document: LocatedDocument, data: Mapping[str, Any], reason: str) -> Finding:
    return Finding.not_checked(
        document.locate(()), "schema", f"{_name(data)}: not checked, {reason}"
    )


def _name(data: Mapping[str, Any]) -> str:
    """``Kind name``, or the kind alone for a file without ``metadata.name``."""
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    return f"{data.get('kind')} {name}" if name else str(data.get("kind"))


def _located(
    document: LocatedDocument,
    check: str,
    problems: Iterable[Any],
    data: Mapping[str, Any],
) -> Iterator[Finding]:
    for problem in problems:
        where = f" at {problem.path}" if problem.path else ""
        yield Finding(
            document.locate(_parse_path(problem.path)),
            check,
            f"{_name(data)}{where}: {problem.message}",
        )


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
