"""The policy templates a new cluster of a fleet platform may carry, for a shell to offer.

A registration names its template (``clusters[].policyTemplate``) or leaves the choice
to the spec's label assignments and the default. The names a cluster may carry are the
catalog's templates with the spec's own ``policy.templates`` added or replacing them by
name (as the plan chooses): a form lists exactly those, each with what it enforces.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from stackyard.app.fleet import Fleet, platform_record
from stackyard.catalog import load_catalog
from stackyard.errors import InputError
from stackyard.spec import load_spec


@dataclass(frozen=True)
class PolicyChoice:
    """One policy template: its name, what it is for, what it enforces."""

    name: str
    description: str
    pod_security: str
    """The Pod Security level enforced in the cluster's workload namespaces."""
    policies: int
    """How many Kyverno policies it applies."""


def policy_choices(fleet: Fleet, name: str) -> tuple[PolicyChoice, ...]:
    """The templates a cluster registered on the fleet's platform ``name`` may carry, by name.

    A spec that does not load offers the catalog's templates only: the registration is
    refused later with the spec's problems, located.

    Raises:
        UnknownPlatformError: the fleet has no platform of that name.
    """
    record = platform_record(fleet, name)
    own = {}
    with suppress(InputError):
        own = load_spec(Path(record.repository) / record.spec_path).platform.policy.templates
    templates = load_catalog().policies.with_templates(own)
    return tuple(
        PolicyChoice(
            name=template_name,
            description=template.description,
            pod_security=template.podSecurity.enforce,
            policies=len(template.policies),
        )
        for template_name, template in sorted(templates.items())
    )
