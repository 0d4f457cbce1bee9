"""A render reports its progress per cluster and component, and renders the same without it."""

from __future__ import annotations

from stackyard.plan import make_plan
from stackyard.render.build import render_plan
from stackyard.spec import load_spec
from tests.conftest import EXAMPLES
from tests.progress import Recorder


def test_render_reports_progress_to_its_total_and_renders_the_same() -> None:
    plan = make_plan(load_spec(EXAMPLES / "local-multicluster.yaml"))
    recorder = Recorder()
    tree = render_plan(plan, recorder)
    recorder.assert_well_formed()
    assert recorder.steps() == ["rendering"]
    components = {p.name for cluster in plan.clusters for p in cluster.components}
    assert recorder.calls[-1][2] == 3 * len(plan.clusters) + len(components)
    assert dict(tree) == dict(render_plan(plan))
