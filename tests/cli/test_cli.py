"""The command line: exit codes, JSON output, messages for people, no tracebacks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from click.testing import Result

from stackyard.spec import load_spec_text
from stackyard.spec.starter import TOPOLOGIES
from tests.conftest import EXAMPLES
from tests.plan.conftest import EXAMPLE_NAMES, example_text

Cli = Callable[..., Result]


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_plan_json_of_each_example_exits_zero(cli: Cli, name: str) -> None:
    result = cli("plan", str(EXAMPLES / f"{name}.yaml"), "--output", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["summary"]["error"] == 0
    assert data["clusters"] and all(c["components"] for c in data["clusters"])
    assert [w["wave"] for w in data["waves"]] == sorted(w["wave"] for w in data["waves"])


def test_plan_text_shows_a_table_per_cluster(cli: Cli) -> None:
    result = cli("plan", str(EXAMPLES / "local-multicluster.yaml"))
    assert result.exit_code == 0
    for cluster in ("mgmt", "app1", "app2"):
        assert f"Cluster {cluster}" in result.stdout
    assert "0 errors" in result.stdout


def test_plan_with_error_findings_exits_one(cli: Cli, tmp_path: Path) -> None:
    spec = tmp_path / "platform.yaml"
    text = example_text("aws-standard").replace("  cni: cilium", "  cni: canal")
    spec.write_text(text.replace("  ciliumRoutingMode: eni", ""), encoding="utf-8")
    result = cli("plan", str(spec), "-o", "json")
    assert result.exit_code == 1
    checks = {f["check"] for f in json.loads(result.stdout)["findings"] if f["severity"] == "error"}
    assert "SY404" in checks


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda t: t.replace("    nodePools:", "    nodePool:", 1), "unknown key 'nodePool'"),
        (
            lambda t: t.replace("edition: enterprise", "edition: enterprize"),
            "did you mean 'enterprise'",
        ),
    ],
)
def test_bad_spec_exits_two_with_a_located_message(
    cli: Cli, tmp_path: Path, mutate, expected
) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "platform.yaml"
    spec.write_text(mutate(example_text("local-multicluster")), encoding="utf-8")
    result = cli("plan", str(spec))
    assert result.exit_code == 2
    assert expected in result.stderr
    assert f"{spec}:" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_unknown_component_override_exits_two(cli: Cli, tmp_path: Path) -> None:
    spec = tmp_path / "platform.yaml"
    spec.write_text(example_text("community-poc") + "components:\n  harbour: {enabled: false}\n")
    result = cli("plan", str(spec))
    assert result.exit_code == 2
    assert (
        "unknown component 'harbour'" in result.stderr and "did you mean 'harbor'" in result.stderr
    )


def test_alias_bomb_exits_two(cli: Cli, tmp_path: Path) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9) + "]")
    spec = tmp_path / "bomb.yaml"
    spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("plan", str(spec))
    assert result.exit_code == 2
    assert "alias bomb" in result.stderr and "bomb.yaml:" in result.stderr


def test_missing_spec_exits_two(cli: Cli, tmp_path: Path) -> None:
    result = cli("plan", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "nope.yaml: cannot read the spec: No such file or directory" in result.stderr


def test_why_explains_inclusion_and_exclusion(cli: Cli) -> None:
    result = cli(
        "plan", str(EXAMPLES / "local-multicluster.yaml"), "--why", "kyverno", "-o", "json"
    )
    assert result.exit_code == 0
    rows = {row["cluster"]: row for row in json.loads(result.stdout)["clusters"]}
    assert rows["app1"]["included"] and not rows["mgmt"]["included"]
    assert "mgmt" in rows["mgmt"]["reason"]


def test_why_names_where_an_override_was_written(cli: Cli) -> None:
    result = cli("plan", str(EXAMPLES / "local-multicluster.yaml"), "--why", "keycloak")
    assert result.exit_code == 0
    assert "disabled by the platform's override" in result.stdout
    assert "local-multicluster.yaml:" in result.stdout


def test_why_prints_text_from_the_spec_as_it_is_not_as_markup(cli: Cli, tmp_path: Path) -> None:
    """A path with brackets, such as ``[red]specs/``, is printed whole, never taken for a style."""
    folder = tmp_path / "[red]specs"
    folder.mkdir()
    spec = folder / "platform.yaml"
    spec.write_text(example_text("local-multicluster"), encoding="utf-8")
    result = cli("plan", str(spec), "--why", "k8sgpt-operator")
    assert result.exit_code == 0, result.stderr
    assert "[red]specs/platform.yaml:" in result.stdout.replace("\n    ", "")


def test_why_shows_dependencies_across_clusters(cli: Cli) -> None:
    result = cli("plan", str(EXAMPLES / "local-multicluster.yaml"), "--why", "vault")
    assert "provides secrets to external-secrets on app1" in result.stdout


def test_why_unknown_component_suggests(cli: Cli) -> None:
    result = cli("plan", str(EXAMPLES / "local-multicluster.yaml"), "--why", "kyvern")
    assert result.exit_code == 2
    assert "unknown component 'kyvern' (did you mean 'kyverno'?)" in result.stderr


@pytest.mark.parametrize("edition", ["community", "standard", "enterprise"])
@pytest.mark.parametrize("provider", ["aws", "onprem", "local"])
@pytest.mark.parametrize("topology", TOPOLOGIES)
def test_init_output_plans_without_errors(
    cli: Cli, tmp_path: Path, edition: str, provider: str, topology: str
) -> None:
    spec = tmp_path / "platform.yaml"
    result = cli(
        "init",
        "--edition",
        edition,
        "--provider",
        provider,
        "--topology",
        topology,
        "-o",
        str(spec),
    )
    assert result.exit_code == 0
    planned = cli("plan", str(spec), "-o", "json")
    assert planned.exit_code == 0, planned.stdout
    data = json.loads(planned.stdout)
    assert data["edition"] == edition and data["provider"] == provider
    assert len(data["clusters"]) == (1 if topology == "single" else 3)


def test_init_prefers_maintained_components(cli: Cli) -> None:
    result = cli("init", "--edition", "standard", "--provider", "onprem")
    spec = load_spec_text(result.stdout, "starter.yaml").platform
    assert spec.networking.ingress == "gateway-api"
    assert spec.observability.logAgent == "alloy"


def test_init_refuses_to_overwrite_without_force(cli: Cli, tmp_path: Path) -> None:
    spec = tmp_path / "platform.yaml"
    spec.write_text("mine\n", encoding="utf-8")
    result = cli("init", str(spec))
    assert result.exit_code == 2
    assert spec.read_text(encoding="utf-8") == "mine\n"
    assert cli("init", str(spec), "--force").exit_code == 0
    assert spec.read_text(encoding="utf-8").startswith("# Stackyard platform spec")


def test_schema_is_valid_json_schema_and_accepts_every_example(cli: Cli) -> None:
    import yaml

    result = cli("schema")
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for name in EXAMPLE_NAMES:
        data = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))
        assert list(validator.iter_errors(data)) == [], name


def test_schema_rejects_unknown_keys(cli: Cli) -> None:
    import yaml

    schema = json.loads(cli("schema").stdout)
    data = yaml.safe_load(example_text("community-poc"))
    data["clsuters"] = data.pop("clusters")
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
    assert errors


def test_catalog_json_lists_every_component(cli: Cli) -> None:
    data = json.loads(cli("catalog", "-o", "json").stdout)
    assert data["schema"] == "stackyard.dev/catalog/v1"
    names = {entry["name"] for entry in data["components"]}
    assert {"cilium", "vault", "kyverno", "teleport"} <= names


def test_python_dash_m_works() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "stackyard", "version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and result.stdout.strip()


LOCAL = example_text("local-multicluster")
AWS = example_text("aws-standard")
MGMT_KYVERNO = "  - name: mgmt\n    role: mgmt\n    components:\n      kyverno: {enabled: true}\n"


@pytest.mark.parametrize(
    ("text", "check", "needle"),
    [
        (
            LOCAL.replace("podCIDR: 10.101.0.0/16", "podCIDR: 10.100.0.0/16"),
            "SY102",
            "podCIDR: 10.100.0.0/16",
        ),
        (
            AWS.replace("  cni: cilium", "  cni: canal").replace("  ciliumRoutingMode: eni", ""),
            "SY404",
            "loadBalancerTargetType: ip",
        ),
        (
            LOCAL.replace("  - name: mgmt\n    role: mgmt\n", MGMT_KYVERNO),
            "C4",
            "kyverno: {enabled: true}",
        ),
        (LOCAL.replace("cpu: 2, memory: 6Gi", "cpu: 2, memory: 1Gi"), "SY201", "nodePools:"),
    ],
    ids=["overlapping-cidrs", "ip-mode-on-canal", "kyverno-enforce-on-mgmt", "budget-overflow"],
)
def test_rejected_plans_exit_one_and_name_the_line(
    cli: Cli, tmp_path: Path, text: str, check: str, needle: str
) -> None:
    spec = tmp_path / "platform.yaml"
    spec.write_text(text, encoding="utf-8")
    result = cli("plan", str(spec), "-o", "json")
    assert result.exit_code == 1
    errors = [f for f in json.loads(result.stdout)["findings"] if f["severity"] == "error"]
    found = [f for f in errors if f["check"] == check]
    assert found, errors
    lines = text.splitlines()
    assert any(needle in lines[f["line"] - 1] for f in found), found
    text_result = cli("plan", str(spec))
    assert text_result.exit_code == 1 and check in text_result.stdout
