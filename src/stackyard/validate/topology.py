"""Check the GitOps wiring itself, the way Argo CD would resolve it.

For every ApplicationSet with a cluster generator: its selector must match at least
one declarative cluster Secret. For each matched cluster, and for every Application
whose destination is a declarative cluster: every ``$values`` file and every Git
directory it references must exist (files under ``overrides/`` are the user's and
optional); and no object may be owned by two Applications, counting the directories
each Application syncs. A ``path`` in any other Application (the root) must exist too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from stackyard.findings import Finding
from stackyard.kube import selector_matches
from stackyard.validate.repository import Repository
from stackyard.yamlio import LocatedDocument

CLUSTER_SECRET_LABEL = "argocd.argoproj.io/secret-type"
VALUES_REF = "$values/"


@dataclass(frozen=True)
class ClusterSecret:
    """A declarative Argo CD cluster as the generator sees it."""

    name: str
    server: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class HelmSource:
    """A chart source of an Application or ApplicationSet template and the clusters it targets.

    ``at`` is the path of the Application spec in ``document`` (the template's spec for
    an ApplicationSet), where findings about the source are located.
    """

    appset: str
    document: LocatedDocument
    source: Mapping[str, Any]
    namespace: str
    clusters: tuple[ClusterSecret, ...]
    at: tuple[str, ...] = ("spec", "template", "spec")

    def application(self, cluster: ClusterSecret) -> str:
        """The name of the Application that installs the chart on ``cluster``."""
        return self.appset if self.at == ("spec",) else f"{self.appset}-{cluster.name}"


def helm_sources(repository: Repository) -> Iterator[HelmSource]:
    """Every Helm source of every cluster-generator ApplicationSet and Application in the tree."""
    clusters = cluster_secrets(repository)
    for _, document in repository.objects():
        data = document.data
        if not isinstance(data, dict) or data.get("kind") not in ("ApplicationSet", "Application"):
            continue
        spec = data.get("spec") or {}
        at: tuple[str, ...] = ("spec",)
        if data["kind"] == "Application":
            template = spec
            selected = tuple(destination_clusters(spec, clusters))
        else:
            template, at = (spec.get("template") or {}).get("spec") or {}, HelmSource.at
            selected = tuple(
                cluster
                for generator in spec.get("generators") or []
                if "clusters" in generator
                for cluster in clusters
                if selector_matches(
                    (generator["clusters"] or {}).get("selector") or {}, cluster.labels
                )
            )
        namespace = str((template.get("destination") or {}).get("namespace") or "default")
        name = str((data.get("metadata") or {}).get("name"))
        for source in template.get("sources") or [template.get("source") or {}]:
            if isinstance(source, dict) and source.get("helm") is not None:
                yield HelmSource(name, document, source, namespace, selected, at)


def destination_clusters(
    spec: Mapping[str, Any], clusters: list[ClusterSecret]
) -> list[ClusterSecret]:
    """The declarative cluster an Application's destination names (by server or name)."""
    destination = spec.get("destination") or {}
    server, name = destination.get("server"), destination.get("name")
    return [c for c in clusters if (server and c.server == server) or (name and c.name == name)]


def cluster_secrets(repository: Repository) -> list[ClusterSecret]:
    """Every Secret labelled as an Argo CD cluster, and every ExternalSecret that makes one.

    An ExternalSecret declares a cluster when its target's template carries the label:
    the cluster a Cluster API provisions is registered so, from its kubeconfig
    (``render.clusterapi.registration``); its server is a template until then, its name
    is plain.
    """
    clusters = []
    for _, document in repository.objects():
        data = document.data
        if not isinstance(data, dict):
            continue
        if data.get("kind") == "Secret":
            labels = (data.get("metadata") or {}).get("labels") or {}
            fields = data.get("stringData") or {}
        elif data.get("kind") == "ExternalSecret" and str(data.get("apiVersion", "")).startswith(
            "external-secrets.io/"
        ):
            template = (((data.get("spec") or {}).get("target") or {}).get("template")) or {}
            labels = (template.get("metadata") or {}).get("labels") or {}
            fields = template.get("data") or {}
        else:
            continue
        if not isinstance(labels, dict) or labels.get(CLUSTER_SECRET_LABEL) != "cluster":
            continue
        if not isinstance(fields, dict):
            continue
        clusters.append(ClusterSecret(str(fields.get("name")), str(fields.get("server")), labels))
    return sorted(clusters, key=lambda c: c.name)


def check_topology(repository: Repository) -> Iterator[Finding]:
    """Every wiring problem of the tree."""
    clusters = cluster_secrets(repository)
    owners: dict[tuple[str, str, str, str, str], tuple[str, str, LocatedDocument]] = {}
    for path, document in repository.objects():
        data = document.data
        if not isinstance(data, dict):
            continue
        if data.get("kind") == "ApplicationSet":
            yield from _application_set(repository, path, document, clusters, owners)
        elif data.get("kind") == "Application":
            spec = data.get("spec") or {}
            targets = destination_clusters(spec, clusters)
            name = str((data.get("metadata") or {}).get("name"))
            if targets:
                yield from _sources(repository, document, name, spec, ("spec",), targets[0], owners)
                continue
            if clusters and _destination(spec):
                yield Finding(
                    document.locate(("spec", "destination")),
                    "topology",
                    f"Application {name} targets {_destination(spec)}, no declared cluster",
                )
            yield from _application(repository, path, document)


