"""Every object anywhere in a tree is checked, listed as not checked, or an error.

A tree validates nothing green by accident: a broken object in a folder Stackyard does not
write (``extra/``, ``overrides/``, a plain folder) is checked like any other, an unknown
kind is an error naming the kind, and a tree where no object was checked fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stackyard.cli.main import app
from stackyard.validate.run import validate_directory
from tests.validate.manifests import BROKEN_DEPLOYMENT, VALID_CONFIGMAP

WIDGET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
"""


def _write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _validate_json(root: Path) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(app, ["validate", str(root), "-o", "json"], catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("folder", ["extra", "overrides", "plain/deeper", ""])
def test_a_broken_deployment_outside_stackyard_folders_is_checked(
    tmp_path: Path, folder: str
) -> None:
    relative = f"{folder}/deploy.yaml" if folder else "deploy.yaml"
    root = _write(tmp_path, {relative: BROKEN_DEPLOYMENT})
    code, data = _validate_json(root)
    assert code == 1
    assert data["objects"] == 1 and data["objectsChecked"] == 1
    found = {(f["line"], f["message"].split(": ", 1)[0]) for f in data["findings"]}  # type: ignore[attr-defined]
    assert (6, "Deployment web at spec.replicas") in found
    assert any("imagePullPolicyy" in f["message"] for f in data["findings"])  # type: ignore[attr-defined]


def test_a_tree_where_nothing_was_checked_fails(tmp_path: Path) -> None:
    root = _write(tmp_path, {"values/grafana.yaml": "adminUser: admin\n"})
    code, data = _validate_json(root)
    assert code == 1
    assert data["objectsChecked"] == 0
    (finding,) = data["findings"]  # type: ignore[misc]
    assert finding["message"].startswith("no Kubernetes object was checked")


def test_the_summary_line_says_how_many_objects_were_checked(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "extra/cm.yaml": VALID_CONFIGMAP,
            "extra/proxy.yaml": (
                "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n"
            ),
        },
    )
    result = CliRunner().invoke(app, ["validate", str(root)], catch_exceptions=False)
    assert result.exit_code == 0, result.stdout
    summary = " ".join(result.stdout.split())
    assert "2 objects, 1 checked against Kubernetes" in summary
    assert "1 not checked" in summary
    assert "Not checked" in result.stdout


def test_an_unknown_kind_is_an_error_naming_the_kind(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "extra/cm.yaml": VALID_CONFIGMAP,
            "extra/gadget.yaml": "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n",
        },
    )
    report = validate_directory(root)
    (error,) = report.errors
    assert error.location.file.endswith("gadget.yaml") and error.location.line == 2
    assert "unknown kind example.com/v1/Gadget" in error.message
    assert report.checked == 1


def test_a_configuration_file_is_listed_as_not_checked_with_the_reason(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "extra/cm.yaml": VALID_CONFIGMAP,
            "nodes/a/proxy.yaml": (
                "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n"
            ),
        },
    )
    report = validate_directory(root)
    assert report.errors == []
    (gap,) = report.unchecked
    assert gap.message.startswith("KubeProxyConfiguration: not checked, a kube-proxy configuration")


def test_custom_resources_are_checked_against_a_crd_the_tree_defines(tmp_path: Path) -> None:
    good = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: a\nspec:\n  size: 3\n"
    bad = good.replace("size: 3", "colour: red").replace("name: a", "name: b")
    root = _write(
        tmp_path, {"crds/widget.yaml": WIDGET_CRD, "extra/widgets.yaml": f"{good}---\n{bad}"}
    )
    report = validate_directory(root)
    assert report.checked == 3
    (error,) = report.errors
    assert (
        error.check == "crd" and "Widget b at spec" in error.message and "colour" in error.message
    )


def test_documents_without_api_version_and_kind_outside_object_folders_are_not_objects(
    tmp_path: Path,
) -> None:
    root = _write(
        tmp_path,
        {
            "extra/cm.yaml": VALID_CONFIGMAP,
            "values/common/app.yaml": "kind: Deployment\nreplicas: 2\n",
            "cloud-init/node.yaml": "users: [admin]\n",
        },
    )
    report = validate_directory(root)
    assert (report.objects, report.checked, report.errors) == (1, 1, [])
