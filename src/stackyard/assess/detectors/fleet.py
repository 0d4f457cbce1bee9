"""Fleet management: one repository that deploys to several clusters, each named in Git.

A repository manages a fleet when what it declares reaches two or more distinct
clusters, in any of the spellings GitOps tools give it:

- Argo CD: clusters registered as Secrets labelled ``argocd.argoproj.io/secret-type:
  cluster`` (https://argo-cd.readthedocs.io/en/stable/operator-manual/declarative-setup/#clusters),
  targeted by Applications (``spec.destination.server`` or ``.name``) or by ApplicationSet
  cluster generators, which yield every registered cluster plus the local one unless a
  label selector narrows them
  (https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/Generators-Cluster/);
- Rancher Fleet: GitRepos outside ``fleet-local`` (the namespace of the local cluster
  alone) whose targets select clusters or cluster groups, or name two or more
  (https://fleet.rancher.io/gitrepo-targets);
- Flux: Kustomizations and HelmReleases with ``spec.kubeConfig`` deploy to the cluster
  of that kubeconfig, the others to the cluster Flux runs in
  (https://fluxcd.io/flux/components/kustomize/kustomizations/#remote-clusters--cluster-api);
- Cluster API: two or more ``Cluster`` objects.

The same tooling aimed at one cluster is partial: it is ready to grow, not a fleet, and
only that tooling is cited. Applications and releases that deploy to the cluster their
controller runs in (Argo CD's in-cluster destination, a Flux object without
``kubeConfig``) are not fleet tooling: they count the local cluster as one target, cited
once, and alone they make a single-cluster repository, which is missing the practice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from stackyard.assess.detectors.base import (
    Detector,
    DetectorResult,
    FunctionDetector,
    achieved,
    missing,
    partial,
)
from stackyard.assess.inputs import Release, RepositoryIndex
from stackyard.assess.inputs.clusters import ArgoCluster
from stackyard.assess.inputs.clusters import registered_clusters as clusters_in
from stackyard.assess.inputs.located import as_mapping
from stackyard.assess.model import Evidence

# How Argo CD names the cluster it runs in, by URL and by name.
IN_CLUSTER = "https://kubernetes.default.svc"
IN_CLUSTER_NAME = "in-cluster"
LOCAL = "the local cluster"
FLEET_LOCAL = "fleet-local"
GROUP_TARGETS = ("clusterSelector", "clusterGroup", "clusterGroupSelector")


@dataclass
class Targets:
    """The distinct clusters a repository deploys to, each with where that is written."""

    clusters: dict[str, list[Evidence]] = field(default_factory=dict)
    # Targets that reach every cluster a selector or group matches (Rancher Fleet).
    groups: list[Evidence] = field(default_factory=list)
    # Whether anything but plain local deployments names a cluster (see the module docstring).
    tooling: bool = False

    def add(self, cluster: str, evidence: Evidence) -> None:
        """Record that fleet tooling deploys to ``cluster``."""
        self.tooling = True
        self.clusters.setdefault(cluster, []).append(evidence)

    def local(self, evidence: Evidence) -> None:
        """Record a deployment to the controller's own cluster: one target, cited once."""
        self.clusters.setdefault(LOCAL, [evidence])

    def evidence(self) -> list[Evidence]:
        """The first citation for each cluster, then the rest."""
        first = [cited[0] for cited in self.clusters.values()]
        rest = [e for cited in self.clusters.values() for e in cited[1:]]
        return first + self.groups + rest

    def fleet(self) -> bool:
        """Whether two or more clusters, or groups of clusters, are reached."""
        return len(self.clusters) >= 2 or bool(self.groups)

    def describe(self) -> str:
        """``3 clusters managed as a fleet: a, b, c`` (groups said as such)."""
        named = sorted(self.clusters)
        if self.groups:
            named.append(f"{len(self.groups)} cluster groups or selectors")
        return f"{len(self.clusters)} clusters managed as a fleet: {', '.join(named)}"


def registered_clusters(index: RepositoryIndex) -> list[ArgoCluster]:
    """Clusters registered in Argo CD by labelled Secrets (``data`` decoded)."""
    return clusters_in(index.of_kind("Secret"))


