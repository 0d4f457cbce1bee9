"""validate reports each long step to a progress receiver, and the report never depends on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.validate import secrets
from stackyard.validate.run import validate_directory
from stackyard.validate.secrets import scan_tree
from tests.progress import Recorder
from tests.validate.test_hydrate import make_chart


def test_every_step_reports_progress_to_its_total(rendered_poc: Path, tmp_path: Path) -> None:
    make_chart(tmp_path, "longhorn", "1.12.1")
    recorder = Recorder()
    report = validate_directory(rendered_poc, charts=tmp_path, progress=recorder)
    recorder.assert_well_formed()
    assert recorder.steps() == [
        "reading files",
        "checking schemas",
        "checking values",
        "scanning for secrets",
        "hydrating releases",
    ]
    finals = {step: total for step, done, total in recorder.calls if done == total}
    assert finals["checking schemas"] == report.objects
    assert report.hydration is not None and report.hydration.rendered >= 1
    assert report == validate_directory(rendered_poc, charts=tmp_path)


def test_the_secret_scan_reports_batches_from_its_workers(
    rendered_poc: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = list(scan_tree(rendered_poc))
    monkeypatch.setattr(secrets, "PARALLEL_FROM", 1)  # a worker per core, whatever the size
    recorder = Recorder()
    assert list(scan_tree(rendered_poc, recorder)) == alone
    recorder.assert_well_formed()
    assert recorder.steps() == ["scanning for secrets"]
    assert len(recorder.calls) > 2  # moved while the workers ran, not only at the end
