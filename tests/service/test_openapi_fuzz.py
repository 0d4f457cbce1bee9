"""The API fuzzed from its own OpenAPI document (schemathesis): no input makes a server error.

Every operation gets generated requests (valid and not) against a fleet of two real
platform repositories; each response must be no 5xx and must match what the document
promises (status codes, content types, response shapes), and a request the document
calls valid must not be refused as malformed. The operations are driven with Hypothesis
directly: schemathesis' pytest loader cannot take a fixture under this pytest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig

from stackyard.app import Fleet, add_platform, open_fleet
from stackyard.service import create_app
from tests.fleet_repos import GIT_IDENTITY, platform_repository

EXAMPLES_PER_OPERATION = 25
OPERATIONS = (
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
    "POST /api/v1/tokens",
    "GET /api/v1/tokens",
    "DELETE /api/v1/tokens/{name}",
    "GET /api/v1/audit",
)
# A request the document calls valid may still name no platform (404) or be refused for
# the platform's state (409). Only where the input names something on the service's host
# or goes into the spec (a repository path, a cluster's network and pools) can a
# well-formed request still be unusable input: there, and nowhere else, 422 is a fair
# answer to valid data (every route declares 422 for malformed requests).
REFUSED_VALID_DATA = ["2xx", "401", "403", "404", "409"]
UNUSABLE_INPUT = ("POST /api/v1/platforms", "POST /api/v1/platforms/{name}/clusters")


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


def _config() -> SchemathesisConfig:
    def acceptance(statuses: list[str]) -> dict[str, Any]:
        return {"positive_data_acceptance": {"expected-statuses": statuses}}

    operations = [
        {"include-name": label, "checks": acceptance([*REFUSED_VALID_DATA, "422"])}
        for label in UNUSABLE_INPUT
    ]
    return SchemathesisConfig.from_dict(
        {"checks": acceptance(REFUSED_VALID_DATA), "operations": operations}
    )


def _operations(fleet: Fleet) -> dict[str, Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(fleet), config=_config())
    return {op.ok().label: op.ok() for op in schema.get_all_operations()}


def test_every_operation_is_fuzzed(fuzzed_fleet: Fleet) -> None:
    assert set(_operations(fuzzed_fleet)) == set(OPERATIONS)


@pytest.mark.parametrize("label", OPERATIONS)
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
        case.call_and_validate()

    call()
