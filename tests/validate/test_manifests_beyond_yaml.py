"""JSON manifests, Lists, Helm charts and kustomize overlays: checked, or listed with a reason.

Argo CD applies ``.json`` files of a directory source as it does ``.yaml`` ones; kubectl
and Argo CD apply each item of a ``List``; a Helm chart's templates and a kustomize
overlay's patches are inputs of a tool, never applied as written. None of them may pass
as green without being checked or listed under "not checked".
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from stackyard.validate.run import ValidationReport, validate_directory
from tests.validate.manifests import BROKEN_DEPLOYMENT, VALID_CONFIGMAP

BROKEN_CONFIGMAP_JSON = """\
{
  "apiVersion": "v1",
  "kind": "ConfigMap",
  "metadata": {"name": "settings"},
  "data": {
    "mode": "fast",
    "retries": 3
  }
}
"""


def _write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _errors(report: ValidationReport) -> list[tuple[str, int, str]]:
    return [(Path(f.location.file).name, f.location.line, f.message) for f in sorted(report.errors)]


def test_a_broken_json_manifest_is_checked(tmp_path: Path) -> None:
    root = _write(tmp_path, {"extra/cm.json": BROKEN_CONFIGMAP_JSON})
    report = validate_directory(root)
    assert (report.files, report.objects, report.checked) == (1, 1, 1)
    ((name, line, message),) = _errors(report)
    assert (name, line) == ("cm.json", 7)
    assert message.startswith("ConfigMap settings at data.retries")


def test_a_json_manifest_is_read_by_json_rules(tmp_path: Path) -> None:
    # YAML 1.1 reads 1e3 as a string; JSON reads a number, and the schema sees a number.
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "n"}}
    text = json.dumps(configmap | {"data": {"size": "1e3"}}).replace('"1e3"', "1e3")
    root = _write(tmp_path, {"extra/cm.json": text, "extra/trailing.json": '{"a": 1,}\n'})
    report = validate_directory(root)
    found = {(name, message) for name, _, message in _errors(report)}
    assert any(
        n == "cm.json" and "data.size: expected string or null, got number" in m for n, m in found
    ), found
    assert any(n == "trailing.json" and m.startswith("invalid JSON") for n, m in found), found


def test_json_that_is_not_an_object_is_left_alone_outside_object_folders(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "extra/cm.yaml": VALID_CONFIGMAP,
            "dashboards/cpu.json": '{"title": "CPU", "panels": []}',
            "apps/mgmt/dashboard.json": '{"title": "CPU"}',
        },
    )
    report = validate_directory(root)
    ((name, _, message),) = _errors(report)
    assert name == "dashboard.json" and "not a Kubernetes object" in message


def _indented(text: str, spaces: int) -> str:
    """``text`` as a list item: ``- `` before its first line, the rest indented under it."""
    pad = " " * spaces
    first, *rest = text.strip().splitlines()
    return "\n".join([f"{pad}- {first}", *(f"{pad}  {line}" for line in rest)]) + "\n"


def test_each_item_of_a_list_is_checked_where_it_is_written(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: List\nitems:\n"
    text += _indented(VALID_CONFIGMAP, 2) + _indented(BROKEN_DEPLOYMENT, 2)
    root = _write(tmp_path, {"extra/list.yaml": text})
    report = validate_directory(root)
    assert (report.objects, report.checked) == (2, 2)
    errors = _errors(report)
    assert errors and all(name == "list.yaml" for name, _, _ in errors)
    replicas = [line for _, line, m in errors if m.startswith("Deployment web at spec.replicas")]
    lines = text.splitlines()
    assert replicas == [next(i for i, t in enumerate(lines, 1) if t.endswith("replicas: three"))]
    assert not [m for _, _, m in errors if "not a Kubernetes object" in m]


def test_items_of_a_typed_list_take_the_list_kind(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\n"
        "kind: ConfigMapList\n"
        "items:\n"
        "  - metadata: {name: a}\n"
        "    data: {mode: fast}\n"
        "  - metadata: {name: b}\n"
        "    data: {retries: 3}\n"
    )
    root = _write(tmp_path, {"extra/maps.yaml": text})
    report = validate_directory(root)
    assert (report.objects, report.checked) == (2, 2)
    ((_, line, message),) = _errors(report)
    assert line == 7 and message.startswith("ConfigMap b at data.retries")


def test_a_local_helm_chart_s_templates_are_listed_not_reported_as_broken(
    tmp_path: Path,
) -> None:
    template = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
        '  name: {{ include "x.fullname" . }}\n'
        "spec:\n  replicas: {{ .Values.replicas }}\n"
    )
    root = _write(
        tmp_path,
        {
            "extra/cm.yaml": VALID_CONFIGMAP,
            "apps/charts/x/Chart.yaml": "apiVersion: v2\nname: x\nversion: 0.1.0\n",
            "apps/charts/x/values.yaml": "replicas: 2\n",
            "apps/charts/x/templates/deployment.yaml": template,
            "apps/charts/x/templates/sub/cm.json": '{"data": {{ toJson .Values.data }}}',
            "apps/charts/x/crds/widget.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
        },
    )
    report = validate_directory(root)
    assert report.errors == [], report.errors
    unchecked = {(f.location.file.rsplit("/x/", 1)[-1], f.message) for f in report.unchecked}
    reason = "not checked, a Helm chart template, rendered by Helm"
    assert {name for name, message in unchecked if message.startswith(reason)} == {
        "templates/deployment.yaml",
        "templates/sub/cm.json",
    }
    assert all("chart apps/charts/x" in message for _, message in unchecked)
    assert (report.objects, report.checked) == (2, 2)  # the chart's crds/ are applied as written


@pytest.mark.parametrize("name", ["kustomization.yaml", "kustomization.yml", "Kustomization"])
def test_a_kustomize_overlay_lists_its_patches_and_checks_its_resources(
    tmp_path: Path, name: str
) -> None:
    kustomization = (
        "resources: [deployment.yaml]\n"
        "patches:\n"
        "  - path: replicas.yaml\n"
        "  - patch: |-\n"
        "      - op: replace\n"
        "        path: /spec/replicas\n"
        "        value: 3\n"
        "patchesStrategicMerge: [image.yaml]\n"
    )
    partial = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 5\n"
    )
    root = _write(
        tmp_path,
        {
            f"apps/web/{name}": kustomization,
            "apps/web/deployment.yaml": BROKEN_DEPLOYMENT,
            "apps/web/replicas.yaml": partial,
            "apps/web/image.yaml": partial.replace("replicas: 5", "paused: true"),
        },
    )
    report = validate_directory(root)
    assert (report.objects, report.checked) == (1, 1)
    assert {name for name, _, _ in _errors(report)} == {"deployment.yaml"}
    unchecked = {Path(f.location.file).name: f.message for f in report.unchecked}
    assert unchecked[name].startswith("not checked, a kustomization file")
    assert unchecked["replicas.yaml"].startswith("not checked, a kustomize patch")
    assert unchecked["image.yaml"].endswith(f"named by apps/web/{name}")


def test_hostile_json_is_a_finding_never_a_crash_or_a_hang(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    root = _write(tmp_path, {"extra/cm.yaml": VALID_CONFIGMAP, "extra/deep.json": deep})
    os.mkfifo(root / "extra" / "pipe.json")
    report = validate_directory(root)
    found = {Path(f.location.file).name: f.message for f in report.errors}
    assert "nesting deeper than" in found["deep.json"]
    assert "FIFO" in found["pipe.json"]
    assert report.checked == 1
