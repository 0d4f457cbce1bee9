"""Derive the validation reference data shipped in ``stackyard/validate/data``.

``stackyard validate`` checks the Helm values and custom resources Stackyard writes against
the upstream charts and CRDs. Neither the package nor its tests may read the collected
upstream files (``../shared``) at run time, so this development script reads them once and
commits compact JSON into the package:

- ``charts/<chart>-<version>.json``: the key tree of each catalog chart's ``values.yaml``
  (format documented in ``stackyard.validate.chartkeys``), keyed by the catalog's chart
  name and pinned version, not by the (often placeholder) ``Chart.yaml`` version;
- ``charts/<chart>-<version>.schema.json`` and ``.defaults.json``: the chart's
  ``values.schema.json`` verbatim and its defaults, because Helm validates the schema
  against the defaults coalesced with the user's values;
- ``charts/index.json``: chart → version → files and provenance, plus the charts that
  have no key tree and why;
- ``crds/<group>/<Kind>-<version>.json``: ``openAPIV3Schema`` of every served version
  of every CRD, descriptions stripped; ``crds/index.json`` maps ``group/version/Kind``
  to its file, scope and provenance.

Projects ../shared lacks are pinned here (``UPSTREAM_CRDS``, ``UPSTREAM_CHARTS``,
``BACKSTAGE``: repository, tag and commit) and read with ``--extra-sources DIR``: a folder
holding each repository as a Git clone (``owner+name/repo``, ``owner+name`` or
``owner/name``) or, for repositories too large to clone, the pinned files alone under
``owner+name/<commit>/<path>`` (``--list-extra-files`` prints their raw URLs and where to
put them). Nothing upstream is committed, only what is derived from it. Without the
option the derived files of the last build that had the sources are kept as they are;
``digests.json`` records the SHA-256 of every output file as built, so ``--check`` (and a
build without the option) reports a derived file edited by hand.

- ``backstage/<Name>.schema.json``: the JSON schemas of Backstage's catalog model
  (entity envelope, metadata and the kinds), descriptions and examples stripped, and
  ``backstage/index.json`` with their provenance.

The output is deterministic: files are rewritten whole with sorted keys, and stale files
are removed. Run it again after changing the catalog or ``../shared``.

Usage: python scripts/build_reference_data.py [--shared ../shared] [--extra-sources DIR]
       [--check] [--list-extra-files]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from stackyard.catalog import load_catalog
from stackyard.catalog.model import HelmInstall
from stackyard.validate.chartsources import add_key, commented_keys, open_key, template_keys

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "stackyard" / "validate" / "data"

ANY = "*"  # the key tree's "anything goes here" marker, and its "other keys" member

# Catalog chart name -> directory in ../shared/charts when they differ.
CHART_DIRS = {
    "loki": "loki-grafana-community",
    "deploy/chart/local-path-provisioner": "local-path-provisioner",
}

# Charts the catalog pins but ../shared/charts lacks; validation reports them as unchecked.
# The search index holds older, mismatched versions only (13.4.x for teleport-cluster,
# 5.7.0 for mimir-distributed), which would be wrong keys under the pinned version.
NO_KEY_TREE = {
    "teleport-cluster": "values.yaml not collected: the repository is over the fetch limit "
    "and the indexed copy is a 13.4.x development build, not the pinned version",
    "mimir-distributed": "values.yaml not collected: the repository is over the fetch limit "
    "and the indexed copy is chart 5.7.0, not the pinned version",
}


@dataclass(frozen=True)
class Upstream:
    """Files of one upstream project at a pinned tag, for what ../shared does not hold."""

    project: str
    repository: str  # owner/name on GitHub
    ref: str  # the release tag
    commit: str  # the tag's commit, which the files are read at
    paths: tuple[str, ...]  # files, or (for a chart) the chart's folder

    def provenance(self) -> dict[str, str]:
        """The index's provenance fields, as ``crd_provenance`` writes them."""
        return {"upstream": self.repository, "ref": self.ref, "commit": self.commit}


_ENVOY_GATEWAY = ("envoyproxy/gateway", "v1.9.0", "39763b1c07ec30a5526fe70434a2cfe4181de642")
_ENVOY_CRDS = "charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_"
_ISTIO = ("istio/istio", "1.30.3", "56df41f63e513f834c9a3af33d8aed82d1d961f2")
_TELEPORT_CRDS = "examples/chart/teleport-cluster/charts/teleport-operator/operator-crds/"

# CRDs of projects ../shared/crds lacks. Envoy Gateway's are the plain files its chart's
# `crds` subchart installs (the gateway-crds-helm copies are wrapped in Helm conditions).
UPSTREAM_CRDS = (
    Upstream(
        "envoy-gateway",
        *_ENVOY_GATEWAY,
        tuple(
            f"{_ENVOY_CRDS}{name}.yaml"
            for name in (
                "backends",
                "backendtrafficpolicies",
                "clienttrafficpolicies",
                "envoyextensionpolicies",
                "envoypatchpolicies",
                "envoyproxies",
                "httproutefilters",
                "securitypolicies",
            )
        ),
    ),
    Upstream(
        "kiali",
        "kiali/kiali-operator",
        "v2.29.0",
        "c8bd73c2b242930b43de32ef5dff2ef01925f5d2",
        ("crd-docs/crd/kiali.io_kialis.yaml",),
    ),
    # The Teleport operator's roles (v7), OIDC connectors and provision tokens, as the
    # teleport-cluster chart installs them (operator-crds/), for the roles and connector
    # render writes from identity.groups and the join tokens of the app clusters' agents.
    # The repository is over the fetch limit and no release tag of these copies is known:
    # each file is pinned at the commit it was read at, fetched alone.
    *(
        Upstream(
            "teleport",
            "gravitational/teleport",
            "",
            commit,
            (f"{_TELEPORT_CRDS}resources.teleport.dev_{name}.yaml",),
        )
        for name, commit in (
            ("rolesv7", "00d0ff93cf0d54c2fcf17994cfe59ff571f6e6dc"),
            ("oidcconnectors", "0cc8aaf34c370ad0a363c0a1f6f9031ea226bbb5"),
            ("provisiontokens", "0c9e211d54867b83aaf42d57acfd8624c55027f7"),
        )
    ),
    # The VolumeSnapshot API Velero's CSI snapshots use. v8.5.0 is the csi-snapshotter
    # Longhorn 1.12's chart runs, and Longhorn asks for CRDs of the same release; RKE2
    # installs them itself (rke2-snapshot-controller-crd).
    Upstream(
        "external-snapshotter",
        "kubernetes-csi/external-snapshotter",
        "v8.5.0",
        "5aab051d1af135e2c852f6fb7fc27fa709d877bf",
        tuple(
            f"client/config/crd/snapshot.storage.k8s.io_{name}.yaml"
            for name in ("volumesnapshotclasses", "volumesnapshotcontents", "volumesnapshots")
        ),
    ),
)

