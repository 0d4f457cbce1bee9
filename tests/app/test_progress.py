"""The use cases hand their progress receiver to every long step of the library."""

from __future__ import annotations

from pathlib import Path

from stackyard.app import ManifestDiffResult, SimulateRequest, diff, simulate, validate
from tests.conftest import EXAMPLES
from tests.progress import Recorder
from tests.simulate.conftest import LOCAL


def test_validate_reports_its_steps(rendered_poc: Path, tmp_path: Path) -> None:
    recorder = Recorder()
    validate(rendered_poc, images=tmp_path / "images.txt", progress=recorder)
    recorder.assert_well_formed()
    assert recorder.steps() == [
        "reading files",
        "checking schemas",
        "checking values",
        "scanning for secrets",
    ]


def test_the_failure_matrix_reports_the_render_then_each_failure() -> None:
    recorder = Recorder()
    request = SimulateRequest(duration="30m", all_single_failures=True)
    simulate(LOCAL, request, progress=recorder)
    recorder.assert_well_formed()
    assert recorder.steps() == ["rendering", "simulating failures"]


def test_a_manifest_diff_of_two_specs_reports_both_renders_and_the_comparison(
    rendered_poc: Path,
) -> None:
    old, new = EXAMPLES / "community-poc.yaml", EXAMPLES / "local-multicluster.yaml"
    recorder = Recorder()
    result = diff(old, new, manifests=True, progress=recorder)
    recorder.assert_well_formed()
    assert recorder.steps() == [
        "rendering the old spec",
        "rendering the new spec",
        "comparing objects",
    ]
    # Reporting changes nothing: the same comparison without a receiver.
    assert isinstance(result, ManifestDiffResult) and result.diff.objects
    assert result.as_dict() == diff(old, new, manifests=True).as_dict()
    # A folder on disk is read, not rendered: only the spec side renders.
    recorder = Recorder()
    diff(rendered_poc, old, progress=recorder)
    recorder.assert_well_formed()
    assert recorder.steps() == ["rendering the new spec", "comparing objects"]
