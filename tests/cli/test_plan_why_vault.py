"""`plan --why vault` says what the rendered Vault values run: standalone or HA Raft, and why."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result

from stackyard.plan import make_plan
from stackyard.render.build import render_plan
from stackyard.spec import load_spec, load_spec_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_NAMES = sorted(path.stem for path in EXAMPLES.glob("*.yaml"))
CLI = Callable[..., Result]


def rendered_vault(files: dict[str, str], cluster: str) -> dict[str, Any]:
    """Vault's values on ``cluster``, the layers merged the way Argo CD hands them to Helm."""
    merged: dict[str, Any] = {}
    for layer in ("values/common/vault.yaml", f"values/clusters/{cluster}/vault.yaml"):
        merged = _merge(merged, yaml.safe_load(files.get(layer, "")) or {})
    return merged


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _merge(out[key], value) if both else value
    return out


def _assert_agree(output: str, why: dict[str, Any], files: dict[str, str]) -> None:
    text = " ".join(output.split())  # the console may wrap long lines
    for row in why["clusters"]:
        if not row["included"]:
            continue
        server = rendered_vault(files, row["cluster"])["server"]
        ha = server.get("ha", {})
        raft = ha.get("raft", {})
        sizing = row["replicas"]
        if sizing["ha"]:
            assert ha.get("enabled") is True and raft.get("enabled") is True
            assert ha["replicas"] == sizing["count"] == 3
            assert raft["config"].count("retry_join") == sizing["count"]
            assert 'storage "raft"' in raft["config"]
            assert f"{sizing['count']} replicas: HA, Raft peers" in text
        else:
            assert not ha.get("enabled")
            assert 'storage "file"' in server["standalone"]["config"]
            assert sizing["count"] == 1
            assert "1 replica: standalone" in text
            assert "Raft peers joining" not in text
        assert f"because {sizing['reason']}" in text


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_plan_why_vault_matches_the_rendered_values(cli: CLI, name: str) -> None:
    spec = str(EXAMPLES / f"{name}.yaml")
    text = cli("plan", spec, "--why", "vault").stdout
    why = json.loads(cli("plan", spec, "--why", "vault", "--output", "json").stdout)
    files = dict(render_plan(make_plan(load_spec(Path(spec)))))
    _assert_agree(text, why, files)


def test_an_ha_cluster_without_three_control_plane_nodes_says_so(cli: CLI, tmp_path: Path) -> None:
    text = (EXAMPLES / "local-multicluster.yaml").read_text(encoding="utf-8")
    text = text.replace("  - name: mgmt\n", "  - name: mgmt\n    ha: true\n", 1)
    spec = tmp_path / "platform.yaml"
    spec.write_text(text, encoding="utf-8")
    why = json.loads(cli("plan", str(spec), "--why", "vault", "--output", "json").stdout)
    mgmt = next(row for row in why["clusters"] if row["cluster"] == "mgmt")
    assert mgmt["replicas"]["ha"] is True
    assert mgmt["replicas"]["reason"] == "the spec sets ha: true on cluster mgmt"
    files = dict(render_plan(make_plan(load_spec_text(text, "platform.yaml", EXAMPLES))))
    _assert_agree(cli("plan", str(spec), "--why", "vault").stdout, why, files)
