"""GitOps and infrastructure as code: is the platform declared in Git and reconciled?"""

from __future__ import annotations

from pathlib import PurePosixPath

from stackyard.assess.detectors.base import (
    Detector,
    DetectorResult,
    FunctionDetector,
    achieved,
    file_evidence,
    in_terms,
    missing,
    partial,
    unit,
    units_phrase,
)
from stackyard.assess.inputs import RepositoryIndex
from stackyard.assess.model import Evidence

ARGO_KINDS = ("Application", "ApplicationSet")
FLUX_KINDS = ("HelmRelease", "Kustomization")


def _gitops_controller(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    argo = [r for r in index.releases if r.kind in ARGO_KINDS]
    flux = [r for r in index.releases if r.kind in FLUX_KINDS]
    if not argo and not flux:
        return missing(looks_for)
    parents = index.parent_releases()
    evidence = [r.evidence for r in parents] + [r.evidence for r in argo + flux]
    parts = []
    if argo:
        parts.append(f"{len(argo)} Argo CD Applications/ApplicationSets")
    if flux:
        parts.append(f"{len(flux)} Flux HelmReleases/Kustomizations")
    return achieved(evidence, " and ".join(parts))


def _app_of_apps(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    parents = index.parent_releases()
    appsets = [r for r in index.releases if r.kind == "ApplicationSet"]
    flux_tree = [r for r in index.releases if r.kind == "Kustomization"]
    if parents or appsets or flux_tree:
        detail = []
        if parents:
            detail.append(f"App of Apps: {', '.join(r.name for r in parents)}")
        if appsets:
            detail.append(f"{len(appsets)} ApplicationSets")
        if flux_tree:
            detail.append(f"{len(flux_tree)} Flux Kustomizations")
        return achieved([r.evidence for r in parents + appsets + flux_tree], "; ".join(detail))
    if index.releases:
        return partial(
            [r.evidence for r in index.releases],
            in_terms(
                index,
                "Applications exist but no parent Application or ApplicationSet manages them",
                flux="HelmReleases exist but no Flux Kustomization reconciles them",
            ),
            looks_for,
        )
    return missing(looks_for)


def _self_heal(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    argo = [r for r in index.releases if r.kind in ARGO_KINDS]
    flux = [r for r in index.releases if r.kind in FLUX_KINDS]
    looks_for = in_terms(
        index,
        looks_for,
        argocd="syncPolicy.automated.selfHeal: true on every Argo CD Application/ApplicationSet",
        flux="spec.driftDetection.mode: enabled on every Flux HelmRelease "
        "(Kustomizations revert drift at every interval)",
    )
    if not argo and not flux:
        return missing(looks_for)
    # A Flux Kustomization applies its whole set at every interval and so reverts drift;
    # a HelmRelease only with drift detection enabled (its self_heal, see releases.py).
    units = [
        unit(r.name, r.self_heal is not None, r.self_heal.evidence if r.self_heal else r.evidence)
        for r in argo + flux
    ]
    evidence = [e for u in units if u.counted for e in u.evidence]
    gaps = [e for u in units if not u.counted for e in u.evidence]
    what = "drift reverted" if flux else "automated sync with selfHeal"
    detail = f"{what} on {units_phrase(units, 'applications')}"
    if not gaps:
        return achieved(evidence, detail, units=units)
    if evidence or any(r.automated is not None for r in argo + flux):
        unhealed = [r for r in argo + flux if r.self_heal is None]
        names = [r.name for r in unhealed]
        more = f" and {len(names) - 8} more" if len(names) > 8 else ""
        without = " or ".join(
            setting
            for setting, kinds in (("selfHeal", ARGO_KINDS), ("driftDetection", ("HelmRelease",)))
            if any(r.kind in kinds for r in unhealed)
        )
        return partial(
            evidence,
            f"{detail}; without {without}: {', '.join(names[:8])}{more}",
            looks_for,
            gaps=gaps,
            units=units,
        )
    return missing(
        looks_for,
        "Applications sync manually (no syncPolicy.automated)",
        gaps=gaps,
        units=units,
    )


def _infrastructure(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    resources = [b for b in index.terraform if b.block_type in ("resource", "module")]
    provisioning = index.in_group("cluster.x-k8s.io")
    pulumi = index.marker_files.get("pulumi.yaml", [])
    if resources or provisioning or pulumi:
        evidence = [b.evidence() for b in resources] + [o.evidence() for o in provisioning]
        evidence += [file_evidence(p, "Pulumi project") for p in pulumi]
        detail = (
            f"{len(resources)} Terraform resources/modules in {len(index.terraform_files)} files"
        )
        if provisioning:
            detail += f"; {len(provisioning)} Cluster API objects"
        return achieved(evidence, detail)
    if index.node_settings:
        return partial(
            [s.evidence for s in index.node_settings],
            "node bootstrap is declared, "
            "but no infrastructure provisioning code (Terraform, Pulumi, Cluster API)",
            looks_for,
        )
    return missing(looks_for)


def _remote_state(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    backends = []
    for block in index.terraform:
        if block.block_type != "terraform":
            continue
        backend = block.attributes.get("backend")
        kinds = _labels(backend)
        if any(k != "local" for k in kinds) or "cloud" in block.attributes:
            backends.append(block.evidence())
    if backends:
        return achieved(backends, f"remote Terraform state in {len(backends)} stacks")
    if index.terraform:
        return missing(looks_for, "Terraform without a remote backend (local state)")
    return missing(looks_for)


def _golden_image(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    if index.packer:
        return achieved(index.packer, f"{len(index.packer)} Packer templates")
    return missing(looks_for)


def root_modules(index: RepositoryIndex) -> dict[str, Evidence]:
    """Terraform root modules, each cited at its backend (or provider) block.

    A root module is a folder of ``.tf`` files where ``terraform plan`` runs: no other
    folder calls it as a child module (``module`` blocks with a local ``./``/``../``
    source), and it configures state or providers (a ``backend``/``cloud`` block in
    ``terraform {}``, or a ``provider`` block). A child module that only pins
    ``required_providers`` is not one. See
    https://developer.hashicorp.com/terraform/language/modules#the-root-module
    """
    called: set[str] = set()
    anchors: dict[str, Evidence] = {}
    for block in index.terraform:
        folder = str(PurePosixPath(block.file).parent)
        if block.block_type == "module":
            source = str(block.attributes.get("source", ""))
            if source.startswith(("./", "../")):
                called.add(_join(folder, source))
        elif block.block_type == "terraform" and (
            "backend" in block.attributes or "cloud" in block.attributes
        ):
            anchors[folder] = block.evidence()  # the backend wins over a provider
        elif block.block_type == "provider":
            anchors.setdefault(folder, block.evidence())
    return {f: anchors[f] for f in sorted(anchors) if f not in called}


def _stacks(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    roots = root_modules(index)
    evidence = list(roots.values())
    noun = "root module" if len(roots) == 1 else "root modules"
    detail = f"{len(roots)} Terraform {noun}: {', '.join(roots)}"
    if len(roots) >= 3:
        return achieved(evidence, detail)
    if roots:
        return partial(evidence, f"{detail} (one state for most of the platform)", looks_for)
    return missing(looks_for)


def _join(folder: str, source: str) -> str:
    parts: list[str] = [] if folder == "." else folder.split("/")
    for part in source.rstrip("/").split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return "/".join(parts) or "."


def _labels(value: object) -> list[str]:
    if isinstance(value, dict):
        return [str(k) for k in value]
    if isinstance(value, list):
        return [label for item in value for label in _labels(item)]
    return []


DETECTORS: tuple[Detector, ...] = (
    FunctionDetector(
        "gitops-controller",
        "Argo CD Application/ApplicationSet or Flux HelmRelease/Kustomization objects",
        _gitops_controller,
    ),
    FunctionDetector(
        "app-of-apps",
        "a parent Application whose source folder holds Applications, or ApplicationSets",
        _app_of_apps,
    ),
    FunctionDetector(
        "auto-sync-self-heal",
        "drift reverted on every release: syncPolicy.automated.selfHeal on Argo CD "
        "Applications, spec.driftDetection.mode: enabled on Flux HelmReleases",
        _self_heal,
    ),
    FunctionDetector(
        "infrastructure-as-code",
        "Terraform resources/modules (*.tf), Pulumi.yaml or Cluster API objects",
        _infrastructure,
    ),
    FunctionDetector(
        "terraform-remote-state",
        'terraform { backend "..." } or a cloud block in *.tf',
        _remote_state,
    ),
    FunctionDetector("golden-image", "Packer templates (*.pkr.hcl, *.pkr.json)", _golden_image),
    FunctionDetector(
        "terraform-stacks",
        "three or more Terraform root modules (folders with a backend or provider block "
        "that no other folder calls as a module)",
        _stacks,
    ),
)
