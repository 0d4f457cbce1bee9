"""``stackyard cluster register|deregister``: the use cases' results, formatted, with exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from stackyard.cli.main import app
from tests.app.schemas import assert_matches
from tests.registration.conftest import AUTHOR, commits, git, status

APP3 = (
    "--name",
    "app3",
    "--role",
    "app",
    "--node-range",
    "192.168.64.40-192.168.64.49",
    "--node-subnet",
    "192.168.64.0/24",
    "--pods-cidr",
    "10.103.0.0/16",
    "--services-cidr",
    "10.99.0.0/16",
    "--load-balancer-pool",
    "192.168.64.140-192.168.64.149",
    "--node-pool",
    "name=cp,role=control-plane,count=1,cpu=2,memory=3Gi",
    "--node-pool",
    "name=worker,count=1,cpu=2,memory=4Gi",
    "--label",
    "team=payments",
    "-l",
    "tier=gold",
)


def stackyard(*args: str) -> Result:
    """Run the command line in-process; stdout and stderr apart."""
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_register_prints_the_commit_and_json_matches_its_schema(
    platform_repo: Path, remote: Path
) -> None:
    count = commits(platform_repo)
    result = stackyard(
        "cluster", "register", str(platform_repo), *APP3, "--author", AUTHOR, "-o", "json"
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert_matches("cluster-change", document)
    assert document["status"] == "committed"
    assert document["push"] == {"remote": "origin", "branch": "main", "error": None}
    assert commits(platform_repo) == count + 1
    assert git(remote, "rev-parse", "main").strip() == document["commit"]
    spec = git(platform_repo, "show", "HEAD:platform.yaml")
    assert "    labels:\n      team: payments\n      tier: gold\n" in spec
    assert "      - {name: worker, count: 1, cpu: 2, memory: 4Gi}\n" in spec


def test_register_in_text_says_what_it_committed(platform_repo: Path) -> None:
    result = stackyard("cluster", "register", str(platform_repo), *APP3, "--no-push")
    assert result.exit_code == 0, result.stderr
    head = git(platform_repo, "rev-parse", "HEAD").strip()
    assert result.stdout == f"registered cluster app3 as commit {head}\n"
    again = stackyard("cluster", "register", str(platform_repo), *APP3, "--no-push")
    assert again.exit_code == 0
    assert "already registered as asked: nothing to commit" in again.stdout


def test_deregister_needs_yes_and_shows_the_disruptive_changes(platform_repo: Path) -> None:
    head = git(platform_repo, "rev-parse", "HEAD")
    asked = stackyard("cluster", "deregister", str(platform_repo), "app1")
    assert asked.exit_code == 1
    assert "app1: cluster app1 — the cluster and everything on it is removed" in asked.stdout
    assert "run again with --yes" in asked.stderr
    assert "error: deregistering cluster app1 needs a confirmation" in asked.stderr
    assert git(platform_repo, "rev-parse", "HEAD") == head
    done = stackyard("cluster", "deregister", str(platform_repo), "app1", "--yes", "--no-push")
    assert done.exit_code == 0, done.stderr
    assert "deregistered cluster app1 as commit" in done.stdout
    assert status(platform_repo) == ""


def test_a_refused_registration_prints_its_findings_and_exits_1(platform_repo: Path) -> None:
    arguments = list(APP3)
    cp = "name=cp,role=control-plane,count=1,cpu=2,memory=3Gi"
    arguments[arguments.index(cp)] = cp.replace("3Gi", "300Gi")
    result = stackyard("cluster", "register", str(platform_repo), *arguments, "--no-push")
    assert result.exit_code == 1
    assert "SY202" in result.stdout
    assert "error: registering cluster app3 was refused" in result.stderr
    assert status(platform_repo) == ""


def test_a_malformed_node_pool_is_bad_usage(platform_repo: Path) -> None:
    arguments = list(APP3)
    arguments[arguments.index("name=worker,count=1,cpu=2,memory=4Gi")] = "name=worker,count"
    result = stackyard("cluster", "register", str(platform_repo), *arguments)
    assert result.exit_code == 2
    assert "--node-pool: 'name=worker,count': 'count' is not key=value" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_folder_that_is_not_a_repository_is_bad_input(tmp_path: Path) -> None:
    result = stackyard("cluster", "deregister", str(tmp_path), "app1", "--yes")
    assert result.exit_code == 2
    assert f"{tmp_path}: is not the top folder of a Git work tree" in result.stderr
