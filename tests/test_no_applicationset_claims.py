"""User-facing text describes what render writes: Applications, no ApplicationSets."""

from __future__ import annotations

from pathlib import Path

from stackyard.catalog import load_catalog
from stackyard.plan import make_plan
from stackyard.plan.diff import compare_specs
from stackyard.render.build import render_plan
from stackyard.spec import load_spec
from tests.conftest import EXAMPLES


def test_the_rendered_repository_has_no_applicationset() -> None:
    tree = render_plan(make_plan(load_spec(EXAMPLES / "local-multicluster.yaml")))
    assert not [path for path, text in tree.files.items() if "kind: ApplicationSet" in text]


def test_the_catalog_does_not_promise_applicationsets() -> None:
    described = {name: c.description for name, c in load_catalog().components.items()}
    assert "ApplicationSet" not in described["argo-cd"]
    assert "one Application per component and cluster" in described["argo-cd"]


def test_a_cluster_label_change_is_not_explained_by_applicationsets(tmp_path: Path) -> None:
    spec = (EXAMPLES / "local-multicluster.yaml").read_text()
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(spec)
    app1 = "  - name: app1\n    role: app\n"
    assert app1 in spec
    new.write_text(spec.replace(app1, f"{app1}    labels: {{team: web}}\n"))
    changes = [c for c in compare_specs(old, new).changes if "labels" in (c.path or "")]
    assert changes, "the label change is reported"
    for change in changes:
        assert "ApplicationSet" not in change.reason
        assert "name their cluster directly" in change.reason
        assert not change.disruptive