# Cluster API, at the releases the catalog's cluster-api-operator entry installs: core and
# kubeadm v1.13.5 (the line cluster-api-provider-rke2 v0.25.0 is built against), the AWS
# provider v2.11.1, the vSphere provider v1.16.1 (built against Cluster API 1.13), the
# RKE2 providers v0.25.0, and the operator v0.28.0 whose provider objects install them.
# Only the kinds Stackyard writes.
_CAPI = ("kubernetes-sigs/cluster-api", "v1.13.5", "30be34da2ba56735e128c280370df3135d048015")
_CAPI_OPERATOR = (
    "kubernetes-sigs/cluster-api-operator",
    "v0.28.0",
    "d32c1c2a0bd227e2a49e8c3db9c7ef6b131ec11f",
)
CLUSTER_API_CRDS = (
    Upstream(
        "cluster-api",
        *_CAPI,
        (
            "config/crd/bases/cluster.x-k8s.io_clusters.yaml",
            "config/crd/bases/cluster.x-k8s.io_machinedeployments.yaml",
            "config/crd/bases/cluster.x-k8s.io_machinehealthchecks.yaml",
            "bootstrap/kubeadm/config/crd/bases/bootstrap.cluster.x-k8s.io_kubeadmconfigtemplates.yaml",
            "controlplane/kubeadm/config/crd/bases/"
            "controlplane.cluster.x-k8s.io_kubeadmcontrolplanes.yaml",
        ),
    ),
    Upstream(
        "cluster-api-provider-aws",
        "kubernetes-sigs/cluster-api-provider-aws",
        "v2.11.1",
        "eaa4c99b64d76179cb37e465808f6f00360d0bcc",
        (
            "config/crd/bases/infrastructure.cluster.x-k8s.io_awsclusters.yaml",
            "config/crd/bases/infrastructure.cluster.x-k8s.io_awsmachinetemplates.yaml",
        ),
    ),
    Upstream(
        "cluster-api-provider-vsphere",
        "kubernetes-sigs/cluster-api-provider-vsphere",
        "v1.16.1",
        "5b57d1db50a72f8d7ac605f9860f18d517215b4d",
        (
            "config/default/crd/bases/infrastructure.cluster.x-k8s.io_vsphereclusters.yaml",
            "config/default/crd/bases/infrastructure.cluster.x-k8s.io_vspheremachinetemplates.yaml",
        ),
    ),
    Upstream(
        "cluster-api-provider-rke2",
        "rancher/cluster-api-provider-rke2",
        "v0.25.0",
        "dcfa2e0efbcb0488543efe586f8b1dadfe36ff56",
        (
            "bootstrap/config/crd/bases/bootstrap.cluster.x-k8s.io_rke2configtemplates.yaml",
            "controlplane/config/crd/bases/controlplane.cluster.x-k8s.io_rke2controlplanes.yaml",
        ),
    ),
    Upstream(
        "cluster-api-operator",
        *_CAPI_OPERATOR,
        tuple(
            f"config/crd/bases/operator.cluster.x-k8s.io_{kind}providers.yaml"
            for kind in ("core", "infrastructure", "bootstrap", "controlplane")
        ),
    ),
)
UPSTREAM_CRDS += CLUSTER_API_CRDS

# Charts ../shared/charts lacks, by the name the catalog installs them under, and the
# version (the chart version the release publishes) they are pinned at.
UPSTREAM_CHARTS: dict[tuple[str, str], Upstream] = {
    ("cni", "1.30.3"): Upstream("istio-cni", *_ISTIO, ("manifests/charts/istio-cni",)),
    ("ztunnel", "1.30.3"): Upstream("ztunnel", *_ISTIO, ("manifests/charts/ztunnel",)),
    # The chart's version is its release tag without the v (its git Chart.yaml says 0.0.0).
    ("cluster-api-operator", "0.28.0"): Upstream(
        "cluster-api-operator", *_CAPI_OPERATOR, ("hack/charts/cluster-api-operator",)
    ),
    ("gateway-helm", "v1.9.0"): Upstream(
        "envoy-gateway", *_ENVOY_GATEWAY, ("charts/gateway-helm",)
    ),
    # Teleport's repository is over the fetch limit, so the chart's values.yaml is fetched
    # alone, at the one commit it could be read at; its tag is unknown (no ref), so the key
    # tree is recorded as not of the exact version. Its templates are not read. The keys
    # Stackyard writes (roles, proxyAddr, kubeClusterName, joinParams, labels, extraEnv,
    # extraVolumes, extraVolumeMounts, enterprise) are in this copy, which documents the
    # Kubernetes join method's JWKS variant (Teleport 17 and later).
    ("teleport-kube-agent", "18.11.1"): Upstream(
        "teleport-kube-agent",
        "gravitational/teleport",
        "",
        "0001c4cf2c96813953702d77e495388cc7548562",
        ("examples/chart/teleport-kube-agent",),
    ),
}

# Charts ../shared/charts holds whose key trees are built even before the catalog pins
# them, at this version (their git Chart.yaml carries a placeholder version).
SHARED_PINS = {("kiali-operator", "2.29.0")}

# Backstage's catalog model: the entity envelope, metadata, shared definitions and kinds.
# The repository is too large to clone, so its files are fetched alone (--list-extra-files).
_BACKSTAGE_SCHEMA = "packages/catalog-model/src/schema/"
BACKSTAGE = tuple(
    Upstream("backstage", "backstage/backstage", "", commit, (f"{_BACKSTAGE_SCHEMA}{path}",))
    for path, commit in (
        ("Entity.schema.json", "0571b339cc31f1eaf472cf33aad5478c87033491"),
        ("EntityMeta.schema.json", "025e122c3e5147c91eb9e5b963170c797c0d5383"),
        ("shared/common.schema.json", "0571b339cc31f1eaf472cf33aad5478c87033491"),
        ("kinds/API.v1alpha1.schema.json", "0e452ad6eb37b9cc307d7dbaef4263509db9287f"),
        ("kinds/Component.v1alpha1.schema.json", "1f0ed728a780fb961e25df9ee771159311779064"),
        ("kinds/Domain.v1alpha1.schema.json", "1f0ed728a780fb961e25df9ee771159311779064"),
        ("kinds/Group.v1alpha1.schema.json", "070aeb3020761bfd9b9a3298e63d2ef011891868"),
        ("kinds/Resource.v1alpha1.schema.json", "00c932b72917e3c24bc3039d98e6f4eefcb1530a"),
        ("kinds/Location.v1alpha1.schema.json", "025e122c3e5147c91eb9e5b963170c797c0d5383"),
        ("kinds/System.v1alpha1.schema.json", "2be22ecd3f496aecf9e4fd0f05516544c6ff3764"),
    )
)


def raw_url(upstream: Upstream, path: str) -> str:
    """Where GitHub serves ``path`` at the pinned commit."""
    return f"https://raw.githubusercontent.com/{upstream.repository}/{upstream.commit}/{path}"


def upstream_file(sources: Path, upstream: Upstream, path: str) -> bytes:
    """One pinned file, from a clone under ``sources`` or a file fetched alone."""
    git_dir = _git_dir(sources, upstream.repository)
    if git_dir is not None:
        blob = _git(git_dir, "show", f"{upstream.commit}:{path}")
        if blob is not None:
            return blob
    owner, _, name = upstream.repository.partition("/")
    loose = sources / f"{owner}+{name}" / upstream.commit / path
    if loose.is_file():
        return loose.read_bytes()
    raise SystemExit(
        f"{upstream.repository} {upstream.commit[:12]}:{path} is not under {sources} "
        "(clone the repository there, or run --list-extra-files and fetch the files)"
    )


def has_sources(sources: Path | None, upstream: Upstream) -> bool:
    """Whether ``sources`` holds ``upstream``'s pinned files (a clone or loose files).

    A project missing from ``--extra-sources`` keeps the last build's files, as all do
    without the option; ``digests.json`` still reports any of them edited by hand.
    """
    if sources is None:
        return False
    git_dir = _git_dir(sources, upstream.repository)
    if git_dir is not None and _git(git_dir, "cat-file", "-e", upstream.commit) is not None:
        return True
    owner, _, name = upstream.repository.partition("/")
    return all(
        (sources / f"{owner}+{name}" / upstream.commit / path).exists() for path in upstream.paths
    )


def _previous(out: Path, name: str) -> Any:
    path = out / name
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


# Istio charts nest every default under this key; users set the children at the top level.
ISTIO_WRAPPER = "_internal_defaults_do_not_set"

# Keys that hold another program's own configuration, which the chart copies verbatim:
# their defaults show a few settings of a much larger format. "any" accepts anything below
# the key; "open" keeps the chart's own keys checked and accepts any other key beside them.
FREE_FORM: dict[str, dict[str, str]] = {
    "argo-cd": {  # argocd-cm, argocd-cmd-params-cm and argocd-rbac-cm data, next to `create`
        "configs.cm": "open",
        "configs.params": "open",
        "configs.rbac": "open",
    },
    "falco": {"falco": "any"},  # falco.yaml
    "istiod": {"meshConfig": "any"},  # istio.mesh.v1alpha1.MeshConfig
    "kube-prometheus-stack": {"alertmanager.config": "any"},  # alertmanager.yml
    "tempo": {  # OpenTelemetry receivers; tempo.yaml's storage.trace backends (s3, gcs, azure)
        "tempo.receivers": "any",
        "tempo.storage.trace": "open",
    },
}

# Top-level keys a chart accepts under another name (alias -> canonical key).
KEY_ALIASES = {"alloy": {"agent": "alloy"}}  # grafana-agent compatibility, per values.yaml

