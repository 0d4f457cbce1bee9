"""The policy templates a fleet platform's new cluster may carry, as the dashboard offers them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stackyard.app import Fleet, add_platform, open_fleet, policy_choices
from tests.fleet_repos import git_identity, platform_repository

__all__ = ["git_identity"]


@pytest.fixture
def fleet(tmp_path: Path, git_identity: None) -> Iterator[Fleet]:
    opened = open_fleet(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.close()


def _policies(fleet: Fleet, name: str) -> dict[str, int]:
    return {choice.name: choice.policies for choice in policy_choices(fleet, name)}


def test_a_template_counts_the_policies_it_applies_in_the_platforms_edition(
    fleet: Fleet, tmp_path: Path
) -> None:
    # restricted adds image digests and signatures in Enterprise only.
    for example in ("aws-standard", "aws-enterprise"):
        add_platform(fleet, platform_repository(tmp_path / example, example, rendered=False))
    standard, enterprise = _policies(fleet, "aws-standard"), _policies(fleet, "aws-enterprise")
    assert enterprise["restricted"] == standard["restricted"] + 2
    assert enterprise["baseline"] == standard["baseline"]


def test_a_spec_that_does_not_load_offers_the_catalogs_templates(
    fleet: Fleet, tmp_path: Path
) -> None:
    repository = platform_repository(tmp_path / "poc", rendered=False)
    add_platform(fleet, repository)
    (repository / "platform.yaml").write_text("name: [\n", encoding="utf-8")
    offered = _policies(fleet, "community-poc")
    assert {"default", "baseline", "restricted", "regulated"} <= set(offered)
    assert offered["restricted"] == 7
