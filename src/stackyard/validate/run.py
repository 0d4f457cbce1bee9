"""``validate DIR``: every check over a GitOps tree, in one sorted report.

Checks: YAML safety and syntax; built-in objects against the strict OpenAPI schema
of the target Kubernetes version; custom resources against their CRD schemas; the
node configuration files (kubeadm, kubelet, API server), those a cloud-init user-data
writes included, against schemas written from their Go types; Backstage
catalog entities against the catalog model and OpenAPI documents with
openapi-spec-validator; Helm values against the pinned charts; the GitOps wiring
(selectors, value files, paths, ownership); Terraform files parsed with python-hcl2;
and a scan for secret values.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from stackyard.errors import InputError, Location, Problem
from stackyard.findings import Finding
from stackyard.progress import Progress, no_progress
from stackyard.render.marker import MARKER
from stackyard.spec.model import KUBERNETES_VERSION
from stackyard.validate.airgap import check_airgap
from stackyard.validate.backstage import check_openapi_documents
from stackyard.validate.helmvalues import check_values
from stackyard.validate.hydrate import Hydration, hydrate
from stackyard.validate.kube import UnsupportedVersionError, schema_version
from stackyard.validate.objects import check_objects
from stackyard.validate.realms import check_realms
from stackyard.validate.repository import read_repository
from stackyard.validate.secrets import SecretScan
from stackyard.validate.terraform import check_terraform
from stackyard.validate.topology import check_topology

DEFAULT_VERSION = "1.35"
# The versions a spec accepts (``stackyard.spec.model``), matched whole (``$`` would let a
# trailing line break through) and with parts of at most nine digits, which any real
# version has and ``int`` always converts.


@dataclass(frozen=True)
class ValidationReport:
    """Findings of one run and what was checked.

    ``objects`` counts the documents that are (or, in Stackyard's object folders, should
    be) Kubernetes objects; ``checked`` those validated against a schema. The rest are
    errors or listed as not checked, never silently passed.
    """

    root: Path
    kubernetes_version: str
    files: int
    objects: int
    checked: int
    findings: list[Finding] = field(default_factory=list)
    hydration: Hydration | None = None

    @property
    def errors(self) -> list[Finding]:
        """Findings of error severity."""
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        """Findings of warning severity."""
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def problems(self) -> list[Finding]:
        """What is wrong with the tree: every finding but the coverage gaps."""
        return [f for f in self.findings if not f.unchecked]

    @property
    def unchecked(self) -> list[Finding]:
        """What could not be checked for lack of reference data or local charts."""
        return [f for f in self.findings if f.unchecked]


def validate_directory(
    root: Path,
    kubernetes_version: str | None = None,
    charts: Path | None = None,
    progress: Progress = no_progress,
) -> ValidationReport:
    """Run every check over the tree at ``root``; with ``charts``, hydrate too.

    ``progress`` hears each step as it goes: reading files, checking schemas (per
    object), checking values (per chart source), scanning for secrets (per file) and,
    with ``charts``, hydrating releases (per release and cluster).

    Raises:
        InputError: ``root`` is not a directory, ``kubernetes_version`` is not a version,
            or no schemas exist for the version.
    """
    if kubernetes_version is not None:
        _check_version(kubernetes_version, Location("--kubernetes-version"))
    if not root.is_dir():
        raise InputError([Problem(Location(str(root)), "", "not a directory")])
    with _tree_kept_from_collector():
        return _validate(root, kubernetes_version, charts, progress)


def _validate(
    root: Path, kubernetes_version: str | None, charts: Path | None, progress: Progress
) -> ValidationReport:
    # The secret scan reads every file as lines on a core of its own meanwhile.
    scan = SecretScan(root)
    try:
        with _collector_paused():
            repository = read_repository(root, progress)
        # What was read lives until the report is made; later collections skip it.
        gc.freeze()
        version = _version(root, repository.kubernetes_version, kubernetes_version)
        findings = list(repository.problems)
        objects = check_objects(repository, version, progress)
        findings += objects.findings
        findings += check_realms(repository)
        findings += check_openapi_documents(repository)
        findings += check_values(repository, progress)
        findings += check_topology(repository)
        findings += check_airgap(repository)
        findings += check_terraform(root)[1]
        findings += scan.findings(repository.files, progress)
    finally:
        scan.cancel()
    hydration = None
    if charts is not None:
        if not charts.is_dir():
            raise InputError([Problem(Location(str(charts)), "", "charts directory not found")])
        hydration = hydrate(repository, charts, version, progress)
        findings += hydration.findings
    return ValidationReport(
        root,
        version,
        len(repository.files),
        objects.objects,
        objects.checked,
        sorted(findings),
        hydration,
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused, then restored as it was.

    Reading a tree builds millions of containers that all stay alive (the data and the
    position of every value) and hold no reference cycles; while the heap grows, the
    collector would walk it again and again, for nothing: at 200 clusters that is more
    time than parsing. Whatever cycles are made meanwhile are collected afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _tree_kept_from_collector() -> Iterator[None]:
    """Undo, on the way out, the ``gc.freeze`` that keeps a read tree out of collections.

    Frozen objects are only skipped by the cyclic collector (reference counting still
    frees them); unfreezing hands them back to it, so repeated runs in one process
    leave nothing behind.
    """
    try:
        yield
    finally:
        gc.unfreeze()


def _version(root: Path, marked: str | None, requested: str | None) -> str:
    """The Kubernetes version to check against: the option's, the marker's, or the default.

    Raises:
        InputError: the marker's version is not a version, or no schemas exist for it;
            the error names where the version came from.
    """
    version, source = requested, Location("--kubernetes-version")
    if version is None and marked:
        version, source = marked, Location(str(root / MARKER))
        _check_version(version, source, "kubernetesVersion")  # it allows any digits
    if version is None:
        version, source = DEFAULT_VERSION, Location(str(root))
    try:
        schema_version(version)
    except UnsupportedVersionError as e:
        message = f"no Kubernetes schemas for version {version}"
        raise InputError([Problem(source, "", message)]) from e
    return version


def _check_version(version: str, source: Location, field: str = "") -> None:
    """Refuse a Kubernetes version that is not a version such as ``1.35``."""
    if KUBERNETES_VERSION.fullmatch(version):
        return
    shown = repr(version[:40]) + ("…" if len(version) > 40 else "")
    message = f'{shown} is not a Kubernetes version such as "1.35" or "1.35.2"'
    raise InputError([Problem(source, field, message)])
