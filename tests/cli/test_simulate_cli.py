"""``stackyard simulate`` end to end: text, JSON, SVG, the matrix, and bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

from click.testing import Result

from tests.conftest import EXAMPLES
from tests.simulate.conftest import LOCAL

Cli = Callable[..., Result]
SVG = "{http://www.w3.org/2000/svg}"


def test_mgmt_outage_text_tells_the_seed_story(cli: Cli) -> None:
    result = cli("simulate", str(LOCAL), "--fail", "mgmt", "--for", "3h")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "1h  ⛔ secret refresh lost" in out
    assert "2h40m  ⛔ WAL retention exceeded" in out
    assert "C1 holds" in out
    assert "GitOps deploys stop" in out
    assert "no new certificates are issued" in out
    assert "Recovery order" in out and "P1 vault@mgmt" in out


def test_json_and_svg_outputs(cli: Cli, tmp_path: Path) -> None:
    chart = tmp_path / "mgmt.svg"
    result = cli(
        "simulate", str(LOCAL), "--fail", "mgmt", "--for", "3h", "-o", "json", "--svg", str(chart)
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert next(iter(data)) == "schema" and data["schema"] == "stackyard.dev/incident/v1"
    assert {c["id"] for c in data["contract"]} == {"C1", "C2", "C3", "C4", "C5", "C6"}
    kinds = {(e["kind"], e["function"], e["at"]) for e in data["timeline"]}
    assert ("exhausted", "secret-refresh", "1h") in kinds
    root = ElementTree.fromstring(chart.read_text(encoding="utf-8"))
    assert root.tag == f"{SVG}svg"
    labels = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert any(label.startswith("secret refresh from Vault") for label in labels)
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    # Target down, on a buffer, interrupted, and past the buffer (data lost): four colours.
    assert {r.get("data-state") for r in bars} == {"down", "kept", "interrupted", "lost"}
    assert len({r.get("fill") for r in bars}) == 4
    assert not list(root.iter(f"{SVG}script"))
    assert not list(tmp_path.glob(".stackyard-*"))


def test_strict_fails_when_an_slo_is_exceeded(cli: Cli) -> None:
    strict = cli("simulate", str(LOCAL), "--fail", "mgmt", "--for", "3h", "--strict")
    assert strict.exit_code == 1
    assert "the incident breaks " in strict.stderr and "exceeds (--strict)" in strict.stderr
    assert (
        cli("simulate", str(LOCAL), "--fail", "harbor", "--for", "10m", "--strict").exit_code == 0
    )


def test_all_single_failures_matrix(cli: Cli) -> None:
    result = cli("simulate", str(LOCAL), "--all-single-failures", "--for", "30m")
    assert result.exit_code == 0, result.stderr
    assert (
        "\nvault@mgmt\n  ❌ no new or rotated secrets reach the cluster [app1, app2, mgmt]"
        in result.stdout
    )
    assert "P0 (RTO 15m): harbor" in result.stdout
    data = json.loads(
        cli("simulate", str(LOCAL), "--all-single-failures", "--for", "30m", "-o", "json").stdout
    )
    assert data["rows"][0]["target"] == "mgmt"


def test_without_a_failure_it_prints_priorities_and_the_dr_check(cli: Cli) -> None:
    result = cli("simulate", str(EXAMPLES / "aws-enterprise.yaml"))
    assert result.exit_code == 0, result.stderr
    assert "Recovery priorities" in result.stdout and "Backups (RPO" in result.stdout
    data = json.loads(cli("simulate", str(EXAMPLES / "aws-enterprise.yaml"), "-o", "json").stdout)
    functions = {f["function"] for f in data["model"]["functions"]}
    assert {"sso-login", "deploys", "image-pulls", "secret-refresh"} <= functions
    sso = next(f for f in data["model"]["functions"] if f["function"] == "sso-login")
    assert "/keycloak/realm-platform.yaml:" in sso["buffer"]["source"]
    assert sso["buffer"]["duration"] == "10h"


def test_bad_input_exits_2_with_a_clear_message(cli: Cli, tmp_path: Path) -> None:
    typo = cli("simulate", str(LOCAL), "--fail", "vualt", "--for", "1h")
    assert typo.exit_code == 2
    assert "did you mean 'vault'" in typo.stderr
    assert cli("simulate", str(LOCAL), "--fail", "mgmt").exit_code == 2
    both = cli("simulate", str(LOCAL), "--fail", "mgmt", "--for", "1h", "--all-single-failures")
    assert both.exit_code == 2 and "cannot be combined" in both.stderr
    bad = cli("simulate", str(LOCAL), "--fail", "mgmt", "--for", "soon")
    assert bad.exit_code == 2 and "--for" in bad.stderr
    nowhere = cli(
        "simulate",
        str(LOCAL),
        "--fail",
        "mgmt",
        "--for",
        "1h",
        "--svg",
        str(tmp_path / "no" / "x.svg"),
    )
    assert nowhere.exit_code == 2 and "directory does not exist" in nowhere.stderr


def test_a_spec_that_plans_with_errors_is_refused_with_its_findings(
    cli: Cli, tmp_path: Path
) -> None:
    spec = tmp_path / "platform.yaml"
    text = (EXAMPLES / "aws-standard.yaml").read_text(encoding="utf-8")
    text = text.replace("  cni: cilium", "  cni: canal").replace("  ciliumRoutingMode: eni", "")
    spec.write_text(text, encoding="utf-8")
    result = cli("simulate", str(spec), "--fail", "mgmt", "--for", "1h")
    assert result.exit_code == 1
    assert "SY404" in result.stdout
    assert f"error: {spec} has " in result.stderr and "error finding" in result.stderr