# Keys that hold another program's configuration whose Go API types are pinned here: the key
# tree below the key is derived from the types' JSON field names (``go_key_tree``), so a
# misspelt key under it is reported. Chart -> dotted key -> (upstream, Go package folder,
# root type). The repository must be cloned under --extra-sources.
TYPED_KEYS: dict[str, dict[str, tuple[Upstream, str, str]]] = {
    "gateway-helm": {  # the chart writes config.envoyGateway as Envoy Gateway's config file
        "config.envoyGateway": (
            Upstream("envoy-gateway", *_ENVOY_GATEWAY, ("api/v1alpha1",)),
            "api/v1alpha1",
            "EnvoyGateway",
        )
    }
}

_GO_STRUCT = re.compile(r"^type (\w+) struct \{\n(.*?)^\}", re.M | re.S)
_GO_TYPE = re.compile(r"^type (\w+) ", re.M)
_GO_FIELD = re.compile(r"^\s*(?:(\w+)\s+)?([\w.*\[\]]+)\s+`[^`]*json:\"([^\"]*)\"[^`]*`", re.M)
_GO_SCALARS = {"string", "bool", "byte", "float32", "float64", "any"} | {
    f"{sign}int{bits}" for sign in ("", "u") for bits in ("", "8", "16", "32", "64")
}
# Types of other packages that are scalars in JSON (durations, quantities, int-or-string).
_GO_EXTERNAL_SCALARS = {"Duration", "Quantity", "IntOrString", "Time", "SectionName"}
_GO_TYPE_META = {"apiVersion": None, "kind": None}  # metav1.TypeMeta, inlined


def go_key_tree(texts: list[str], root: str) -> Any:
    """Key tree of Go type ``root`` as JSON, from the package's source ``texts``.

    A struct is a mapping of its fields' ``json`` names (``,inline`` fields merged in); a
    slice is ``[]``, a map any key; a builtin or a named non-struct type a scalar. A struct
    of another package is any key, but for the few that are scalars in JSON and
    ``metav1.TypeMeta``.
    """
    structs: dict[str, str] = {}
    named: set[str] = set()
    for text in texts:
        named.update(_GO_TYPE.findall(text))
        structs.update(_GO_STRUCT.findall(text))

    def of_type(expression: str, seen: tuple[str, ...]) -> Any:
        bare = expression.lstrip("*")
        if bare.startswith("[]"):
            return []
        if bare.startswith("map["):
            return ANY
        if bare in _GO_SCALARS:
            return None
        if "." in bare:
            return None if bare.rsplit(".", 1)[1] in _GO_EXTERNAL_SCALARS else ANY
        if bare in structs:
            return ANY if bare in seen else of_struct(bare, (*seen, bare))
        if bare in named:
            return None  # type X string, enums and the like
        raise SystemExit(f"Go type {bare!r} is not in the package; add it to go_key_tree")

    def of_struct(name: str, seen: tuple[str, ...]) -> dict[str, Any]:
        tree: dict[str, Any] = {}
        for field, expression, tag in _GO_FIELD.findall(structs[name]):
            key, _, options = tag.partition(",")
            if key == "-":
                continue
            if not field and "inline" in options.split(","):
                if expression.endswith("TypeMeta"):
                    tree.update(_GO_TYPE_META)
                    continue
                inlined = of_type(expression, seen)
                if isinstance(inlined, dict):
                    tree.update(inlined)
                else:
                    tree[ANY] = ANY
                continue
            tree[key] = of_type(expression, seen)
        return tree

    return of_type(root, ())


def typed_keys(extra: Path, chart: str) -> dict[str, Any]:
    """``TYPED_KEYS`` of ``chart``: dotted key -> key tree of its Go type."""
    trees: dict[str, Any] = {}
    for dotted, (upstream, folder, root) in TYPED_KEYS.get(chart, {}).items():
        git_dir = _git_dir(extra, upstream.repository)
        listing = (
            _git(git_dir, "ls-tree", "--name-only", f"{upstream.commit}:{folder}")
            if git_dir
            else None
        )
        if listing is None:
            raise SystemExit(f"{upstream.repository}: clone it under {extra} to read {folder}")
        names = [
            n for n in listing.decode().split() if n.endswith(".go") and not n.endswith("_test.go")
        ]
        texts = [upstream_file(extra, upstream, f"{folder}/{n}").decode("utf-8") for n in names]
        trees[dotted] = go_key_tree(texts, root)
    return trees


def passes_through(name: str) -> bool:
    """Whether a key conventionally holds a Kubernetes object the chart copies verbatim.

    Charts render these with ``toYaml``, so any field of the Kubernetes type is accepted
    even when ``values.yaml`` shows only a few defaults (``securityContext``, probes,
    ``resources.limits``...). Checking their children against the defaults would report
    valid Kubernetes fields as unknown.
    """
    key = name.lower()
    suffixes = ("annotations", "labels", "nodeselector", "selector", "affinity")
    suffixes += ("tolerations", "securitycontext", "resources", "strategy")
    exact = ("lifecycle", "dnsconfig", "env", "grafana.ini", "limits", "requests")
    return (
        key.endswith(suffixes)
        or key in exact
        or key.startswith("extraenv")
        or (key.endswith("probe") and len(key) > len("probe"))
    )


class _CrdLoader(yaml.CSafeLoader):
    """Safe loader that reads YAML 1.1's bare ``=`` as a string, as YAML 1.2 does.

    prometheus-operator's AlertmanagerConfig lists ``- =`` as a matcher type, which
    PyYAML otherwise refuses as the ``tag:yaml.org,2002:value`` tag.
    """


_CrdLoader.add_constructor(
    "tag:yaml.org,2002:value",
    lambda loader, node: loader.construct_scalar(node),  # type: ignore[arg-type]
)


def _key(key: object) -> str:
    """A YAML key as Helm sees it (Go YAML turns booleans into ``true``/``false``)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


# --- INDEX.md provenance ------------------------------------------------------------------

_SHA = re.compile(r"\b[0-9a-f]{40}\b")


def _table_rows(text: str) -> Iterator[list[str]]:
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            yield [cell.strip() for cell in line.strip().strip("|").split("|")]


def chart_provenance(shared: Path) -> dict[str, dict[str, str]]:
    """Per chart directory: upstream repository and path, and the snapshot commit."""
    rows: dict[str, dict[str, str]] = {}
    for cells in _table_rows((shared / "charts" / "INDEX.md").read_text(encoding="utf-8")):
        if len(cells) != 7 or cells[0].startswith("dir "):
            continue
        directory = cells[0].split()[0]
        commit = _SHA.search(cells[6])
        rows[directory] = {
            "upstream": cells[3].replace("`", ""),
            "commit": commit.group(0) if commit else "",
            "snapshot": cells[6],
        }
    return rows


def crd_provenance(shared: Path) -> dict[str, dict[str, str]]:
    """Per CRD project directory: upstream repository, ref and commit."""
    rows: dict[str, dict[str, str]] = {}
    text = (shared / "crds" / "INDEX.md").read_text(encoding="utf-8")
    for cells in _table_rows(text.split("\n## ", 2)[1]):  # the summary table only
        if len(cells) != 6 or cells[0] == "project":
            continue
        ref, _, commit = cells[3].rpartition(" @ ")
        rows[cells[0]] = {
            "upstream": cells[1],
            "ref": ref.strip(),
            "commit": commit.strip("` "),
        }
    return rows


# --- chart key trees ----------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaNode:
    """What a values.schema.json node says about one values key."""

    properties: Mapping[str, Any]
    open: bool  # other keys allowed (additionalProperties true/schema, patternProperties)
    kind: str  # "object", "array", "scalar" or "unknown"


class ChartSchema:
    """Read the structure of a chart's values.schema.json, following local ``$ref``."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        """Keep the document to resolve ``#/...`` references in."""
        self.document = document

    def resolve(self, node: Any, depth: int = 0) -> Mapping[str, Any]:
        """Follow a chain of local references to a schema object."""
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and depth < 32:
            target: Any = self.document
            for part in node["$ref"].lstrip("#").strip("/").split("/"):
                if part:
                    target = target[part.replace("~1", "/").replace("~0", "~")]
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            depth += 1
        return node if isinstance(node, Mapping) else {}

    def describe(self, raw: Any) -> SchemaNode:
        """Merge a node with its ``allOf``/``anyOf``/``oneOf`` branches."""
        node = self.resolve(raw)
        properties: dict[str, Any] = {}
        types: set[str] = set()
        opened = False
        closed = False
        for part in [
            node,
            *(self.resolve(b) for k in ("allOf", "anyOf", "oneOf") for b in node.get(k, [])),
        ]:
            properties.update(part.get("properties") or {})
            declared = part.get("type")
            types.update([declared] if isinstance(declared, str) else declared or [])
            extra = part.get("additionalProperties")
            opened |= extra is True or isinstance(extra, Mapping) or "patternProperties" in part
            closed |= extra is False
        if properties or "object" in types:
            kind = "object"
        elif types == {"array"}:
            kind = "array"
        elif types and types <= {"string", "integer", "number", "boolean", "null"}:
            kind = "scalar"
        else:
            kind = "unknown"
        # An object schema that names no properties and does not forbid extras allows any key.
        opened |= kind == "object" and not properties and not closed
        return SchemaNode(properties=properties, open=opened, kind=kind)


