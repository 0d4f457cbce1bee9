"""checkov's Terraform policies pass on the rendered infrastructure of the AWS examples.

checkov runs in its own environment (``scripts/checkov.sh --install``). Where that is
missing the test skips, except where ``STACKYARD_REQUIRE_CHECKOV`` is set (CI sets it
after creating the environment): there a missing checkov fails.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from stackyard.render.infrastructure import SKIPS
from tests.conftest import EXAMPLES, render_example

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "checkov.sh"
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


@pytest.fixture(scope="module")
def checkov() -> Path:
    if not CHECKOV.exists():
        if os.environ.get("STACKYARD_REQUIRE_CHECKOV"):
            pytest.fail("checkov is required here: run scripts/checkov.sh --install")
        pytest.skip("no checkov environment: scripts/checkov.sh --install creates it")
    return CHECKOV


@pytest.mark.parametrize(
    ("example", "cluster"),
    [("aws-standard", "prod"), ("aws-enterprise", "prod"), ("aws-multicluster", "mgmt")],
)
def test_no_failed_checks_and_every_skip_documented(
    checkov: Path, example: str, cluster: str, tmp_path: Path
) -> None:
    render_example(EXAMPLES / f"{example}.yaml", tmp_path)
    _scan(tmp_path / "infrastructure" / cluster)


AIRGAP = (
    "airgap:\n  registry: 111122223333.dkr.ecr.ap-northeast-2.amazonaws.com/platform\n"
    "  git: https://git.corp.internal/platform\n"
)


@pytest.mark.parametrize(
    ("variant", "module"),
    [("air-gapped", "endpoints"), ("kubeadm", "iam")],
)
def test_the_air_gapped_and_kubeadm_stacks_pass_too(
    checkov: Path, variant: str, module: str, tmp_path: Path
) -> None:
    text = (EXAMPLES / "aws-standard.yaml").read_text(encoding="utf-8")
    if variant == "air-gapped":
        text += AIRGAP
    else:
        text = text.replace("distribution: rke2", "distribution: kubeadm")
    spec = tmp_path / "platform.yaml"
    spec.write_text(text, encoding="utf-8")
    render_example(spec, tmp_path / "out")
    stack = tmp_path / "out" / "infrastructure" / "prod"
    assert (stack / "modules" / module / "main.tf").exists()
    _scan(stack)


def _scan(stack: Path) -> None:
    run = subprocess.run(
        [str(SCRIPT), str(stack), "--output", "json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = json.loads(run.stdout)
    results = report["results"]
    failed = [(c["check_id"], c["resource"]) for c in results["failed_checks"]]
    assert failed == [], failed
    assert report["summary"]["passed"] > 100
    assert report["summary"]["parsing_errors"] == 0
    skipped = {c["check_id"] for c in results["skipped_checks"]}
    assert skipped and skipped <= set(SKIPS)
