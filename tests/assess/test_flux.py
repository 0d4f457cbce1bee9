"""Flux HelmReleases are read as helm-controller reads them: chart sources and valuesFrom."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stackyard.assess.inputs import RepositoryIndex, ValuesStack, index_repository
from stackyard.assess.model import Evidence
from tests.assess.maturity.conftest import write_files

HELMRELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/{version}
kind: HelmRelease
metadata:
  name: cilium
spec:
  interval: 1h
  chartRef:
    kind: OCIRepository
    name: cilium-chart
  valuesFrom:
    - kind: ConfigMap
      name: cilium-values
    - kind: ConfigMap
      name: cilium-overrides
      valuesKey: extra.yaml
    - kind: Secret
      name: cilium-secret
      valuesKey: clusterName
      targetPath: cluster.name
  values:
    hubble:
      relay:
        enabled: true
"""
OCI = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: cilium-chart
spec:
  interval: 5m
  url: oci://ghcr.io/example/charts-mirror/cilium
  ref:
    tag: 1.17.1
"""
KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: kube-system
resources:
  - ./ocirepository.yaml
  - ./helmrelease.yaml
  - ./overrides.yaml
configMapGenerator:
  - name: cilium-values
    files:
      - values.yaml=./helm/values.yaml
generatorOptions:
  disableNameSuffixHash: true
"""
VALUES = """\
ipam:
  mode: kubernetes
routingMode: tunnel
hubble:
  relay:
    enabled: false
encryption:
  enabled: true
"""
OVERRIDES = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cilium-overrides
data:
  extra.yaml: |
    routingMode: native
    bgpControlPlane:
      enabled: true
---
apiVersion: v1
kind: Secret
metadata:
  name: cilium-secret
stringData:
  clusterName: home
"""
APP = "kubernetes/apps/kube-system/cilium/app"


def write(root: Path, files: dict[str, str]) -> RepositoryIndex:
    return index_repository(write_files(root, files), [], workers=0)


def cilium_repo(root: Path, version: str = "v2") -> RepositoryIndex:
    return write(
        root,
        {
            f"{APP}/helmrelease.yaml": HELMRELEASE.format(version=version),
            f"{APP}/ocirepository.yaml": OCI,
            f"{APP}/kustomization.yaml": KUSTOMIZATION,
            f"{APP}/helm/values.yaml": VALUES,
            f"{APP}/overrides.yaml": OVERRIDES,
        },
    )


def only(stacks: list[ValuesStack]) -> ValuesStack:
    assert len(stacks) == 1, stacks
    return stacks[0]


def at(stack: ValuesStack, *path: str) -> tuple[object, Evidence]:
    hit = stack.get(*path)
    assert hit is not None, path
    return hit.value, hit.evidence


@pytest.mark.parametrize("version", ["v2beta1", "v2beta2", "v2"])
def test_the_chart_of_a_chart_ref_is_the_last_segment_of_the_oci_url(
    tmp_path: Path, version: str
) -> None:
    index = cilium_repo(tmp_path, version)
    (release,) = index.releases
    assert release.charts == ("cilium",)
    assert release.sources[0].repo_url == "oci://ghcr.io/example/charts-mirror/cilium"


def test_values_from_a_generated_config_map_cite_the_values_file(tmp_path: Path) -> None:
    stack = only(cilium_repo(tmp_path).values("cilium"))
    value, evidence = at(stack, "encryption", "enabled")
    assert value is True
    assert (evidence.file, evidence.line) == (f"{APP}/helm/values.yaml", 8)


def test_later_values_from_entries_win_and_spec_values_win_over_all(tmp_path: Path) -> None:
    stack = only(cilium_repo(tmp_path).values("cilium"))
    # the second ConfigMap (valuesKey extra.yaml) overrides the generated one
    value, evidence = at(stack, "routingMode")
    assert value == "native"
    assert (evidence.file, evidence.line) == (f"{APP}/overrides.yaml", 7)
    # spec.values overrides every valuesFrom entry
    value, evidence = at(stack, "hubble", "relay", "enabled")
    assert value is True
    assert (evidence.file, evidence.line) == (f"{APP}/helmrelease.yaml", 23)
    assert [layer.origin for layer in stack.layers] == [
        "valuesFrom ConfigMap cilium-values",
        "valuesFrom ConfigMap cilium-overrides",
        "valuesFrom Secret cilium-secret",
        "spec.values",
    ]


def test_a_target_path_places_one_value_at_its_dotted_path(tmp_path: Path) -> None:
    stack = only(cilium_repo(tmp_path).values("cilium"))
    value, evidence = at(stack, "cluster", "name")
    assert value == "home"
    assert (evidence.file, evidence.line) == (f"{APP}/overrides.yaml", 16)


def test_a_helm_repository_source_gives_the_repository_url(tmp_path: Path) -> None:
    index = write(
        tmp_path,
        {
            "flux/repositories/prometheus.yaml": """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: prometheus-community
  namespace: flux-system
