"""The one refusal policy: a spec that plans with error findings builds nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.app import PlanRefusedError, plan_without_errors
from stackyard.errors import SpecError, StackyardError
from tests.conftest import EXAMPLES
from tests.plan.conftest import example_text


def test_a_plan_with_error_findings_is_refused_with_every_error(tmp_path: Path) -> None:
    spec = tmp_path / "platform.yaml"
    text = example_text("aws-standard").replace("  cni: cilium", "  cni: canal")
    spec.write_text(text.replace("  ciliumRoutingMode: eni", ""), encoding="utf-8")
    with pytest.raises(PlanRefusedError) as refused:
        plan_without_errors(spec)
    assert isinstance(refused.value, StackyardError)
    assert refused.value.spec == spec
    assert "SY404" in {f.check for f in refused.value.findings}
    assert all(f.severity == "error" for f in refused.value.findings)
    count = len(refused.value.findings)
    assert str(refused.value).startswith(f"{spec} has {count} error finding")


def test_a_plan_without_errors_is_returned() -> None:
    plan = plan_without_errors(EXAMPLES / "local-multicluster.yaml")
    assert plan.errors == [] and plan.clusters


def test_an_invalid_spec_is_bad_input_not_a_refusal(tmp_path: Path) -> None:
    spec = tmp_path / "platform.yaml"
    spec.write_text("platform: {name: 3}\n", encoding="utf-8")
    with pytest.raises(SpecError):
        plan_without_errors(spec)
