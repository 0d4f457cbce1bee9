"""The policy templates a new cluster of a fleet platform may carry, for a shell to offer.

A registration names its template (``clusters[].policyTemplate``) or leaves the choice
to the spec's label assignments and the default. The names a cluster may carry are the
catalog's templates with the spec's own ``policy.templates`` added or replacing them by
name (as the plan chooses): a form lists exactly those, each with what it enforces.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stackyard.app.fleet import Fleet, platform_record
from stackyard.catalog import load_catalog
from stackyard.errors import InputError
from stackyard.plan.policy import edition_rules, templates
from stackyard.spec import load_spec
from stackyard.spec.policy import PolicyTemplate


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

    Each counts the Kyverno policies it applies in the platform's edition, as the plan
    resolves them. A spec that does not load offers the catalog's templates only, each
    counting its policies of every edition: the registration is refused later with the
    spec's problems, located.

    Raises:
        UnknownPlatformError: the fleet has no platform of that name.
    """
    record = platform_record(fleet, name)
    catalog = load_catalog()
    try:
        platform = load_spec(Path(record.repository) / record.spec_path).platform
    except InputError:
        return tuple(
            _choice(template_name, template, len(template.policies))
            for template_name, template in sorted(catalog.policies.templates.items())
        )
    return tuple(
        _choice(template_name, template, len(edition_rules(template, catalog, platform.edition)))
        for template_name, template in sorted(templates(platform, catalog).items())
    )


def _choice(name: str, template: PolicyTemplate, policies: int) -> PolicyChoice:
    return PolicyChoice(
        name=name,
        description=template.description,
        pod_security=template.podSecurity.enforce,
        policies=policies,
    )