spec:
  url: https://prometheus-community.github.io/helm-charts
""",
            "apps/monitoring/helmrelease.yaml": """\
apiVersion: helm.toolkit.fluxcd.io/v2beta2
kind: HelmRelease
metadata:
  name: kps
  namespace: monitoring
spec:
  interval: 30m
  chart:
    spec:
      chart: kube-prometheus-stack
      sourceRef:
        kind: HelmRepository
        name: prometheus-community
        namespace: flux-system
  values:
    grafana:
      enabled: true
""",
        },
    )
    (release,) = index.releases
    assert release.charts == ("kube-prometheus-stack",)
    assert release.sources[0].repo_url == "https://prometheus-community.github.io/helm-charts"
    assert index.values("grafana")  # the umbrella's sub-chart values are still found


def test_a_chart_from_a_git_repository_is_a_path(tmp_path: Path) -> None:
    index = write(
        tmp_path,
        {
            "flux/git.yaml": """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: platform
spec:
  url: https://github.com/example/platform
""",
            "apps/web.yaml": """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
spec:
  interval: 30m
  chart:
    spec:
      chart: ./charts/web
      sourceRef:
        kind: GitRepository
        name: platform
""",
        },
    )
    (release,) = index.releases
    assert release.charts == ("web",)
    assert release.sources[0].path == "charts/web"


def test_a_values_from_reference_to_nothing_in_the_repository_adds_no_layer(
    tmp_path: Path,
) -> None:
    # a Secret made in the cluster (or SOPS-encrypted) is not in the repository to read
    release = HELMRELEASE.format(version="v2").replace(
        "  chartRef:\n    kind: OCIRepository\n    name: cilium-chart\n",
        "  chart:\n    spec:\n      chart: cilium\n",
    )
    index = write(tmp_path, {f"{APP}/helmrelease.yaml": release})
    stack = only(index.values("cilium"))
    assert [layer.origin for layer in stack.layers] == ["spec.values"]


def test_generator_files_are_never_read_from_outside_the_repository(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "values.yaml").write_text("readFromOutside: true\n", encoding="utf-8")
    root = tmp_path / "repo"
    app = root / APP
    app.mkdir(parents=True)
    (app / "link.yaml").symlink_to(outside / "values.yaml")
    os.mkfifo(app / "pipe.yaml")
    escape = "../" * (APP.count("/") + 3) + "outside/values.yaml"
    generators = {
        "inside": "helm/values.yaml",  # the control: a file of the repository is read
        "escape": escape,  # ../../…/outside: .. stops at the root
        "absolute": str(outside / "values.yaml"),  # read from the root, not the machine
        "link": "link.yaml",  # a symlink out of the root: the walk skipped it
        "pipe": "pipe.yaml",  # a FIFO: never opened
    }
    kustomization = "configMapGenerator:\n" + "".join(
        f"  - name: {name}\n    files:\n      - values.yaml={path}\n"
        for name, path in generators.items()
    )
    release = HELMRELEASE.format(version="v2").split("  valuesFrom:")[0] + "  valuesFrom:\n"
    release += "".join(f"    - kind: ConfigMap\n      name: {name}\n" for name in generators)
    files = {
        f"{APP}/kustomization.yaml": kustomization,
        f"{APP}/helmrelease.yaml": release,
        f"{APP}/helm/values.yaml": "readInside: true\n",
        f"{APP}/ocirepository.yaml": OCI,
    }
    stack = only(write(root, files).values("cilium"))
    assert stack.get("readInside") is not None
    assert stack.get("readFromOutside") is None


def test_a_config_map_key_read_by_two_releases_gives_both_its_values(tmp_path: Path) -> None:
    # The key is parsed once, when the first release reads it; the second reads the same.
    release = (
        HELMRELEASE.format(version="v2")
        .replace("name: cilium-values", "name: shared-values\n      valuesKey: values.yaml")
        .replace("name: cilium-overrides", "name: missing")
    )
    shared = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared-values\ndata:\n"
        "  values.yaml: |\n    routingMode: native\n"
    )
    index = write(
        tmp_path,
        {
            "clusters/a/cilium.yaml": release,
            "clusters/b/cilium.yaml": release.replace("name: cilium\n", "name: cilium-b\n"),
            "clusters/a/oci.yaml": OCI,
            "common/shared-values.yaml": shared,
        },
    )
    stacks = index.values("cilium")
    assert len(stacks) == 2
    for stack in stacks:
        assert at(stack, "routingMode")[0] == "native"
        assert (at(stack, "routingMode")[1].file, at(stack, "routingMode")[1].line) == (
            "common/shared-values.yaml",
            7,
        )
