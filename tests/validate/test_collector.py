"""Validate keeps the tree it read out of Python's cyclic collector, and gives it back.

Reading pauses the collector (the tree is a large heap without cycles) and later checks
run with the tree frozen out of collections; after the run, successful or not, the
collector is as it was and nothing is left frozen.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from stackyard.errors import InputError
from stackyard.validate import run
from stackyard.validate.repository import Repository, read_repository

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  ports:
    - port: 80
      protocool: TCP
"""


def _tree(root: Path) -> Path:
    (root / "manifests").mkdir()
    (root / "manifests" / "web.yaml").write_text(SERVICE, encoding="utf-8")
    return root


def test_reading_pauses_the_collector_and_the_run_restores_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, object] = {}

    def reading(root: Path, progress: object) -> Repository:
        seen["enabled while reading"] = gc.isenabled()
        return read_repository(root)

    monkeypatch.setattr(run, "read_repository", reading)
    assert gc.isenabled()
    report = run.validate_directory(_tree(tmp_path))
    assert seen == {"enabled while reading": False}
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    (finding,) = [f for f in report.findings if "protocool" in f.message]
    assert (Path(finding.location.file).name, finding.location.line) == ("web.yaml", 9)


def test_a_failed_run_leaves_the_collector_as_it_was(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no Kubernetes schemas"):
        run.validate_directory(_tree(tmp_path), kubernetes_version="1.2")
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_disabled_collector_stays_disabled(tmp_path: Path) -> None:
    gc.disable()
    try:
        run.validate_directory(_tree(tmp_path))
        assert not gc.isenabled()
    finally:
        gc.enable()


class _CollectorAlwaysOn:
    """``gc`` as validate sees it, with pausing and freezing turned into nothing."""

    def isenabled(self) -> bool:
        return True

    def disable(self) -> None:
        pass

    def enable(self) -> None:
        pass

    def freeze(self) -> None:
        pass

    def unfreeze(self) -> None:
        pass


BOMB = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},"
    f"*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n"
    for i in range(8)
)


def test_findings_of_a_faulty_rendered_tree_are_the_same_with_the_collector_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from stackyard.cli.main import app

    root = tmp_path / "repo"
    example = Path(__file__).resolve().parents[2] / "examples" / "local-multicluster.yaml"
    result = CliRunner().invoke(app, ["render", str(example), str(root)])
    assert result.exit_code == 0, result.output
    values = sorted((root / "values" / "clusters").glob("*/*.yaml"))[0]
    values.write_text(values.read_text() + "notAValuesKeyOfThisChart: 1\n")
    manifests = root / "manifests"
    (manifests / "planted-service.yaml").write_text(SERVICE)
    (manifests / "planted-secret.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaky\n  namespace: shop\n"
        'data:\n  password: "Xk9mQ2vL7pR4zT8wNq3Hb6Yc"\n'
        '  token: "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"\n'
    )
    (manifests / "planted-duplicate.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice\n  name: again\n"
    )
    (manifests / "planted-bomb.yaml").write_text(BOMB)
    (manifests / "planted-deep.yaml").write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")

    def seen(report: run.ValidationReport) -> list[tuple[str, int, int, str, str, str]]:
        return [
            (f.location.file, f.location.line, f.location.column, f.check, f.severity, f.message)
            for f in report.findings
        ]

    now = seen(run.validate_directory(root))
    monkeypatch.setattr(run, "gc", _CollectorAlwaysOn())
    assert seen(run.validate_directory(root)) == now
    planted = {Path(file).name for file, *_ in now}
    assert {"planted-service.yaml", "planted-secret.yaml", values.name} <= planted
    assert {"planted-duplicate.yaml", "planted-bomb.yaml", "planted-deep.yaml"} <= planted
    messages = " ".join(message for *_, message in now)
    assert "duplicate key" in messages and "protocool" in messages
    assert "nodes" in messages and "nesting" in messages
