"""``plan --why`` says of every component only what the rendered repository does.

For every example and every catalog component, each claim ``plan --why`` makes about the
rendered output is checked against the render of the same spec: where it runs (an
Application for the cluster, or the feature switched on in its parent's values) and where
not, its wave (the Application's sync-wave), its replica count and mode (the chart's replica
keys), and a dependency on the platform's object store (the rendered values or manifests
point at MinIO, or MinIO creates its bucket).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from stackyard.catalog import Component, load_catalog
from stackyard.cli.main import app
from stackyard.render.gitops import is_synced
from tests.render.conftest import EXAMPLE_NAMES, EXAMPLES, Rendered

CATALOG = load_catalog()
WAVE = "argocd.argoproj.io/sync-wave"


def _why(example: str, name: str) -> tuple[dict[str, Any], str]:
    runner = CliRunner()
    spec = str(EXAMPLES / f"{example}.yaml")
    data = runner.invoke(app, ["plan", spec, "--why", name, "--output", "json"]).stdout
    text = runner.invoke(app, ["plan", spec, "--why", name]).stdout
    return json.loads(data), " ".join(text.split())


def _at(values: dict[str, Any], dotted: str) -> Any:
    node: Any = values
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _applications(rendered: Rendered, name: str) -> dict[str, dict[str, Any]]:
    path = f"apps/applications/{name}.yaml"
    if path not in rendered.files:
        return {}
    return {
        doc["metadata"]["labels"]["stackyard.dev/cluster"]: doc for doc in rendered.documents(path)
    }


def _check_runs(rendered: Rendered, component: Component, row: dict[str, Any]) -> None:
    cluster = row["cluster"]
    install = component.install
    if install.method == "feature":
        switched = _at(rendered.values(cluster, install.parent), install.valuesKey)
        assert bool(switched) is row["included"], (cluster, install.valuesKey, switched)
        return
    if not is_synced(component):
        return  # node bootstrap or the distribution installs it; no Application to compare
    application = _applications(rendered, component.name).get(cluster)
    assert (application is not None) is row["included"], cluster
    if application is not None:
        assert application["metadata"]["annotations"][WAVE] == str(row["wave"])


def _check_replicas(rendered: Rendered, component: Component, row: dict[str, Any]) -> None:
    sizing = row["replicas"]
    if not row["included"] or sizing is None:
        return
    values = rendered.values(row["cluster"], component.name)
    for key in component.replicaKeys:
        assert _at(values, key) == sizing["count"], (row["cluster"], key)
    assert sizing["ha"] is (sizing["count"] > component.replicas)


def _check_object_store(rendered: Rendered, component: Component, row: dict[str, Any]) -> None:
    for need in row["needs"]:
        if need["capability"] != "object-storage":
            continue
        cluster = row["cluster"]
        texts = [
            text
            for path, text in rendered.files.items()
            if path.startswith(f"manifests/{cluster}/{component.name}/")
            or path == f"values/clusters/{cluster}/{component.name}.yaml"
        ]
        # MinIO creates the consumer's bucket (Thanos reads it through an operator's Secret).
        bucket = f"{rendered.plan.spec.platform.name}-{component.name}"
        minio = rendered.values(need["cluster"], need["provider"])
        creates = bucket in json.dumps(minio)
        mentions = any("minio" in text for text in texts)
        assert mentions or creates, (cluster, "claims MinIO, renders none")


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_every_why_claim_holds_in_the_render(example: str, rendered: dict[str, Rendered]) -> None:
    tree = rendered[example]
    for component in CATALOG:
        why, text = _why(example, component.name)
        for row in why["clusters"]:
            _check_runs(tree, component, row)
            _check_replicas(tree, component, row)
            _check_object_store(tree, component, row)
            sizing = row["replicas"]
            if row["included"] and sizing is not None:
                plural = "" if sizing["count"] == 1 else "s"
                assert f"{sizing['count']} replica{plural}: {sizing['mode']}" in text
