"""SY970: an app cluster's Teleport agent whose cluster's service-account keys are not
declared yet; and the spec refusing a key set that is not one."""

from __future__ import annotations

import pytest

from stackyard.errors import InputError
from stackyard.plan import Finding, make_plan
from stackyard.spec import load_spec_text
from tests.enterprise_clusters import APP_CLUSTERS, enterprise_with_app_clusters, with_jwks
from tests.plan.conftest import EXAMPLE_NAMES, EXAMPLES, example_text

SPEC = "platform.yaml"


def findings(text: str) -> list[Finding]:
    plan = make_plan(load_spec_text(text, SPEC, EXAMPLES))  # beside their OpenAPI files
    return [f for f in plan.findings if f.check == "SY970"]


def test_each_app_cluster_without_keys_is_named_at_its_cluster() -> None:
    text = with_jwks(enterprise_with_app_clusters(), "prod")
    [finding] = findings(text)
    assert finding.cluster == "prod-b"
    assert finding.severity == "info"
    assert "cannot join" in finding.message and "Teleport" in finding.message
    assert "kubectl get --raw /openid/v1/jwks" in finding.hint
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t == "  - name: prod-b")
    assert finding.location.line == line


def test_quiet_once_every_app_clusters_keys_are_declared() -> None:
    text = enterprise_with_app_clusters()
    assert {f.cluster for f in findings(text)} == set(APP_CLUSTERS)
    for cluster in APP_CLUSTERS:
        text = with_jwks(text, cluster)
    assert findings(text) == []


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_quiet_on_the_examples_which_run_no_agent(name: str) -> None:
    assert findings(example_text(name)) == []


@pytest.mark.parametrize(
    ("jwks", "message"),
    [
        ("{not json", "not JSON"),
        ('{"keys": []}', "not a JSON Web Key Set"),
        ('["k1"]', "not a JSON Web Key Set"),
    ],
)
def test_a_key_set_that_is_not_one_is_refused_at_its_line(jwks: str, message: str) -> None:
    text = with_jwks(enterprise_with_app_clusters(), "prod-b", jwks)
    with pytest.raises(InputError) as raised:
        load_spec_text(text, SPEC, EXAMPLES)
    assert message in str(raised.value)
    assert "serviceAccountJwks" in str(raised.value)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "serviceAccountJwks" in t)
    assert f"{SPEC}:{line}" in str(raised.value)
