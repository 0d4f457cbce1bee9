"""The use cases hand their progress receiver to every long step of the library."""

from __future__ import annotations

from pathlib import Path

from stackyard.app import SimulateRequest, simulate, validate
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
