"""Moving tenant namespaces from one cluster to another with Velero, and what could stop it.

A migration is a one-off operator action, not platform state: Velero backs the chosen
namespaces up on the source cluster, the target cluster reads that backup through a
read-only BackupStorageLocation and restores it, renaming namespaces and storage classes
on the way (:mod:`stackyard.render.migration` writes the objects and the runbook). This
module decides, from the plans of both clusters, without touching either:

- **what moves**: by default every tenant namespace placed on the source cluster; a
  namespace may be renamed on the target (``NS=NEW``);
- **storage classes**: each class of the source's storage providers that the target
  lacks maps to the target's default class, unless the operator maps it
  (``OLD=NEW``); Velero's ``change-storage-class`` plugin applies the mapping;
- **how volumes travel**: CSI snapshots (moved to the object store by the data mover)
  only when both clusters run the same CSI storage on the same provider and region, as
  the source's schedules already do; otherwise file-system backup (Kopia), which reads
  any mounted volume and restores into any storage class;
- **pre-flight findings**, each with a ``SY72x`` code
  (:data:`stackyard.plan.preflight.PREFLIGHT`): Velero on
  both sides, storage classes, Kubernetes version skew, CRDs, the components the
  namespaces' workloads need, the tenant's placement, and how the target reads the
  source's store.

The target may be a cluster of another spec (a new platform replacing an old one):
then its facts come from that spec's plan, and the Kubernetes versions of the two specs
are compared.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from stackyard.errors import COMMAND_LINE, InputError, Problem
from stackyard.findings import Finding
from stackyard.plan.model import ClusterPlan, Plan
from stackyard.plan.preflight import (
    CRDS_MISSING,
    FILE_SYSTEM_MOVE,
    FOREIGN_STORE,
    NEED_MISSING,
    NEEDS,
    STORAGE_CLASS_MISSING,
    TARGET_MUCH_NEWER,
    TARGET_OLDER,
    TENANT_NOT_PLACED,
    VELERO_MISSING,
    PreflightCheck,
)
from stackyard.plan.volumebackup import Method, volume_backup
from stackyard.spec.model import Tenant

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


@dataclass(frozen=True)
class Side:
    """One end of a migration: a cluster of a plan, with the facts the move depends on."""

    spec: str
    """The spec file the cluster is declared in."""
    platform: str
    cluster: str
    provider: str
    region: str
    """The AWS region of the cluster ('' off AWS)."""
    distribution: str
    kubernetes: str
    velero: bool
    volume_backup: Method
    storage: tuple[str, ...]
    """The storage providers running there."""
    storage_classes: tuple[str, ...]
    default_class: str | None
    crd_groups: tuple[str, ...]
    velero_namespace: str

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "spec": self.spec,
            "platform": self.platform,
            "cluster": self.cluster,
            "provider": self.provider,
            "region": self.region,
            "distribution": self.distribution,
            "kubernetes": self.kubernetes,
            "velero": self.velero,
            "volumeBackup": self.volume_backup,
            "storage": list(self.storage),
            "storageClasses": list(self.storage_classes),
            "defaultStorageClass": self.default_class,
        }


@dataclass(frozen=True)
class MigrationPlan:
    """What moves from ``source`` to ``target``, how, and the pre-flight findings."""

    source: Side
    target: Side
    namespaces: tuple[tuple[str, str], ...]
    """(namespace on the source, its name on the target), in the order given."""
    storage_classes: tuple[tuple[str, str], ...]
    """(class on the source, class on the target) for every class that changes."""
    file_system_backup: bool
    """Volumes move file by file (Kopia); else as CSI snapshots moved by the data mover."""
    findings: tuple[Finding, ...]

    @property
    def cross_platform(self) -> bool:
        """Whether the target is a cluster of another spec."""
        return self.source.spec != self.target.spec

    @property
    def name(self) -> str:
        """The migration's name: its folder and the Velero objects' name."""
        target = (
            f"{self.target.platform}-{self.target.cluster}"
            if self.cross_platform
            else self.target.cluster
        )
        return f"{self.source.cluster}-to-{target}"

    @property
    def errors(self) -> list[Finding]:
        """Findings of error severity: the migration would not work as planned."""
        return [f for f in self.findings if f.severity == "error"]

    def as_dict(self) -> dict[str, Any]:
        """JSON shape (``migration-plan`` adds the schema and the files)."""
        return {
            "name": self.name,
            "source": self.source.as_dict(),
            "target": self.target.as_dict(),
            "crossPlatform": self.cross_platform,
            "namespaces": [{"source": s, "target": t} for s, t in self.namespaces],
            "storageClasses": [{"source": s, "target": t} for s, t in self.storage_classes],
            "volumes": "file-system" if self.file_system_backup else "csi-snapshots",
            "findings": [f.as_dict() for f in self.findings],
            "summary": {
                severity: sum(1 for f in self.findings if f.severity == severity)
                for severity in ("error", "warning", "info")
            },
        }


def parse_pairs(values: Sequence[str], option: str, *, require_pair: bool) -> list[tuple[str, str]]:
    """``OLD=NEW`` (or a bare ``NAME`` when pairs are optional) as (old, new) pairs.

    Raises:
        InputError: a value that is not of that form, or two values for one name.
    """
    problems = []
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    shape = "OLD=NEW" if require_pair else "NAME or NAME=NEW"
    for value in values:
        old, equals, new = value.partition("=")
        if not equals:
            new = old
        if (require_pair and not equals) or not _DNS_LABEL.fullmatch(old or "-"):
            problems.append(Problem(COMMAND_LINE, option, f"{value!r} is not {shape}"))
        elif not _DNS_LABEL.fullmatch(new or "-") and not _is_subdomain(new):
            problems.append(Problem(COMMAND_LINE, option, f"{value!r}: {new!r} is not a name"))
        elif old in seen:
            problems.append(Problem(COMMAND_LINE, option, f"{old!r} is given twice"))
        else:
            seen.add(old)
            pairs.append((old, new))
    if problems:
        raise InputError(problems)
    return pairs


def _is_subdomain(name: str) -> bool:
    # Storage class names are DNS subdomains (dots allowed), namespaces DNS labels.
    return len(name) <= 253 and all(_DNS_LABEL.fullmatch(part) for part in name.split("."))


def side(plan: Plan, cluster: ClusterPlan) -> Side:
    """The facts of ``cluster`` of ``plan`` a migration depends on."""
    platform = plan.spec.platform
    storage = [p.component for p in cluster.components if "storage" in p.component.provides]
    classes = [c for component in storage for c in component.storageClasses]
    aws = cluster.cluster.aws
    region = (aws.region if aws else None) or (platform.aws.region if platform.aws else "")
    velero = cluster.get("velero")
    return Side(
        spec=plan.spec.source,
        platform=platform.name,
        cluster=cluster.name,
        provider=platform.provider,
        region=region if platform.provider == "aws" else "",
        distribution=platform.kubernetes.distribution,
        kubernetes=platform.kubernetes.version,
        velero=velero is not None,
        volume_backup=volume_backup(cluster, platform.kubernetes.distribution).method,
        storage=tuple(c.name for c in storage),
        storage_classes=tuple(dict.fromkeys(c.name for c in classes)),
        default_class=next((c.name for c in classes if c.default), None),
        crd_groups=tuple(sorted({g for p in cluster.components for g in p.component.crds})),
        velero_namespace=velero.component.namespace if velero else "velero",
    )


def _cluster(plan: Plan, name: str, option: str) -> ClusterPlan:
    try:
        return plan.cluster(name)
    except KeyError:
        names = ", ".join(c.name for c in plan.clusters)
        raise InputError(
            [
                Problem(
                    COMMAND_LINE,
                    option,
                    f"{name!r} is not a cluster of {plan.spec.source}",
                    f"clusters: {names}",
                )
            ]
        ) from None


def tenant_namespaces(plan: Plan, cluster: str) -> dict[str, Tenant]:
    """Every tenant namespace placed on ``cluster``, with its tenant, in spec order."""
    return {
        namespace: tenant
        for tenant in plan.spec.platform.tenants
        if cluster in tenant.clusters
        for namespace in tenant.namespace_names
    }


def plan_migration(
    source_plan: Plan,
    from_cluster: str,
    to_cluster: str,
    *,
    target_plan: Plan | None = None,
    namespaces: Sequence[str] = (),
    storage_class_map: Sequence[str] = (),
) -> MigrationPlan:
    """The migration of namespaces from ``from_cluster`` to ``to_cluster``.

    Args:
        source_plan: the plan the source cluster is in.
        from_cluster: the source cluster.
        to_cluster: the target cluster, of ``target_plan`` when given, else of
            ``source_plan``.
        target_plan: the plan of another spec the target is in (a cross-platform move).
        namespaces: ``NS`` or ``NS=NEW`` (renamed on the target); default: every tenant
            namespace placed on the source cluster.
        storage_class_map: ``OLD=NEW`` storage class mappings over the default ones.

    Raises:
        InputError: an unknown cluster or namespace, the same cluster twice, a malformed
            or unknown mapping, or no namespace to move.
    """
    target_of = target_plan or source_plan
    source_cluster = _cluster(source_plan, from_cluster, "--from")
    target_cluster = _cluster(target_of, to_cluster, "--to")
    if target_plan is None and from_cluster == to_cluster:
        raise InputError(
            [Problem(COMMAND_LINE, "--to", f"{to_cluster!r} is the source cluster too")]
        )
    source = side(source_plan, source_cluster)
    target = side(target_of, target_cluster)
    placed = tenant_namespaces(source_plan, from_cluster)
    moves = _namespaces(namespaces, placed, source)
    classes = _storage_classes(storage_class_map, source, target)
    file_system = _file_system_backup(source, target)
    findings = list(
        _findings(source_plan, target_of, source, target, moves, classes, placed, file_system)
    )
    return MigrationPlan(source, target, tuple(moves), tuple(classes), file_system, tuple(findings))


def _namespaces(
    given: Sequence[str], placed: dict[str, Tenant], source: Side
) -> list[tuple[str, str]]:
    moves = parse_pairs(given, "--namespace", require_pair=False) or [(n, n) for n in placed]
    unknown = [old for old, _ in moves if old not in placed]
    if unknown:
        known = ", ".join(placed) or "none"
        raise InputError(
            [
                Problem(
                    COMMAND_LINE,
                    "--namespace",
                    f"{name!r} is not a tenant namespace of cluster {source.cluster}",
                    f"tenant namespaces there: {known}",
                )
                for name in unknown
            ]
        )
    if not moves:
        raise InputError(
            [
                Problem(
                    COMMAND_LINE,
                    "--namespace",
                    f"cluster {source.cluster} has no tenant namespace to migrate",
                    "place a tenant on it (tenants[].clusters)",
                )
            ]
        )
    targets = [new for _, new in moves]
    twice = sorted({n for n in targets if targets.count(n) > 1})
    if twice:
        raise InputError(
            [
                Problem(COMMAND_LINE, "--namespace", f"two namespaces become {name!r}")
                for name in twice
            ]
        )
    return moves


def _storage_classes(given: Sequence[str], source: Side, target: Side) -> list[tuple[str, str]]:
    explicit = dict(parse_pairs(given, "--storage-class-map", require_pair=True))
    unknown = [old for old in explicit if old not in source.storage_classes]
    if unknown:
        known = ", ".join(source.storage_classes) or "none"
        raise InputError(
            [
                Problem(
                    COMMAND_LINE,
                    "--storage-class-map",
                    f"{name!r} is not a storage class of cluster {source.cluster}",
                    f"its classes: {known}",
                )
                for name in unknown
            ]
        )
    mapping = []
    for name in source.storage_classes:
        new = explicit.get(name)
        if new is None and name not in target.storage_classes and target.default_class:
            new = target.default_class
        if new is not None and new != name:
            mapping.append((name, new))
    return mapping


def _file_system_backup(source: Side, target: Side) -> bool:
    same_storage = (
        source.storage == target.storage
        and source.provider == target.provider
        and source.region == target.region
        and target.volume_backup == "csi"
    )
    return source.volume_backup != "csi" or not same_storage


def _finding(
    check: PreflightCheck, plan: Plan, at: tuple[str | int, ...], cluster: str, message: str
) -> Finding:
    document = plan.spec.document
    return Finding(
        document.locate(at),
        check.id,
        message,
        check.severity,
        field=".".join(str(p) for p in at),
        hint=check.hint,
        cluster=cluster,
    )


def _findings(
    source_plan: Plan,
    target_plan: Plan,
    source: Side,
    target: Side,
    moves: Sequence[tuple[str, str]],
    classes: Sequence[tuple[str, str]],
    placed: dict[str, Tenant],
    file_system: bool,
) -> Iterator[Finding]:
    source_at = ("clusters", source_plan.cluster(source.cluster).index)
    target_at = ("clusters", target_plan.cluster(target.cluster).index)
    for end, plan, at in ((source, source_plan, source_at), (target, target_plan, target_at)):
        if not end.velero:
            yield _finding(
                VELERO_MISSING, plan, at, end.cluster, f"Velero does not run on {end.cluster}"
            )
    if source.spec != target.spec:
        yield _finding(
            FOREIGN_STORE,
            target_plan,
            target_at,
            target.cluster,
            f"{target.cluster} of platform {target.platform} reads the backup from the "
            f"Velero store of platform {source.platform} (prefix {source.cluster}); give "
            "it that store's credentials before the restore",
        )
    yield from _storage_findings(target_plan, target_at, source, target, classes)
    yield from _version_findings(target_plan, source, target)
    missing_groups = [g for g in source.crd_groups if g not in target.crd_groups]
    if missing_groups:
        installers = sorted(
            p.name
            for p in source_plan.cluster(source.cluster).components
            if set(p.component.crds) & set(missing_groups)
        )
        yield _finding(
            CRDS_MISSING,
            target_plan,
            target_at,
            target.cluster,
            f"{target.cluster} lacks the API groups {', '.join(missing_groups)} "
            f"(installed on {source.cluster} by {', '.join(installers)})",
        )
    yield from _need_findings(source_plan, target_plan, target_at, target, moves, placed)
    yield from _placement_findings(target_plan, target_at, target, moves)
    if file_system and source.volume_backup == "csi":
        yield _finding(
            FILE_SYSTEM_MOVE,
            source_plan,
            source_at,
            source.cluster,
            f"{source.cluster} backs volumes up as CSI snapshots, which cannot be restored "
            f"on {target.cluster}; the migration backup copies them file by file",
        )


def _storage_findings(
    target_plan: Plan,
    target_at: tuple[str | int, ...],
    source: Side,
    target: Side,
    classes: Sequence[tuple[str, str]],
) -> Iterator[Finding]:
    mapped = dict(classes)
    for name in source.storage_classes:
        new = mapped.get(name, name)
        if new not in target.storage_classes:
            have = ", ".join(target.storage_classes) or "no storage class"
            yield _finding(
                STORAGE_CLASS_MISSING,
                target_plan,
                target_at,
                target.cluster,
                f"claims of storage class {name} on {source.cluster} need class {new} on "
                f"{target.cluster}, which has {have}",
            )


def _version_findings(target_plan: Plan, source: Side, target: Side) -> Iterator[Finding]:
    old = _minor(source.kubernetes)
    new = _minor(target.kubernetes)
    at = ("kubernetes", "version")
    if new < old:
        yield _finding(
            TARGET_OLDER,
            target_plan,
            at,
            target.cluster,
            f"{target.cluster} runs Kubernetes {target.kubernetes}, older than "
            f"{source.kubernetes} on {source.cluster}",
        )
    elif new[0] == old[0] and new[1] - old[1] > 1:
        yield _finding(
            TARGET_MUCH_NEWER,
            target_plan,
            at,
            target.cluster,
            f"{target.cluster} runs Kubernetes {target.kubernetes}, "
            f"{new[1] - old[1]} minor versions newer than {source.kubernetes} on "
            f"{source.cluster}",
        )


def _minor(version: str) -> tuple[int, int]:
    major, minor, *_ = version.lstrip("v").split(".")
    return int(major), int(minor)


def _need_findings(
    source_plan: Plan,
    target_plan: Plan,
    target_at: tuple[str | int, ...],
    target: Side,
    moves: Sequence[tuple[str, str]],
    placed: dict[str, Tenant],
) -> Iterator[Finding]:
    platform = source_plan.spec.platform
    mesh = {t.name for t in platform.mesh_tenants}
    publishing = {api.tenant for api in platform.apis}
    running = {
        capability
        for planned in target_plan.cluster(target.cluster).components
        for capability in planned.component.provides
    }
    for capability, why in NEEDS:
        needing = sorted(
            {
                old
                for old, _ in moves
                if (capability == "service-mesh" and placed[old].name in mesh)
                or (capability == "api-gateway" and placed[old].name in publishing)
            }
        )
        if needing and capability not in running:
            yield _finding(
                NEED_MISSING,
                target_plan,
                target_at,
                target.cluster,
                f"namespaces {', '.join(needing)} need {why}, which does not run on "
                f"{target.cluster}",
            )


def _placement_findings(
    target_plan: Plan,
    target_at: tuple[str | int, ...],
    target: Side,
    moves: Sequence[tuple[str, str]],
) -> Iterator[Finding]:
    there = tenant_namespaces(target_plan, target.cluster)
    tenants = target_plan.spec.platform.tenants
    for old, new in moves:
        if new in there:
            continue
        owner = next((i for i, t in enumerate(tenants) if new in t.namespace_names), None)
        at = ("tenants", owner, "clusters") if owner is not None else target_at
        yield _finding(
            TENANT_NOT_PLACED,
            target_plan,
            at,
            target.cluster,
            f"namespace {new}{f' (renamed from {old})' if new != old else ''} is not a "
            f"tenant namespace of {target.cluster}",
        )
