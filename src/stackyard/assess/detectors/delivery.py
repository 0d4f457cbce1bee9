"""CI/CD and progressive delivery: pipelines that check changes, canaries that check releases."""

from __future__ import annotations

from stackyard.assess.detectors.base import (
    Detector,
    DetectorResult,
    FunctionDetector,
    achieved,
    component,
    file_evidence,
    in_terms,
    missing,
    partial,
)
from stackyard.assess.detectors.validation import atlantis_plans, pipeline_checks
from stackyard.assess.inputs import RepositoryIndex


def _pipelines(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    files = index.ci_files()
    tekton = index.of_kind("Pipeline", "PipelineRun")
    if not files and not tekton:
        return missing(looks_for)
    systems = sorted({f.system for f in files} | ({"Tekton"} if tekton else set()))
    evidence = [file_evidence(f.file, f"{f.system} pipeline") for f in files]
    evidence += [o.evidence() for o in tekton]
    return achieved(evidence, f"{len(files) + len(tekton)} pipelines ({', '.join(systems)})")


def _validation(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = pipeline_checks(index)
    atlantis = atlantis_plans(index)
    if found and atlantis:
        return achieved(
            found + atlantis, "pipelines validate changes; Atlantis plans every pull request"
        )
    if atlantis:
        return achieved(atlantis, "Atlantis plans every pull request that changes Terraform")
    if found:
        return achieved(found, "pipelines validate infrastructure and manifests")
    return missing(looks_for)


def _progressive(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    looks_for = in_terms(
        index,
        looks_for,
        argocd="Argo Rollouts with Rollout objects (or Flagger with Canary objects)",
        flux="Flagger with Canary objects",
    )
    rollouts = [o.evidence(text=f"{o.kind} {o.name}") for o in index.of_kind("Rollout", "Canary")]
    controllers = component(index, charts=("argo-rollouts", "flagger"))
    if rollouts:
        return achieved(rollouts + controllers, f"{len(rollouts)} canary/blue-green rollouts")
    if controllers:
        return partial(controllers, "a progressive delivery controller without Rollouts", looks_for)
    return missing(looks_for)


def _analysis(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    looks_for = in_terms(
        index,
        looks_for,
        argocd="AnalysisTemplate / ClusterAnalysisTemplate objects (or Flagger canary metrics)",
        flux="Flagger Canary analysis metrics",
    )
    found = [o.evidence() for o in index.of_kind("AnalysisTemplate", "ClusterAnalysisTemplate")]
    found += [
        o.evidence("spec", "analysis")
        for o in index.of_kind("Canary")
        if o.get("spec", "analysis", "metrics")
    ]
    return achieved(found, "rollouts are promoted on metrics") if found else missing(looks_for)


DETECTORS: tuple[Detector, ...] = (
    FunctionDetector(
        "ci-pipelines",
        "GitHub Actions, GitLab CI, Jenkinsfile, other CI files or Tekton pipelines",
        _pipelines,
    ),
    FunctionDetector(
        "ci-validation",
        "terraform validate/plan, helm lint, kubeconform, conftest, kustomize build or tests "
        "in CI or in a script or Makefile target CI calls; Atlantis autoplan",
        _validation,
    ),
    FunctionDetector(
        "progressive-delivery",
        "Argo Rollouts / Flagger with Rollout or Canary objects",
        _progressive,
    ),
    FunctionDetector(
        "rollout-analysis",
        "AnalysisTemplate / ClusterAnalysisTemplate objects or Flagger canary metrics",
        _analysis,
    ),
)
