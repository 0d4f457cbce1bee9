"""Exceptions that name no check or match nothing are reported; excepted counts are stated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from stackyard.assess import assess_directory
from stackyard.assess.exceptions import apply_exceptions, load_exceptions
from stackyard.cli.main import app
from stackyard.errors import InputError

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: agent
  namespace: ops
spec:
  containers:
    - name: app
      image: busybox:1.36
      securityContext:
        privileged: true
"""

GOOD = """\
exceptions:
  - check: WL007
    object: Pod/ops/agent
    reason: the agent reads the node's devices
    expires: 2099-01-31
  - check: DR-ETCD-SNAPSHOT
    reason: the managed control plane is backed up by the provider
    expires: 2099-01-31
  - check: privilegeEscalationAllowed
    object: Deployment/shop/*
    reason: the old shop needed it
    expires: 2099-01-31
"""

MISSPELT = """\
exceptions:
  - check: WL007
    reason: the agent reads the node's devices
    expires: 2099-01-31
  - check: WL07
    reason: a typo
    expires: 2099-01-31
  - check: DR-ETCD-SNAPSHOTS
    reason: another typo
    expires: 2099-01-31
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository of one privileged pod, and nothing else."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / "agent.yaml").write_text(POD, encoding="utf-8")
    return root


def write(tmp_path: Path, text: str) -> Path:
    """An exceptions file."""
    path = tmp_path / "exceptions.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def invoke(*args: str) -> Result:
    """Run ``stackyard`` in-process, stderr kept apart."""
    return CliRunner().invoke(app, list(args))


def test_an_unknown_check_is_bad_input_naming_file_line_and_field(
    repo: Path, tmp_path: Path
) -> None:
    path = write(tmp_path, MISSPELT)
    with pytest.raises(InputError) as raised:
        apply_exceptions(assess_directory(repo, workers=0), load_exceptions(path))
    messages = [str(p) for p in raised.value.problems]
    assert messages == [
        f"{path}:5:5: exceptions[1].check: unknown check 'WL07': not a workload check "
        "(WL001, its Polaris or kube-score name) nor a control id of the maturity model "
        "(did you mean WL017 or WL007 or WL019?)",
        f"{path}:8:5: exceptions[2].check: unknown check 'DR-ETCD-SNAPSHOTS': not a workload "
        "check (WL001, its Polaris or kube-score name) nor a control id of the maturity model "
        "(did you mean DR-ETCD-SNAPSHOT?)",
    ]
    result = invoke("assess", str(repo), "--exceptions", str(path))
    assert result.exit_code == 2
    assert f"error: {path}:5:5: exceptions[1].check: unknown check 'WL07'" in result.stderr


def test_an_exception_that_matches_nothing_is_a_notice_with_its_line(
    repo: Path, tmp_path: Path
) -> None:
    path = write(tmp_path, GOOD)
    result = apply_exceptions(assess_directory(repo, workers=0), load_exceptions(path))
    unused = [n.message for n in result.notices if n.file == str(path)]
    assert unused == [
        "line 9: the exception for privilegeEscalationAllowed (object Deployment/shop/*, "
        "file *) matched nothing: no workload finding in this run; remove it or correct "
        "its patterns"
    ]
    assert [use.matched for use in result.exceptions] == [1, 1, 0]


def test_the_summaries_count_excepted_findings_and_controls(repo: Path, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    data = json.loads(invoke("assess", str(repo), "--exceptions", str(path), "-o", "json").stdout)
    assert data["stats"]["exceptedFindings"] == 1
    assert data["stats"]["exceptedControls"] == 1
    expected = "Excepted: 1 workload finding, 1 control; 1 exception matched nothing"
    text = invoke("assess", str(repo), "--exceptions", str(path)).stdout
    assert expected in " ".join(text.split())
    markdown = invoke("assess", str(repo), "--exceptions", str(path), "-o", "markdown").stdout
    assert expected in markdown


def test_without_exceptions_the_json_still_counts_zero(repo: Path) -> None:
    data = json.loads(invoke("assess", str(repo), "-o", "json").stdout)
    assert data["stats"]["exceptedFindings"] == 0 and data["stats"]["exceptedControls"] == 0