def union(a: Any, b: Any) -> Any:
    """Merge two key trees: a key either tree knows is known."""
    if a == b:
        return a
    if isinstance(a, dict) and isinstance(b, dict):
        merged = dict(a)
        for key, value in b.items():
            merged[key] = union(merged[key], value) if key in merged else value
        return ANY if merged.get(ANY) == ANY and len(merged) == 1 else merged
    if a is None and isinstance(b, dict):  # a null default documented as an object
        return b
    if b is None and isinstance(a, dict):
        return a
    return ANY  # the chart accepts more than one shape here


def from_schema(schema: ChartSchema, raw: Any, name: str) -> Any:
    """Key tree of a key that only values.schema.json documents."""
    node = schema.describe(raw)
    if passes_through(name) and node.kind in ("object", "unknown"):
        return ANY
    if node.kind == "array":
        return []
    if node.kind == "scalar":
        return None
    if node.kind == "unknown" or (node.open and not node.properties):
        return ANY
    tree: dict[str, Any] = {k: from_schema(schema, v, k) for k, v in node.properties.items()}
    if node.open:
        tree[ANY] = ANY
    return tree


def key_tree(value: Any, schema: ChartSchema | None, raw: Any, name: str) -> Any:
    """Key tree of one values.yaml node, refined by its schema node when there is one."""
    node = schema.describe(raw) if schema is not None and raw is not None else None
    if passes_through(name) and (value is None or isinstance(value, dict)):
        return ANY  # a string default (`affinity: |` for tpl) keeps its shape
    if isinstance(value, list):
        return []
    if isinstance(value, dict):
        if not value and (node is None or not node.properties):
            return ANY  # `{}` default: a map of the user's own keys
        if node is not None and node.open and not node.properties:
            return ANY  # the schema lets any key in, whatever the defaults show
        tree: dict[str, Any] = {}
        for key, child in value.items():
            k = _key(key)
            if k == ANY:
                raise SystemExit(f"values key {k!r} collides with the key tree's marker")
            sub = node.properties.get(k) if node else None
            tree[k] = key_tree(child, schema, sub, k)
        if node is not None and schema is not None:
            for k, sub in node.properties.items():
                tree[k] = (
                    union(tree[k], from_schema(schema, sub, k))
                    if k in tree
                    else from_schema(schema, sub, k)
                )
            if node.open:
                tree[ANY] = ANY
        return tree
    if value is None:  # a placeholder; only the schema can say what belongs here
        return from_schema(schema, raw, name) if node is not None and schema is not None else ANY
    if node is not None and schema is not None and node.kind == "object":
        return from_schema(schema, raw, name)
    return None


def subchart_keys(chart_dir: Path, shared: Path, tree: dict[str, Any]) -> None:
    """Open (or fill in) the keys a chart hands to its subcharts.

    Helm passes ``<name or alias>:`` to the subchart. When ../shared holds that subchart at
    exactly the dependency's version its key tree is merged in; otherwise the parent's
    keys stay checked and any other key is allowed. ``global`` reaches every chart.
    """
    # A chart read from its values.yaml alone has no Chart.yaml: no dependencies known.
    chart = _chart_yaml(chart_dir) if (chart_dir / "Chart.yaml").is_file() else {}
    for dependency in chart.get("dependencies") or []:
        key = dependency.get("alias") or dependency["name"]
        local = shared / "charts" / dependency["name"]
        sub: Any = ANY
        if local.is_dir() and str(_chart_yaml(local).get("version")) == str(
            dependency.get("version")
        ):
            sub = _values_tree(local, shared)
        if dependency["name"] == "common" and key not in tree:
            continue  # Bitnami-style library chart: no values of its own
        current = tree.get(key)
        if sub == ANY and isinstance(current, dict):
            current[ANY] = ANY
        else:
            tree[key] = union(current, sub) if key in tree else sub
    tree.setdefault("global", ANY)


def _source_version(chart_dir: Path) -> str:
    """The version the chart's own ``Chart.yaml`` states; ``unknown`` without one."""
    if not (chart_dir / "Chart.yaml").is_file():
        return "unknown"
    return str(_chart_yaml(chart_dir).get("version"))


def _chart_yaml(chart_dir: Path) -> dict[str, Any]:
    text = (chart_dir / "Chart.yaml").read_text(encoding="utf-8")
    # rancher stamps these at release time; the raw `%` is not valid YAML.
    text = text.replace("%VERSION%", "0.0.0").replace("%APP_VERSION%", "0.0.0")
    documents = [d for d in yaml.safe_load_all(text) if d]  # cloud-provider-aws ends in `---`
    return dict(documents[0])


def _values(chart_dir: Path, *, unwrap: bool = True) -> dict[str, Any]:
    values = yaml.safe_load((chart_dir / "values.yaml").read_text(encoding="utf-8")) or {}
    if unwrap and ISTIO_WRAPPER in values:
        inner = values.pop(ISTIO_WRAPPER) or {}
        values = {**inner, **values}
    return dict(values)


