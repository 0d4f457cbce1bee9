"""Hydrate Applications with a real Helm engine and validate what the charts render.

With ``--hydrate --charts DIR``, every chart an Application(Set) installs that is
present in DIR (a ``.tgz`` archive or an unpacked chart directory, matched by the
name and version in its ``Chart.yaml``) is rendered offline through helm-python-sdk
(Helm's Go SDK) with the merged ``$values`` layers of each target cluster, exactly
the release name and namespace Argo CD would use. The rendered objects go through the
same schema checks as the tree, custom resources of CRDs the chart itself ships
included. A chart that fails to render is an error; a chart that is not in DIR is
reported as not hydrated, never skipped silently. Every container image is collected
into an inventory (``images.txt``) for mirroring.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helm_python as helm

from stackyard.errors import Location, YamlError
from stackyard.findings import Finding
from stackyard.kube import merge_values, pod_spec
from stackyard.progress import Progress, no_progress
from stackyard.validate.crdschemas import check_resource
from stackyard.validate.helmvalues import value_layers
from stackyard.validate.kube import UnknownKindError, validate_builtin
from stackyard.validate.repository import Repository
from stackyard.validate.schemaerrors import problems_from
from stackyard.validate.topology import helm_sources
from stackyard.yamlio import load_yaml_documents

CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
HYDRATING = "hydrating releases"


@dataclass(frozen=True, order=True)
class Image:
    """A container image reference split into its parts."""

    reference: str
    registry: str
    repository: str
    tag: str
    digest: str

    @classmethod
    def parse(cls, reference: str) -> Image:
        """Split ``reference`` the way container runtimes resolve it (Docker Hub default)."""
        rest, _, digest = reference.partition("@")
        name, tag = rest, ""
        slash = rest.rfind("/")
        if rest.rfind(":") > slash:
            name, _, tag = rest.rpartition(":")
        first, _, remainder = name.partition("/")
        if remainder and ("." in first or ":" in first or first == "localhost"):
            registry, repository = first, remainder
        else:
            registry, repository = "docker.io", name if "/" in name else f"library/{name}"
        if not tag and not digest:
            tag = "latest"
        return cls(reference, registry, repository, tag, digest)


@dataclass(frozen=True)
class MissingChart:
    """A chart an Application installs that the charts directory does not hold."""

    chart: str
    version: str
    applications: tuple[str, ...]
    location: Location


@dataclass
class Hydration:
    """What hydration found: findings, images by reference, charts rendered or missing.

    ``images`` names the Applications using each image; ``clusters`` the clusters they
    install it on.
    """

    findings: list[Finding] = field(default_factory=list)
    images: dict[Image, set[str]] = field(default_factory=dict)
    clusters: dict[Image, set[str]] = field(default_factory=dict)
    missing: list[MissingChart] = field(default_factory=list)
    rendered: int = 0

    def inventory(self) -> str:
        """``images.txt``: one image a line with registry, repository, tag, digest, users."""
        lines = ["# image\tregistry\trepository\ttag\tdigest\tused by"]
        for image in sorted(self.images):
            users = ",".join(sorted(self.images[image]))
            lines.append(
                "\t".join(
                    (
                        image.reference,
                        image.registry,
                        image.repository,
                        image.tag or "-",
                        image.digest or "-",
                        users,
                    )
                )
            )
        return "\n".join(lines) + "\n"


def local_charts(directory: Path) -> dict[tuple[str, str], Path]:
    """Charts in ``directory`` by (name, version): archives and unpacked directories."""
    found: dict[tuple[str, str], Path] = {}
    candidates = sorted(directory.glob("*.tgz")) + sorted(
        p for p in directory.iterdir() if (p / "Chart.yaml").is_file()
    )
    for path in candidates:
        try:
            with helm.Chart.load(path) as chart:
                found.setdefault((chart.name, chart.version), path)
        except helm.HelmError:
            continue  # not a chart; reported only if an Application needs it
    return found


def hydrate(
    repository: Repository,
    charts: Path | None,
    version: str,
    progress: Progress = no_progress,
    *,
    check: bool = True,
) -> Hydration:
    """Render and check every chart of the tree that ``charts`` holds.

    ``progress`` hears "hydrating releases" once per release on each of its clusters.
    Without ``check`` the rendered objects are only searched for images, not checked
    against their schemas. Without ``charts`` no chart is rendered: each is missing.
    """
    result = Hydration()
    available = local_charts(charts) if charts is not None else {}
    sources = list(helm_sources(repository))
    total = sum(len(s.clusters) for s in sources)
    done = 0
    for helm_source in sources:
        source, helm_values = helm_source.source, helm_source.source["helm"]
        name = str(source.get("chart") or str(source.get("path") or "").rsplit("/", 1)[-1])
        chart_version = str(source.get("targetRevision") or "").lstrip("v")
        path = available.get((name, chart_version)) or available.get((name, "v" + chart_version))
        where = helm_source.document.locate(helm_source.at)
        if path is None:
            result.findings.append(
                Finding.not_checked(
                    where,
                    "hydrate",
                    f"chart {name} {chart_version} not in the charts directory: not hydrated",
                )
            )
            apps = tuple(helm_source.application(c) for c in helm_source.clusters)
            result.missing.append(MissingChart(name, chart_version, apps, where))
            done += len(helm_source.clusters)
            continue
        release = str(helm_values.get("releaseName") or name)
        for cluster in helm_source.clusters:
            progress(HYDRATING, done, total)
            done += 1
            values: dict[str, Any] = {}
            for _, layer in value_layers(repository, helm_values.get("valueFiles") or [], cluster):
                if isinstance(layer.data, dict):
                    values = merge_values(values, layer.data)
            app = helm_source.application(cluster)
            rendering = Rendering(release, helm_source.namespace, app, cluster.name, check)
            result.findings += _render(path, values, rendering, version, where, result)
    progress(HYDRATING, total, total)
    return result


@dataclass(frozen=True)
class Rendering:
    """One release of a chart on one cluster, as Argo CD would install it."""

    release: str
    namespace: str
    app: str
    cluster: str
    check: bool = True


def _render(
    path: Path,
    values: dict[str, Any],
    rendering: Rendering,
    version: str,
    where: Location,
    result: Hydration,
) -> Iterator[Finding]:
    app = rendering.app
    try:
        with helm.Chart.load(path) as chart:
            manifests = chart.render(
                values=values,
                name=rendering.release,
                namespace=rendering.namespace,
                is_install=True,
            )
            shipped_crds = [c.get("data", "") for c in chart.crds]
    except helm.HelmError as e:
        yield Finding(where, "hydrate", f"{app}: chart {path.name} failed to render: {e}")
        return
    result.rendered += 1
    objects: list[tuple[str, dict[str, Any], Any]] = []
    for template, text in sorted(
        list(manifests.items()) + [(f"crds/{i}", t) for i, t in enumerate(shipped_crds)]
    ):
        if not template.endswith((".yaml", ".yml", ".json")) and not template.startswith("crds/"):
            continue
        source = f"{app}:{template}"
        try:
            documents = load_yaml_documents(text, source)
        except YamlError as e:
            yield Finding(where, "hydrate", f"{source}: rendered invalid YAML: {e}")
            continue
        objects += [(source, d.data, d) for d in documents if isinstance(d.data, dict)]
    crds = _crd_validators(obj for _, obj, _ in objects) if rendering.check else {}
    for _source, obj, document in objects:
        if rendering.check:
            yield from _check(obj, document, crds, version, app)
        for image in _images(obj):
            parsed = Image.parse(image)
            result.images.setdefault(parsed, set()).add(app)
            result.clusters.setdefault(parsed, set()).add(rendering.cluster)


def _check(
    obj: dict[str, Any], document: Any, crds: Mapping[tuple[str, str], Any], version: str, app: str
) -> Iterator[Finding]:
    kind, api_version = str(obj.get("kind")), str(obj.get("apiVersion"))
    label = f"{app}: {kind} {(obj.get('metadata') or {}).get('name', '?')}"
    try:
        problems = validate_builtin(obj, version)
        check = "schema"
    except UnknownKindError:
        validator = crds.get((api_version, kind))
        if validator is not None:
            problems = problems_from(validator.iter_errors(obj))
        else:
            result = check_resource(obj)
            problems = list(result.problems)
        check = "crd"
    for problem in problems:
        yield Finding(document.locate(()), check, f"{label}: {problem}")


def _crd_validators(objects: Iterator[dict[str, Any]]) -> dict[tuple[str, str], Any]:
    from jsonschema import Draft4Validator

    from stackyard.validate.crdschemas import openapi_to_jsonschema

    validators: dict[tuple[str, str], Any] = {}
    for obj in objects:
        if obj.get("kind") != "CustomResourceDefinition":
            continue
        spec = obj.get("spec") or {}
        group, kind = spec.get("group"), (spec.get("names") or {}).get("kind")
        for served in spec.get("versions") or []:
            schema = (served.get("schema") or {}).get("openAPIV3Schema")
            if schema and served.get("served", True):
                validators[(f"{group}/{served['name']}", str(kind))] = Draft4Validator(
                    openapi_to_jsonschema(schema, root=True)
                )
    return validators


def _images(obj: Mapping[str, Any]) -> Iterator[str]:
    node = pod_spec(obj)
    if node is None:
        return
    for key in CONTAINER_LISTS:
        for container in node.get(key) or []:
            if isinstance(container, Mapping) and container.get("image"):
                yield str(container["image"])