def _fleet(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    registered = registered_clusters(index)
    targets = Targets()
    _argo_applications(index.releases, registered, targets)
    _argo_generators(index, registered, targets)
    _flux(index.releases, targets)
    _rancher_fleet(index, targets)
    _cluster_api(index, targets)
    registrations = [c.evidence for c in registered]
    if targets.fleet():
        return achieved(registrations + targets.evidence(), targets.describe())
    if targets.tooling or registered:
        one = next(iter(targets.clusters), None) or registered[0].name
        return partial(
            registrations + targets.evidence(),
            f"fleet tooling for a single cluster ({one})",
            looks_for,
        )
    if targets.clusters:
        return missing(
            looks_for, "a single cluster: every application deploys to the cluster it runs in"
        )
    return missing(looks_for)


def _argo_applications(
    releases: Iterable[Release], registered: list[ArgoCluster], targets: Targets
) -> None:
    by_server = {c.server: c.name for c in registered if c.server}
    by_name = {c.name: c.name for c in registered}
    for release in releases:
        if release.kind != "Application":
            continue
        if release.cluster is None:  # no destination written: nothing to count
            continue
        value = str(release.cluster.value)
        if value == IN_CLUSTER_NAME:
            value = IN_CLUSTER
        cluster = by_server.get(value) or by_name.get(value) or value
        if cluster == IN_CLUSTER:  # Argo CD's own cluster, not registered by a Secret
            targets.local(release.cluster.evidence)
        else:
            targets.add(cluster, release.cluster.evidence)


def _argo_generators(
    index: RepositoryIndex, registered: list[ArgoCluster], targets: Targets
) -> None:
    for appset in index.of_kind("ApplicationSet", group="argoproj.io"):
        for path, generator in appset.child("spec", "generators").walk():
            if not path or path[-1] != "clusters" or not isinstance(generator, Mapping):
                continue
            selector = as_mapping(generator.get("selector"))
            cited = appset.evidence("spec", "generators", *path)
            for cluster in registered:
                if _selected(selector, cluster.labels):
                    targets.add(cluster.name, cited)
            local_registered = any(c.server == IN_CLUSTER for c in registered)
            if not selector and not local_registered:
                targets.add(LOCAL, cited)  # yielded without a Secret, so no labels to select


def _selected(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """Whether ``labels`` satisfy a selector's ``matchLabels`` (expressions pass)."""
    wanted = as_mapping(selector.get("matchLabels"))
    return all(str(labels.get(k)) == str(v) for k, v in wanted.items())


def _flux(releases: Iterable[Release], targets: Targets) -> None:
    for release in releases:
        if release.kind not in ("Kustomization", "HelmRelease"):
            continue
        if release.cluster is None:
            targets.local(release.evidence)
        else:
            targets.add(f"kubeconfig {release.cluster.value}", release.cluster.evidence)


def _rancher_fleet(index: RepositoryIndex, targets: Targets) -> None:
    for repo in index.of_kind("GitRepo", group="fleet.cattle.io"):
        if repo.namespace == FLEET_LOCAL:
            targets.add(LOCAL, repo.evidence())
            continue
        entries = repo.get("spec", "targets")
        if not isinstance(entries, list) or not entries:  # Fleet's default: the default group
            targets.groups.append(repo.evidence(text=f"GitRepo {repo.name}: default group"))
            continue
        for i, entry in enumerate(entries):
            if not isinstance(entry, Mapping):
                continue
            cited = repo.evidence("spec", "targets", i, text=f"GitRepo {repo.name} target")
            if entry.get("clusterName"):
                targets.add(f"Fleet cluster {entry['clusterName']}", cited)
            elif any(entry.get(k) for k in GROUP_TARGETS):
                targets.groups.append(cited)


def _cluster_api(index: RepositoryIndex, targets: Targets) -> None:
    for cluster in index.of_kind("Cluster", group="cluster.x-k8s.io"):
        targets.add(f"Cluster API {cluster.namespace}/{cluster.name}", cluster.evidence())


DETECTORS: tuple[Detector, ...] = (
    FunctionDetector(
        "fleet-management",
        "two or more clusters targeted from Git: Argo CD cluster Secrets with Applications or "
        "ApplicationSet cluster generators, Rancher Fleet GitRepo targets, Flux kubeConfig, "
        "or Cluster API Clusters",
        _fleet,
    ),
)
