"""assess reports each long step to a progress receiver, and the report never depends on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.assess import assess_directory
from stackyard.assess.inputs import reading
from tests.progress import Recorder
from tests.validate.test_hydrate import make_chart


@pytest.mark.parametrize("workers", [0, 1])
def test_every_step_reports_progress_to_its_total(
    rendered_poc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    monkeypatch.setattr(reading, "PARALLEL_FROM", 2)  # with workers: files parsed ahead
    make_chart(tmp_path, "longhorn", "1.12.1")
    recorder = Recorder()
    assessment = assess_directory(rendered_poc, charts=tmp_path, workers=workers, progress=recorder)
    recorder.assert_well_formed()
    assert recorder.steps() == ["reading files", "hydrating releases", "running detectors"]
    finals = {step: total for step, done, total in recorder.calls if done == total}
    assert finals["reading files"] == assessment.stats["files"]
    assert assessment.stats["hydrated"] >= 1
    # Files are counted as they reach the index, in walk order, whoever parsed them.
    files = assessment.stats["files"]
    reading_calls = [done for step, done, _ in recorder.calls if step == "reading files"]
    assert reading_calls == [*range(files + 1), files]
    silent = assess_directory(rendered_poc, charts=tmp_path, workers=workers)
    assert assessment.as_dict() == silent.as_dict()
