"""The API fuzzed from its own OpenAPI document (schemathesis): no input makes a server error.

Every operation gets generated requests (valid and not) against a fleet of two real
platform repositories; each response must be no 5xx and must match what the document
promises (status codes, content types, response shapes). The operations are driven
with Hypothesis directly: schemathesis' pytest loader cannot take a fixture under
this pytest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from stackyard.app import Fleet, add_platform, open_fleet
from stackyard.service import create_app
from tests.fleet_repos import GIT_IDENTITY, platform_repository

EXAMPLES_PER_OPERATION = 25


@pytest.fixture(scope="module")
def fuzzed_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """A fleet of its own repositories: a fuzzed registration may change them."""
    root = tmp_path_factory.mktemp("fuzz")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
        for key, value in GIT_IDENTITY.items():
            patch.setenv(key, value)
        fleet = open_fleet(f"sqlite:///{root / 'store.db'}")
        add_platform(fleet, platform_repository(root / "poc"))
        add_platform(fleet, platform_repository(root / "multi", "local-multicluster"))
        yield fleet
        fleet.close()


def _operations(fleet: Fleet) -> dict[str, Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(fleet))
    return {op.ok().label: op.ok() for op in schema.get_all_operations()}


def test_every_operation_is_fuzzed(fuzzed_fleet: Fleet) -> None:
    assert set(_operations(fuzzed_fleet)) == {
        "GET /api/v1/platforms",
        "POST /api/v1/platforms",
        "GET /api/v1/platforms/{name}",
        "GET /api/v1/platforms/{name}/spec",
        "GET /api/v1/platforms/{name}/plan",
        "GET /api/v1/platforms/{name}/findings",
        "GET /api/v1/platforms/{name}/clusters",
        "GET /api/v1/platforms/{name}/clusters/{cluster}",
        "POST /api/v1/platforms/{name}/clusters",
        "DELETE /api/v1/platforms/{name}/clusters/{cluster}",
        "GET /api/v1/platforms/{name}/incidents",
        "GET /api/v1/platforms/{name}/history",
        "POST /api/v1/platforms/{name}/history",
    }


@pytest.mark.parametrize(
    "label",
    [
        "GET /api/v1/platforms",
        "POST /api/v1/platforms",
        "GET /api/v1/platforms/{name}",
        "GET /api/v1/platforms/{name}/spec",
        "GET /api/v1/platforms/{name}/plan",
        "GET /api/v1/platforms/{name}/findings",
        "GET /api/v1/platforms/{name}/clusters",
        "GET /api/v1/platforms/{name}/clusters/{cluster}",
        "POST /api/v1/platforms/{name}/clusters",
        "DELETE /api/v1/platforms/{name}/clusters/{cluster}",
        "GET /api/v1/platforms/{name}/incidents",
        "GET /api/v1/platforms/{name}/history",
        "POST /api/v1/platforms/{name}/history",
    ],
)
def test_no_request_makes_a_server_error(fuzzed_fleet: Fleet, label: str) -> None:
    operation = _operations(fuzzed_fleet)[label]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Any) -> None:
        # A path the schema allows may name no Git repository, a name no platform: the
        # service refuses those with 422 and 404 by design, so schema-valid input being
        # refused is not a failure here. Every other check runs.
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    call()