def _schema(chart_dir: Path) -> dict[str, Any] | None:
    path = chart_dir / "values.schema.json"
    return dict(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else None


def _values_tree(
    chart_dir: Path,
    shared: Path,
    templates: Mapping[str, Any] | None = None,
    typed: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    document = _schema(chart_dir)
    schema = ChartSchema(document) if document is not None else None
    tree: Any = key_tree(_values(chart_dir), schema, document, "")
    if not isinstance(tree, dict):
        raise SystemExit(f"{chart_dir}: values.yaml is not a mapping")
    tree.pop(ISTIO_WRAPPER, None)
    # Keys the chart documents only in comments, and keys its templates read: real keys
    # values.yaml gives no default (see stackyard.validate.chartsources).
    text = (chart_dir / "values.yaml").read_text(encoding="utf-8")
    for path, shape in commented_keys(text):
        tree = add_key(tree, path[1:] if path[:1] == (ISTIO_WRAPPER,) else path, shape)
    for path in (templates or {}).get("read", []):
        tree = add_key(tree, _unwrapped(path), ANY)
    for path in (templates or {}).get("verbatim", []):
        tree = open_key(tree, _unwrapped(path))
    subchart_keys(chart_dir, shared, tree)
    for dotted, how in FREE_FORM.get(chart_dir.name, {}).items():
        *parents, last = dotted.split(".")
        node = tree
        for part in parents:
            node = node[part]
        if node == ANY or node.get(last) == ANY:
            continue  # the templates already copy it verbatim
        if how == "any":
            node[last] = ANY
        else:
            node[last][ANY] = ANY
    for dotted, derived in (typed or {}).items():
        *parents, last = dotted.split(".")
        node = tree
        for part in parents:
            node = node[part]
        node[last] = union(node.get(last), derived)
    for alias, canonical in KEY_ALIASES.get(chart_dir.name, {}).items():
        tree[alias] = tree[canonical]  # the templates read it whole, as the canonical key
    return tree


def _unwrapped(path: list[str]) -> tuple[str, ...]:
    return tuple(path[1:] if path[:1] == [ISTIO_WRAPPER] else path)


# --- chart templates ----------------------------------------------------------------------


def _git_dir(sources: Path, repository: str) -> Path | None:
    """The Git repository of ``owner/name`` under ``sources``, if one is there."""
    owner, _, name = repository.partition("/")
    for candidate in (
        sources / f"{owner}+{name}" / "repo",
        sources / f"{owner}+{name}",
        sources / owner / name,
    ):
        if candidate.is_dir() and _git(candidate, "rev-parse", "--git-dir") is not None:
            return candidate
    return None


def _git(repository: Path, *args: str) -> bytes | None:
    done = subprocess.run(["git", "-C", str(repository), *args], capture_output=True, check=False)
    return done.stdout if done.returncode == 0 else None


def read_templates(sources: Path, upstream: str, commit: str) -> list[str] | None:
    """The texts of a chart's own ``templates/`` at the snapshot commit, if reachable.

    ``upstream`` is INDEX.md's "owner/name : path" (a packaged ``.tgz`` for cilium).
    Subcharts' templates are left out: they read their own values.
    """
    repository, _, where = upstream.partition(" : ")
    where = where.strip().split()[0] if where.strip() else ""
    where = "" if where.startswith("(repo") else where
    git_dir = _git_dir(sources, repository.strip())
    if git_dir is None or not commit:
        return None
    if where.endswith(".tgz"):
        archive = _git(git_dir, "show", f"{commit}:{where}")
        if archive is None:
            return None
        texts = []
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            for member in tar.getmembers():
                parts = member.name.split("/")
                if member.isfile() and len(parts) > 2 and parts[1] == "templates":
                    handle = tar.extractfile(member)
                    if handle is not None:
                        texts.append(handle.read().decode("utf-8", "replace"))
        return texts
    folder = f"{where}/templates" if where else "templates"
    listing = _git(git_dir, "ls-tree", "-r", "--name-only", commit, "--", folder)
    if listing is None:
        return None
    texts = []
    for name in listing.decode().splitlines():
        blob = _git(git_dir, "show", f"{commit}:{name}")
        if blob is not None:
            texts.append(blob.decode("utf-8", "replace"))
    return texts


def skeleton(value: Any) -> Any:
    """The key structure of a values document: mappings kept, scalars ``null``, lists ``[]``."""
    if isinstance(value, dict):
        return {_key(k): skeleton(v) for k, v in value.items()}
    return [] if isinstance(value, list) else None


def upstream_values(sources: Path, upstream: str, commit: str) -> dict[str, Any]:
    """Key skeletons of the values files a chart's own CI installs it with (``ci/*.yaml``).

    They are real values written by the chart's maintainers, so the key check must accept
    every key in them; only their structure is kept, never their content.
    """
    repository, _, where = upstream.partition(" : ")
    where = where.strip().split()[0] if where.strip() else ""
    where = "" if where.startswith("(repo") else where
    git_dir = _git_dir(sources, repository.strip())
    if git_dir is None or where.endswith(".tgz"):
        return {}
    folder = f"{where}/ci" if where else "ci"
    listing = _git(git_dir, "ls-tree", "-r", "--name-only", commit, "--", folder) or b""
    found: dict[str, Any] = {}
    for name in listing.decode().splitlines():
        blob = _git(git_dir, "show", f"{commit}:{name}")
        if not name.endswith((".yaml", ".yml")) or blob is None:
            continue
        try:
            document = yaml.safe_load(blob)
        except yaml.YAMLError:
            continue
        if isinstance(document, dict) and document:
            found[name.rsplit("/", 1)[-1]] = skeleton(document)
    return found


def template_data(
    chart_dir: Path, origin: Mapping[str, str], sources: Path | None, previous: Path
) -> dict[str, Any] | None:
    """The values paths a chart's templates read, from ``sources`` or the last build.

    The chart folders of ../shared hold no templates, so their keys come from the
    upstream Git repositories when ``--chart-sources`` gives them, and otherwise from the
    derived file committed by the last build that had them (``previous``).
    """
    if sources is not None:
        texts = read_templates(sources, origin.get("upstream", ""), origin.get("commit", ""))
        if texts is not None:
            # values.yaml carries templates too (a config string run through `tpl`).
            values = (chart_dir / "values.yaml").read_text(encoding="utf-8")
            read, verbatim = template_keys([*texts, values])
            return {
                "commit": origin.get("commit", ""),
                "files": len(texts),
                "read": sorted(list(p) for p in read),
                "verbatim": sorted(list(p) for p in verbatim),
            }
    if previous.is_file():
        data: dict[str, Any] = json.loads(previous.read_text(encoding="utf-8"))
        return data
    return None


def build_charts(
    shared: Path, sources: Path | None = None, out: Path = OUT, extra: Path | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Key trees, schemas and defaults of every catalog chart, and their index.

    Besides the catalog's pins: the charts pinned here ahead of the catalog
    (``UPSTREAM_CHARTS`` from ``extra``, ``SHARED_PINS`` from ../shared).
    """
    files: dict[str, Any] = {}
    charts: dict[str, dict[str, Any]] = {}
    missing: dict[str, dict[str, Any]] = {}
    provenance = chart_provenance(shared)
    catalog = {
        (c.install.chart, c.install.version)
        for c in load_catalog()
        if isinstance(c.install, HelmInstall)
    }
    for chart, version in sorted(catalog):
        ahead = {v for c, v in [*UPSTREAM_CHARTS, *SHARED_PINS] if c == chart}
        if ahead and version not in ahead:
            raise SystemExit(
                f"the catalog pins {chart} {version}, this script {', '.join(sorted(ahead))}: "
                "update UPSTREAM_CHARTS or SHARED_PINS and rerun with --extra-sources"
            )
    pins = sorted(catalog | set(UPSTREAM_CHARTS) | SHARED_PINS)
    for chart, version in pins:
        if chart in NO_KEY_TREE:
            missing.setdefault(chart, {})[version] = NO_KEY_TREE[chart]
            continue
        upstream = UPSTREAM_CHARTS.get((chart, version))
        if upstream is not None:
            built = upstream_chart(chart, version, upstream, shared, extra, out)
            files.update(built[0])
            charts.setdefault(chart, {})[version] = built[1]
            continue
        directory = CHART_DIRS.get(chart, chart)
        chart_dir = shared / "charts" / directory
        if not (chart_dir / "values.yaml").is_file():
            raise SystemExit(
                f"{chart} {version}: no {chart_dir}/values.yaml; add it to NO_KEY_TREE"
            )
        stem = f"{chart.rsplit('/', 1)[-1]}-{version}"
        origin = provenance.get(directory, {})
        templates = template_data(
            chart_dir, origin, sources, out / "charts" / f"{stem}.templates.json"
        )
        entry = chart_entry(chart_dir, stem, templates, files, shared)
        entry.update(
            sourceDir=directory,
            upstream=origin.get("upstream", ""),
            commit=origin.get("commit", ""),
            exactVersion=entry["sourceChartVersion"].lstrip("v") == version.lstrip("v"),
        )
        if origin.get("snapshot", "") != entry["commit"]:
            entry["snapshot"] = origin["snapshot"]  # cilium: packaged release, see INDEX.md
        charts.setdefault(chart, {})[version] = entry
    index = {"charts": charts, "noKeyTree": missing}
    return files, index


def chart_entry(
    chart_dir: Path,
    stem: str,
    templates: dict[str, Any] | None,
    files: dict[str, Any],
    shared: Path,
    typed: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Add one chart's key tree, schema and defaults to ``files``; its index entry."""
    if templates is not None:
        files[f"charts/{stem}.templates.json"] = templates
    files[f"charts/{stem}.json"] = _values_tree(chart_dir, shared, templates, typed)
    entry: dict[str, Any] = {
        "keys": f"{stem}.json",
        "schema": None,
        "defaults": None,
        "sourceChartVersion": _source_version(chart_dir),
        "templates": f"{stem}.templates.json" if templates is not None else None,
    }
    schema = _schema(chart_dir)
    if schema is not None:
        entry["schema"] = f"{stem}.schema.json"
        entry["defaults"] = f"{stem}.defaults.json"
        files[f"charts/{stem}.schema.json"] = schema
        # Helm checks the schema against the coalesced values as the chart
        # writes them, so Istio's defaults keep their wrapper here.
        defaults = _values(chart_dir, unwrap=False)
        files[f"charts/{stem}.defaults.json"] = _json_safe(defaults)
    return entry


def upstream_chart(
    chart: str, version: str, upstream: Upstream, shared: Path, extra: Path | None, out: Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Files and index entry of a chart read from its repository at the pinned tag.

    Without ``extra``, or without this project in it, the last build's files are kept
    (``--check`` needs no network).
    """
    stem = f"{chart}-{version}"
    if not has_sources(extra, upstream):
        entry = ((_previous(out, "charts/index.json") or {}).get("charts", {})).get(chart, {})
        entry = entry.get(version)
        if entry is None:
            raise SystemExit(f"{chart} {version}: not built yet; rerun with --extra-sources")
        names = [entry[k] for k in ("keys", "templates", "schema", "defaults") if entry[k]]
        return {f"charts/{n}": _previous(out, f"charts/{n}") for n in names}, entry
    folder = upstream.paths[0]
    files: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as temporary:
        chart_dir = Path(temporary) / chart  # FREE_FORM and the like go by this name
        chart_dir.mkdir()
        for name in ("Chart.yaml", "values.yaml", "values.schema.json"):
            try:
                blob = upstream_file(extra, upstream, f"{folder}/{name}")
            except SystemExit:
                if name == "values.yaml":  # Envoy Gateway's is envsubst'ed from a template
                    blob = upstream_file(extra, upstream, f"{folder}/values.tmpl.yaml")
                elif name == "values.schema.json":
                    continue
                elif name == "Chart.yaml" and not upstream.ref:
                    continue  # pinned at a commit alone: values.yaml is all there is
                else:
                    raise
            (chart_dir / name).write_bytes(blob)
        texts = read_templates(extra, f"{upstream.repository} : {folder}", upstream.commit)
        templates = None
        if texts is not None:
            values = (chart_dir / "values.yaml").read_text(encoding="utf-8")
            read, verbatim = template_keys([*texts, values])
            templates = {
                "commit": upstream.commit,
                "files": len(texts),
                "read": sorted(list(p) for p in read),
                "verbatim": sorted(list(p) for p in verbatim),
            }
        entry = chart_entry(chart_dir, stem, templates, files, shared, typed_keys(extra, chart))
    entry.update(
        sourceDir="",
        upstream=f"{upstream.repository} : {folder}",
        ref=upstream.ref,
        commit=upstream.commit,
        # Read at the release tag: git's Chart.yaml holds a placeholder version that the
        # release build stamps, but values and templates are the released ones. A chart
        # pinned at a commit alone (no tag) is near the version, not known to be it.
        exactVersion=bool(upstream.ref),
    )
    return files, entry


def _json_safe(value: Any) -> Any:
    """YAML values as JSON: string keys, timestamps as ISO text."""
    if isinstance(value, dict):
        return {_key(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


# --- CRD schemas --------------------------------------------------------------------------


def strip_descriptions(node: Any) -> Any:
    """A schema node without prose: ``description`` keywords and examples go, names stay."""
    if isinstance(node, list):
        return [strip_descriptions(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("description", "example"):
            continue
        if key == "properties":
            out[key] = {name: strip_descriptions(sub) for name, sub in value.items()}
        elif key in ("default", "enum", "required", "x-kubernetes-validations"):
            out[key] = value  # data, not schema: a property called "description" stays
        else:
            out[key] = strip_descriptions(value)
    return out


def build_crds(
    shared: Path, extra: Path | None = None, out: Path = OUT
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Served schemas of every CRD under ../shared/crds and in ``UPSTREAM_CRDS``; the index.

    Without ``extra`` (or a project missing from it) the last build's schemas are kept.
    """
    files: dict[str, Any] = {}
    index: dict[str, dict[str, Any]] = {}
    provenance = crd_provenance(shared)
    root = shared / "crds"
    paths = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml"))
    # Gateway API's standard channel is what Stackyard installs; experimental comes second.
    paths.sort(key=lambda p: "experimental" in p.relative_to(root).parts)
    for path in paths:
        relative = path.relative_to(root)
        add_crds(
            path.read_text(encoding="utf-8"),
            str(relative),
            "experimental" in relative.parts,
            {"project": relative.parts[0], **provenance.get(relative.parts[0], {})},
            files,
            index,
        )
    previous = _previous(out, "crds/index.json") or {}
    for upstream in UPSTREAM_CRDS:
        if extra is None or not has_sources(extra, upstream):
            kept = {
                k: e
                for k, e in previous.items()
                if e.get("project") == upstream.project and e.get("source") in upstream.paths
            }
            if not kept:
                message = f"{upstream.project} CRDs not built yet; rerun with --extra-sources"
                raise SystemExit(message)
            for key, entry in kept.items():
                if key in index:
                    raise SystemExit(f"{upstream.project}: {key} defined twice")
                index[key] = entry
                files[f"crds/{entry['file']}"] = _previous(out, f"crds/{entry['file']}")
            continue
        for name in upstream.paths:
            text = upstream_file(extra, upstream, name).decode("utf-8")
            where = {"project": upstream.project, **upstream.provenance()}
            add_crds(text, name, False, where, files, index)
    return files, dict(sorted(index.items()))


def add_crds(
    text: str,
    relative: str,
    experimental: bool,
    origin: Mapping[str, str],
    files: dict[str, Any],
    index: dict[str, dict[str, Any]],
) -> None:
    """Add the served versions of every CRD in one file to ``files`` and ``index``."""
    for crd in yaml.load_all(text, Loader=_CrdLoader):
        if not crd or crd.get("kind") != "CustomResourceDefinition":
            continue
        spec = crd["spec"]
        group, kind = spec["group"], spec["names"]["kind"]
        for version in spec["versions"]:
            if not version.get("served", False):
                continue
            schema = strip_descriptions(version["schema"]["openAPIV3Schema"])
            key = f"{group}/{version['name']}/{kind}"
            name = f"{kind}-{version['name']}.json"
            entry = index.get(key)
            if entry is not None and not experimental:
                raise SystemExit(f"{relative}: {key} defined twice")
            if entry is not None:
                if files[f"crds/{entry['file']}"] != schema:
                    entry["experimental"] = f"{group}/experimental/{name}"
                    files[f"crds/{group}/experimental/{name}"] = schema
                continue
            folder = f"{group}/experimental" if experimental else group
            files[f"crds/{folder}/{name}"] = schema
            index[key] = {
                "file": f"{folder}/{name}",
                "scope": spec["scope"],
                "storage": bool(version.get("storage")),
                "deprecated": bool(version.get("deprecated")),
                "source": relative,
                **({"channel": "experimental"} if experimental else {}),
                **origin,
            }


# --- Backstage catalog model ---------------------------------------------------------------


def strip_prose(node: Any) -> Any:
    """A JSON schema without ``description`` and ``examples``; property names stay."""
    if isinstance(node, list):
        return [strip_prose(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("description", "examples"):
            continue
        if key in ("properties", "patternProperties", "definitions"):
            out[key] = {name: strip_prose(sub) for name, sub in value.items()}
        elif key in ("default", "enum", "required", "const"):
            out[key] = value
        else:
            out[key] = strip_prose(value)
    return out


def build_backstage(extra: Path | None, out: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Backstage's catalog-model schemas and their index (kinds by apiVersion and kind).

    Without ``extra`` (or without its files there) the last build's files are kept.
    """
    if extra is None or not all(has_sources(extra, upstream) for upstream in BACKSTAGE):
        index = _previous(out, "backstage/index.json")
        if index is None:
            raise SystemExit("Backstage schemas not built yet; rerun with --extra-sources")
        return {f"backstage/{n}": _previous(out, f"backstage/{n}") for n in index["schemas"]}, (
            index
        )
    files: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    kinds: dict[str, str] = {}
    for upstream in BACKSTAGE:
        path = upstream.paths[0]
        name = path.rsplit("/", 1)[-1]
        document = strip_prose(json.loads(upstream_file(extra, upstream, path)))
        files[f"backstage/{name}"] = document
        schemas[name] = {"id": document["$id"], "path": path, **upstream.provenance()}
        del schemas[name]["ref"]  # Backstage files are pinned by commit, not by a tag
        for part in document.get("allOf", []):
            properties = part.get("properties", {})
            for api_version in properties.get("apiVersion", {}).get("enum", []):
                for kind in properties.get("kind", {}).get("enum", []):
                    kinds[f"{api_version}/{kind}"] = name
    return files, {"schemas": schemas, "kinds": dict(sorted(kinds.items()))}


# --- node images -----------------------------------------------------------------------
# What a cluster's nodes pull before Argo CD exists, for ``stackyard images list``. It goes
# to the catalog (``catalog/nodes/images.json``), not to the validation data.

NODE_IMAGES = ROOT / "src" / "stackyard" / "catalog" / "nodes" / "images.json"

# RKE2: every stable release of these minors in a clone of rancher/rke2 under
# --extra-sources. Each release's image lists are what its scripts/build-images writes to
# images-<list>.txt (the rke2-images-<list>.linux-amd64.txt release assets), with the
# variables of scripts/version.sh at the release's commit.
RKE2_REPOSITORY = "rancher/rke2"
RKE2_MINORS = ("1.33", "1.34", "1.35", "1.36")
# core, and the CNI Stackyard has RKE2 install (Cilium comes from its own chart, with cni: none).
RKE2_LISTS = ("core", "canal")
RKE2_RELEASE = re.compile(r"v(\d+\.\d+)\.(\d+)\+rke2r(\d+)")

# kubeadm: `kubeadm config images list` names kube-apiserver, kube-controller-manager,
# kube-scheduler and kube-proxy at the Kubernetes version itself, and CoreDNS, pause and
# etcd at the versions pinned in cmd/kubeadm/app/constants/constants.go of the kubeadm
# release (CoreDNSVersion, PauseVersion, SupportedEtcdVersion[minor]). With a clone of
# kubernetes/kubernetes under --extra-sources they are read from that file at each minor's
# v1.N.0 tag (kubeadm_constants). Without one, these copies are kept; they were not read at
# the tag (the repository is too large to fetch here) but taken from secondary copies of
# the same constants, and each entry says which.
KUBERNETES_REPOSITORY = "kubernetes/kubernetes"
KUBEADM_CONSTANTS_PATH = "cmd/kubeadm/app/constants/constants.go"
KUBEADM_MINORS = RKE2_MINORS  # the minors the catalog knows Kubernetes releases of
_SECONDARY = (
    "not read at the tag: from secondary copies of these constants (third-party version "
    "tables and test fixtures, Kubernetes release notes); rebuild with a kubernetes/kubernetes "
    "clone under --extra-sources to read them from the tag"
)
KUBEADM_CONSTANTS = {
    "1.33": {
        "source": f"{KUBERNETES_REPOSITORY} v1.33.0 {KUBEADM_CONSTANTS_PATH}",
        "secondary": _SECONDARY,
        "etcd": "3.5.21-0",
        "coredns": "v1.12.0",
        "pause": "3.10",
    },
    "1.34": {
        "source": f"{KUBERNETES_REPOSITORY} v1.34.0 {KUBEADM_CONSTANTS_PATH}",
        "secondary": _SECONDARY,
        "etcd": "3.6.4-0",
        "coredns": "v1.12.1",
        "pause": "3.10.1",
    },
    "1.35": {
        "source": f"{KUBERNETES_REPOSITORY} v1.35.0 {KUBEADM_CONSTANTS_PATH}",
        "secondary": _SECONDARY,
        "etcd": "3.6.6-0",
        "coredns": "v1.13.1",
        "pause": "3.10.1",
    },
}
_GO_STRING = r'\s*=\s*"([^"]+)"'
_ETCD_MAP = re.compile(r"SupportedEtcdVersion\s*=\s*map\[uint8\]string\{(.*?)\}", re.S)
_ETCD_ENTRY = re.compile(r'(\d+)\s*:\s*"([^"]+)"')


def kubeadm_constants(constants_go: str, minor: str) -> dict[str, str]:
    """CoreDNS, pause and etcd as kubeadm ``minor``'s ``constants.go`` pins them.

    etcd is looked up as kubeadm's ``EtcdSupportedVersion`` does: the minor's entry of
    ``SupportedEtcdVersion``, else the nearest entry (the lowest below, the highest above).
    """
    found: dict[str, str] = {}
    for key, name in (("coredns", "CoreDNSVersion"), ("pause", "PauseVersion")):
        match = re.search(rf"\b{name}{_GO_STRING}", constants_go)
        if match is None:
            raise SystemExit(f"kubeadm {minor}: constants.go has no {name}")
        found[key] = match.group(1)
    table = _ETCD_MAP.search(constants_go)
    entries = {int(k): v for k, v in _ETCD_ENTRY.findall(table.group(1))} if table else {}
    if not entries:
        raise SystemExit(f"kubeadm {minor}: constants.go has no SupportedEtcdVersion")
    wanted = int(minor.split(".")[1])
    nearest = min(entries) if wanted < min(entries) else max(entries)
    found["etcd"] = entries.get(wanted, entries[nearest])
    return found


def build_kubeadm_constants(extra: Path | None) -> dict[str, dict[str, str]]:
    """The versions kubeadm pins, by minor: read at each v1.N.0 tag of a clone, else kept."""
    constants = {minor: dict(pinned) for minor, pinned in KUBEADM_CONSTANTS.items()}
    git_dir = None if extra is None else _git_dir(extra, KUBERNETES_REPOSITORY)
    if git_dir is None:
        return constants
    for minor in KUBEADM_MINORS:
        text = _git(git_dir, "show", f"v{minor}.0:{KUBEADM_CONSTANTS_PATH}")
        if text is None:
            continue  # not released yet in this clone: keep what is pinned, if anything
        constants[minor] = {
            **kubeadm_constants(text.decode(), minor),
            "source": f"{KUBERNETES_REPOSITORY} v{minor}.0 {KUBEADM_CONSTANTS_PATH}",
        }
    return dict(sorted(constants.items()))


KUBEADM_REGISTRY = "registry.k8s.io"

_HEREDOC = re.compile(r"<< EOF >>? \S*/images-([a-z0-9-]+)\.txt\n(.*?)\nEOF", re.S)
_DEFAULT = re.compile(r"^([A-Z_]+)=\$\{\1:-([^}$]*)\}\s*$", re.M)
_ASSIGN = re.compile(r"^([A-Z_]+)=([^\s$`\"]+)\s*$", re.M)
_QUOTED = re.compile(r'^([A-Z_]+)="([^"]*)"', re.M)  # a list of images in one variable
_VARIABLE = re.compile(r"\$\{([A-Z_]+)\}")


def rke2_release_images(version_sh: str, build_images: str, tag: str) -> dict[str, list[str]]:
    """The image lists ``scripts/build-images`` of release ``tag`` writes, by list name."""
    variables = {"PROG": "rke2", "DOCKERIZED_VERSION": tag.replace("+", "-")}
    variables.update(dict(_ASSIGN.findall(version_sh)))
    variables.update(dict(_DEFAULT.findall(version_sh)))
    variables.update(dict(_ASSIGN.findall(build_images)))
    for name, value in _QUOTED.findall(build_images):
        variables.setdefault(name, value)  # the first: what a docker.io build assigns
    lists: dict[str, list[str]] = {}
    for name, body in _HEREDOC.findall(build_images):
        if name not in RKE2_LISTS:
            continue
        text = body
        for _ in range(3):  # variables that hold variables
            text = _VARIABLE.sub(lambda m: variables.get(m.group(1), m.group(0)), text)
        for image in text.split():
            if "${" in image:
                raise SystemExit(f"rke2 {tag}: cannot resolve {image!r}")
            if image not in lists.setdefault(name, []):
                lists[name].append(image)
    if "core" not in lists:
        raise SystemExit(f"rke2 {tag}: scripts/build-images has no core image list")
    return lists


def build_node_images(extra: Path | None) -> dict[str, Any] | None:
    """The node image facts, or None when ``extra`` holds no rancher/rke2 clone."""
    git_dir = None if extra is None else _git_dir(extra, RKE2_REPOSITORY)
    if git_dir is None:
        return None
    tags = (_git(git_dir, "tag", "--list", "v1.*+rke2r*") or b"").decode().split()
    releases: dict[str, Any] = {}
    for tag in tags:
        match = RKE2_RELEASE.fullmatch(tag)
        if match is None or match.group(1) not in RKE2_MINORS:
            continue
        commit = (_git(git_dir, "rev-list", "-n", "1", tag) or b"").decode().strip()
        version_sh = (_git(git_dir, "show", f"{commit}:scripts/version.sh") or b"").decode()
        build_images = (_git(git_dir, "show", f"{commit}:scripts/build-images") or b"").decode()
        releases[tag] = {
            "commit": commit,
            "kubernetes": f"{match.group(1)}.{match.group(2)}",
            "images": rke2_release_images(version_sh, build_images, tag),
        }
    if not releases:
        raise SystemExit(f"{git_dir}: no RKE2 release of {', '.join(RKE2_MINORS)}")
    newest: dict[str, str] = {}
    for release in releases.values():
        minor = release["kubernetes"].rsplit(".", 1)[0]
        patch = int(release["kubernetes"].rsplit(".", 1)[1])
        if minor not in newest or patch > int(newest[minor].rsplit(".", 1)[1]):
            newest[minor] = release["kubernetes"]
    return {
        "rke2": {
            "source": f"https://github.com/{RKE2_REPOSITORY}: scripts/build-images and "
            "scripts/version.sh at each release tag (the rke2-images-*.txt release assets)",
            "releases": dict(sorted(releases.items(), key=lambda item: _release_key(item[0]))),
        },
        "kubeadm": {
            "registry": KUBEADM_REGISTRY,
            "constants": build_kubeadm_constants(extra),
        },
        "newestKubernetes": dict(sorted(newest.items())),
        "newestKubernetesSource": "the newest RKE2 release of each minor above",
    }


def _release_key(tag: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", tag))


def node_images_text(extra: Path | None) -> str | None:
    """``NODE_IMAGES``'s text as built from ``extra``; None keeps the file as it is."""
    document = build_node_images(extra)
    if document is None:
        return None
    return json.dumps(document, indent=1, sort_keys=True) + "\n"


# --- output -------------------------------------------------------------------------------


def render(
    shared: Path, sources: Path | None = None, out: Path = OUT, extra: Path | None = None
) -> dict[str, str]:
    """Every output file's path (under the data folder) and its exact text."""
    chart_files, chart_index = build_charts(shared, sources, out, extra)
    crd_files, crd_index = build_crds(shared, extra, out)
    backstage_files, backstage_index = build_backstage(extra, out)
    documents = {**chart_files, **crd_files, **backstage_files}
    documents["charts/index.json"] = chart_index
    documents["crds/index.json"] = crd_index
    documents["backstage/index.json"] = backstage_index
    texts: dict[str, str] = {}
    for name, document in sorted(documents.items()):
        # Indexes stay readable in review; the bulk is compact.
        indent = 1 if name.endswith("index.json") else None
        separators = None if indent else (",", ":")
        texts[name] = (
            json.dumps(document, indent=indent, separators=separators, sort_keys=True) + "\n"
        )
    return texts


DIGESTS = "digests.json"  # output file -> SHA-256 of its text, as last built


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def digests_text(texts: Mapping[str, str]) -> str:
    """``DIGESTS``: the digest of every output file's text."""
    digests = {name: _digest(text) for name, text in texts.items() if name != DIGESTS}
    return json.dumps(digests, indent=1, sort_keys=True) + "\n"


def write_upstream_values(shared: Path, sources: Path, target: Path) -> None:
    """One JSON file per catalog chart with CI values: ``{file: key skeleton}``."""
    provenance = chart_provenance(shared)
    _, index = build_charts(shared, None, OUT)
    target.mkdir(parents=True, exist_ok=True)
    for chart, versions in index["charts"].items():
        for version, entry in versions.items():
            origin = provenance.get(entry["sourceDir"], {})
            found = upstream_values(sources, origin.get("upstream", ""), entry["commit"])
            if found:
                stem = f"{chart.rsplit('/', 1)[-1]}-{version}"
                text = json.dumps(found, indent=1, sort_keys=True) + "\n"
                (target / f"{stem}.json").write_text(text, encoding="utf-8")


def extra_files() -> Iterator[tuple[str, str]]:
    """``(raw URL, path under --extra-sources)`` of every pinned single file.

    Charts are read with their templates, so their repositories must be cloned; a chart
    pinned at a commit alone (no tag) is read from its ``values.yaml`` alone.
    """
    for upstream in (*UPSTREAM_CRDS, *BACKSTAGE):
        owner, _, name = upstream.repository.partition("/")
        for path in upstream.paths:
            yield raw_url(upstream, path), f"{owner}+{name}/{upstream.commit}/{path}"
    for upstream in UPSTREAM_CHARTS.values():
        if not upstream.ref:
            owner, _, name = upstream.repository.partition("/")
            path = f"{upstream.paths[0]}/values.yaml"
            yield raw_url(upstream, path), f"{owner}+{name}/{upstream.commit}/{path}"


def main(argv: list[str] | None = None) -> int:
    """Write the reference data, or with ``--check`` report whether it is current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared",
        type=Path,
        default=ROOT.parent / "shared",
        help="the collected upstream files; a relative path is taken from the repository root",
    )
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--chart-sources",
        type=Path,
        help="a folder of the charts' upstream Git repositories (owner+name or owner/name), "
        "to read the values keys their templates use; without it the last build's are kept",
    )
    parser.add_argument(
        "--extra-sources",
        type=Path,
        help="a folder with the pinned upstream projects ../shared lacks (Git clones as "
        "owner+name/repo, or single files as owner+name/<commit>/<path>); without it the "
        "last build's files derived from them are kept",
    )
    parser.add_argument(
        "--list-extra-files",
        action="store_true",
        help="print the raw URL of every pinned upstream file and where --extra-sources "
        "expects it, then exit",
    )
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument(
        "--upstream-values",
        type=Path,
        help="with --chart-sources: write the key skeletons of each chart's ci/*.yaml "
        "values here (test data for the key check)",
    )
    args = parser.parse_args(argv)
    if args.list_extra_files:
        for url, where in extra_files():
            print(f"{url} {where}")
        return 0
    shared = args.shared if args.shared.is_absolute() else (ROOT / args.shared).resolve()
    texts = render(shared, args.chart_sources, args.out, args.extra_sources)
    recorded = _previous(args.out, DIGESTS) or {}
    texts[DIGESTS] = digests_text(texts)
    # Files derived from --extra-sources are kept as they are without it, so a hand edit
    # of one would pass as current: its digest, recorded when it was built, tells.
    edited = sorted(n for n, t in texts.items() if n in recorded and recorded[n] != _digest(t))
    if args.upstream_values is not None and args.chart_sources is not None:
        write_upstream_values(shared, args.chart_sources, args.upstream_values)
    existing = {
        p.relative_to(args.out).as_posix()
        for folder in ("charts", "crds", "backstage")
        for p in (args.out / folder).rglob("*.json")
    }
    stale = existing - texts.keys()
    changed = [
        n
        for n, t in texts.items()
        if not (args.out / n).is_file() or (args.out / n).read_text(encoding="utf-8") != t
    ]
    nodes = node_images_text(args.extra_sources)
    nodes_changed = nodes is not None and (
        not NODE_IMAGES.is_file() or NODE_IMAGES.read_text(encoding="utf-8") != nodes
    )
    if args.check:
        if nodes_changed:
            print(f"out of date: {NODE_IMAGES.relative_to(ROOT)}")
        for name in sorted(stale | set(changed)):
            print(f"out of date: {name}")
        for name in edited:
            print(f"edited since it was built, not derived from its sources: {name}")
        return 1 if stale or changed or edited or nodes_changed else 0
    if edited and args.extra_sources is None:
        for name in edited:
            print(f"edited since it was built, not derived from its sources: {name}")
        print("rerun with --extra-sources to derive them again")
        return 1
    for name in sorted(stale):
        (args.out / name).unlink()
    for name in changed:
        path = args.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(texts[name], encoding="utf-8")
    if nodes is not None and nodes_changed:
        NODE_IMAGES.parent.mkdir(parents=True, exist_ok=True)
        NODE_IMAGES.write_text(nodes, encoding="utf-8")
        print(f"written: {NODE_IMAGES.relative_to(ROOT)}")
    size = sum(len(t.encode()) for t in texts.values())
    print(f"{len(texts)} files, {size / 1e6:.1f} MB; {len(changed)} written, {len(stale)} removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