def _destination(spec: Mapping[str, Any]) -> str:
    destination = spec.get("destination") or {}
    return str(destination.get("server") or destination.get("name") or "")


def _application(repository: Repository, path: str, document: LocatedDocument) -> Iterator[Finding]:
    spec = document.data.get("spec") or {}
    sources = spec.get("sources") or ([spec["source"]] if spec.get("source") else [])
    for index, source in enumerate(sources):
        folder = _own_path(repository, source)
        if folder is not None and not repository.exists(folder):
            at = (
                ("spec", "sources", index, "path")
                if spec.get("sources")
                else ("spec", "source", "path")
            )
            yield Finding(document.locate(at), "topology", f"path {folder} does not exist")


def _own_path(repository: Repository, source: Mapping[str, Any]) -> str | None:
    """The tree-relative folder of a Git source in this repository, else None."""
    repo = repository.metadata.repo_url
    if "path" not in source or (repo and source.get("repoURL") != repo):
        return None
    path = str(source["path"])
    prefix = repository.repo_prefix
    return path[len(prefix) :] if prefix and path.startswith(prefix) else path


def _application_set(
    repository: Repository,
    path: str,
    document: LocatedDocument,
    clusters: list[ClusterSecret],
    owners: dict[tuple[str, str, str, str, str], tuple[str, str, LocatedDocument]],
) -> Iterator[Finding]:
    data = document.data
    name = str((data.get("metadata") or {}).get("name"))
    spec = data.get("spec") or {}
    template = (spec.get("template") or {}).get("spec") or {}
    for g_index, generator in enumerate(spec.get("generators") or []):
        if "clusters" not in generator:
            continue
        selector = (generator.get("clusters") or {}).get("selector") or {}
        selected = [c for c in clusters if selector_matches(selector, c.labels)]
        if not selected:
            yield Finding(
                document.locate(("spec", "generators", g_index, "clusters", "selector")),
                "topology",
                f"ApplicationSet {name} selects no cluster",
            )
        for cluster in selected:
            yield from _sources(
                repository,
                document,
                f"{name}-{cluster.name}",
                template,
                ("spec", "template", "spec"),
                cluster,
                owners,
            )


def _sources(
    repository: Repository,
    document: LocatedDocument,
    app: str,
    spec: Mapping[str, Any],
    at_spec: tuple[str, ...],
    cluster: ClusterSecret,
    owners: dict[tuple[str, str, str, str, str], tuple[str, str, LocatedDocument]],
) -> Iterator[Finding]:
    """Values files and folders of one Application (or generated one) on ``cluster``."""
    destination_ns = str((spec.get("destination") or {}).get("namespace") or "")
    sources = spec.get("sources") or ([spec["source"]] if spec.get("source") else [])
    key = "sources" if spec.get("sources") else "source"
    for s_index, source in enumerate(sources):
        if not isinstance(source, dict):
            continue
        at: tuple[str | int, ...] = (*at_spec, key) + ((s_index,) if key == "sources" else ())
        for v_index, value_file in enumerate((source.get("helm") or {}).get("valueFiles") or []):
            relative = _values_file(repository, str(value_file), cluster)
            if (
                relative
                and not relative.startswith("overrides/")
                and not repository.exists(relative)
            ):
                yield Finding(
                    document.locate((*at, "helm", "valueFiles", v_index)),
                    "topology",
                    f"{app}: values file {relative} does not exist",
                )
        folder = _own_path(repository, _substitute(source, cluster))
        if folder is None:
            continue
        if not repository.exists(folder):
            yield Finding(
                document.locate((*at, "path")), "topology", f"{app}: path {folder} does not exist"
            )
            continue
        yield from _claim(repository, folder, cluster.name, destination_ns, app, owners)


def _substitute(value: Any, cluster: ClusterSecret) -> Any:
    if isinstance(value, str):
        return value.replace("{{.name}}", cluster.name).replace("{{.server}}", cluster.server)
    if isinstance(value, dict):
        return {k: _substitute(v, cluster) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, cluster) for v in value]
    return value


def _values_file(repository: Repository, value_file: str, cluster: ClusterSecret) -> str | None:
    if not value_file.startswith(VALUES_REF):
        return None
    path = _substitute(value_file[len(VALUES_REF) :], cluster)
    prefix = repository.repo_prefix
    return str(path[len(prefix) :] if prefix and path.startswith(prefix) else path)


def _claim(
    repository: Repository,
    folder: str,
    cluster: str,
    namespace: str,
    app: str,
    owners: dict[tuple[str, str, str, str, str], tuple[str, str, LocatedDocument]],
) -> Iterator[Finding]:
    for path in repository.files_under(folder):
        documents = repository.files[path]
        for document in documents:
            data = document.data
            if not isinstance(data, dict) or "kind" not in data:
                continue
            metadata = data.get("metadata") or {}
            group = str(data.get("apiVersion", "")).rpartition("/")[0]
            key = (
                cluster,
                group,
                str(data["kind"]),
                str(metadata.get("namespace") or namespace),
                str(metadata.get("name")),
            )
            previous = owners.get(key)
            if previous and previous[0] != app:
                yield Finding(
                    document.locate(("metadata", "name")),
                    "topology",
                    f"{key[2]} {key[3]}/{key[4]} on {cluster} is owned by both {previous[0]} "
                    f"({previous[1]}) and {app}",
                )
            else:
                owners[key] = (app, path, document)
