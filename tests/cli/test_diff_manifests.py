"""``stackyard diff --manifests``: rendered trees compared object by object for review."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result

from tests.conftest import EXAMPLES, with_example_apis
from tests.plan.conftest import example_text

Cli = Callable[..., Result]
LOCAL = EXAMPLES / "local-multicluster.yaml"


def render(cli: Cli, spec: Path, folder: Path) -> Path:
    result = cli("render", str(spec), str(folder))
    assert result.exit_code == 0, result.stderr
    return folder


def manifests(cli: Cli, *args: str, code: int = 0) -> dict[str, Any]:
    result = cli("diff", *args, "--manifests", "-o", "json")
    assert result.exit_code == code, (result.stdout, result.stderr)
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_a_tree_on_disk_equals_its_own_render_and_the_marker_is_ignored(
    cli: Cli, tmp_path: Path
) -> None:
    tree = render(cli, LOCAL, tmp_path / "out")
    assert (tree / ".stackyard-render").is_file()
    data = manifests(cli, str(tree), str(LOCAL))
    assert data["objects"] == [] and data["files"] == []
    copy = tmp_path / "copy"
    shutil.copytree(tree, copy)
    (copy / ".stackyard-render").write_text("{}", encoding="utf-8")  # differs, ignored
    assert manifests(cli, str(tree), str(copy))["summary"]["changed"] == 0


def test_a_quota_change_shows_the_object_and_a_unified_diff(cli: Cli, tmp_path: Path) -> None:
    enterprise = EXAMPLES / "aws-enterprise.yaml"
    text = example_text("aws-enterprise")
    doubled = tmp_path / "doubled.yaml"
    doubled.write_text(
        text.replace('quota: {cpu: "8", memory: 32Gi}', 'quota: {cpu: "16", memory: 32Gi}'),
        encoding="utf-8",
    )
    data = manifests(cli, str(enterprise), str(with_example_apis(doubled)))
    changed = [o for o in data["objects"] if o["status"] == "changed"]
    quota = [o for o in changed if o["kind"] == "ResourceQuota"]
    assert quota, data["objects"]
    assert quota[0]["group"] == "" and quota[0]["namespace"] == "team-web"
    assert "-    requests.cpu: '8'\n" in quota[0]["diff"]
    assert "+    requests.cpu: '16'\n" in quota[0]["diff"]
    assert data["summary"]["disruptive"] == 0


def test_a_removed_tenant_removes_its_namespace_and_the_gate_fails(
    cli: Cli, tmp_path: Path
) -> None:
    # team-data: team-web's services and API are in the mesh, which names it.
    text = example_text("aws-enterprise")
    team_data = (
        "  - name: team-data\n    clusters: [prod]\n    namespaces: [team-data, team-data-batch]\n"
        '    quota: {cpu: "16", memory: 64Gi}\n'
    )
    # Its groups name it too: they go with it.
    groups = [line for line in text.splitlines(keepends=True) if "tenant: team-data}" in line]
    assert team_data in text and len(groups) == 2
    for line in groups:
        text = text.replace(line, "")
    fewer = with_example_apis(tmp_path / "fewer.yaml")
    fewer.write_text(text.replace(team_data, ""), encoding="utf-8")
    old_tree = render(cli, EXAMPLES / "aws-enterprise.yaml", tmp_path / "old")
    data = manifests(cli, str(old_tree), str(fewer), "--fail-on-disruptive", code=1)
    removed = [o for o in data["objects"] if o["status"] == "removed"]
    namespaces = {o["name"]: o for o in removed if o["kind"] == "Namespace"}
    assert set(namespaces) == {"team-data", "team-data-batch"}, removed
    assert all(o["disruptive"] for o in namespaces.values())
    text_output = cli("diff", str(old_tree), str(fewer))
    assert text_output.exit_code == 0
    assert "- Namespace team-data-batch" in text_output.stdout
    assert "DISRUPTIVE" in text_output.stdout


def test_a_values_overlay_change_shows_as_a_values_file_diff(cli: Cli, tmp_path: Path) -> None:
    text = example_text("local-multicluster")
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(
        text.replace(
            "  tempo: {enabled: false}",
            "  tempo: {enabled: false}\n  grafana: {values: {replicas: 2}}",
            1,
        ),
        encoding="utf-8",
    )
    data = manifests(cli, str(LOCAL), str(overlay))
    files = [f for f in data["files"] if f["status"] == "changed"]
    assert any("grafana" in f["path"] and "+replicas: 2" in f["diff"] for f in files), files
