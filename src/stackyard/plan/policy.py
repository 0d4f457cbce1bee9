"""Which policy template each cluster carries, and what that template enforces there.

The choice, first that applies: the cluster's own ``policyTemplate``; the first of
``policy.assignments`` whose ``matchLabels`` the cluster's ``labels`` all carry; else
``default``, the template that is what ``policy.mode`` alone has always meant, so a spec
that chooses nothing renders what it did before templates existed. Templates are the
catalog's, with the spec's ``policy.templates`` added or replacing them by name.

What the template enforces is resolved here once, for render, plan output and the fleet
service alike: its rules in this edition, each with its action made concrete
(``mode`` becomes the cluster's ``policyMode``, else ``policy.mode``). The Kyverno rules
apply only where Kyverno runs; the Pod Security levels apply to the cluster's workload
namespaces wherever it has any. An unknown template name leaves ``known`` false and no
rules: check SY971 reports it, and a plan with errors is never rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from stackyard.catalog import Catalog
from stackyard.plan.settings import SpecPath
from stackyard.spec import Edition, Platform
from stackyard.spec.policy import DEFAULT_TEMPLATE, PodSecurityLevel, PolicyRule, PolicyTemplate

ChosenBy = Literal["cluster", "assignment", "default"]
Action = Literal["enforce", "audit"]
_LEVELS: dict[PodSecurityLevel, int] = {"privileged": 0, "baseline": 1, "restricted": 2}


@dataclass(frozen=True)
class AppliedRule:
    """One Kyverno policy of the cluster's template, with its concrete action."""

    name: str
    action: Action
    summary: str


@dataclass(frozen=True)
class PodSecurity:
    """Pod Security Admission levels of the cluster's workload namespaces."""

    enforce: PodSecurityLevel
    audit: PodSecurityLevel
    warn: PodSecurityLevel


@dataclass(frozen=True)
class ClusterPolicy:
    """The policy template a cluster carries and what it enforces there."""

    template: str
    chosen_by: ChosenBy
    path: SpecPath
    """Where the spec chose it (empty for the default)."""
    known: bool
    description: str
    pod_security: PodSecurity
    rules: tuple[AppliedRule, ...]
    """The template's Kyverno policies in this edition (rendered only where Kyverno runs)."""
    kyverno: bool
    """Whether Kyverno runs on the cluster, so the rules are rendered there."""

    @property
    def enforced(self) -> tuple[str, ...]:
        """The names of the rules that refuse, where Kyverno runs."""
        return tuple(r.name for r in self.rules if r.action == "enforce") if self.kyverno else ()

    def is_stricter_than(self, other: ClusterPolicy) -> bool:
        """Whether this refuses something ``other`` admits.

        A higher enforced Pod Security level, or a Kyverno rule enforced here and not there.
        """
        if _LEVELS[self.pod_security.enforce] > _LEVELS[other.pod_security.enforce]:
            return True
        return bool(set(self.enforced) - set(other.enforced))

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape in ``plan --output json`` (a cluster's ``policy``)."""
        return {
            "template": self.template,
            "chosenBy": self.chosen_by,
            "known": self.known,
            "description": self.description,
            "podSecurity": {
                "enforce": self.pod_security.enforce,
                "audit": self.pod_security.audit,
                "warn": self.pod_security.warn,
            },
            "kyverno": self.kyverno,
            "policies": [
                {"name": r.name, "action": r.action, "summary": r.summary} for r in self.rules
            ],
        }


def templates(platform: Platform, catalog: Catalog) -> dict[str, PolicyTemplate]:
    """Every template a cluster may carry: the catalog's, with the spec's over them."""
    return catalog.policies.with_templates(platform.policy.templates)


def edition_rules(template: PolicyTemplate, catalog: Catalog, edition: Edition) -> list[PolicyRule]:
    """The template's Kyverno policies that run in ``edition`` (each one the catalog has)."""
    return [
        rule
        for rule in template.policies
        if rule.name in catalog.policies.rules
        and (rule.editions is None or edition in rule.editions)
    ]


def choose_template(platform: Platform, index: int) -> tuple[str, ChosenBy, SpecPath]:
    """The template name cluster ``index`` carries, what chose it and where."""
    cluster = platform.clusters[index]
    if cluster.policyTemplate is not None:
        return cluster.policyTemplate, "cluster", ("clusters", index, "policyTemplate")
    for position, assignment in enumerate(platform.policy.assignments):
        if assignment.matches(cluster.labels):
            path: SpecPath = ("policy", "assignments", position, "template")
            return assignment.template, "assignment", path
    return DEFAULT_TEMPLATE, "default", ()


def cluster_policy(
    platform: Platform, index: int, catalog: Catalog, *, kyverno: bool
) -> ClusterPolicy:
    """What cluster ``index`` carries; ``kyverno``: whether Kyverno runs there."""
    name, chosen_by, path = choose_template(platform, index)
    template = templates(platform, catalog).get(name)
    if template is None:
        # Reported by SY971; the workload namespaces keep the default's levels meanwhile.
        fallback = catalog.policies.templates[DEFAULT_TEMPLATE].podSecurity
        kept = PodSecurity(fallback.enforce, fallback.audit, fallback.warn)
        return ClusterPolicy(name, chosen_by, path, False, "", kept, (), kyverno)
    cluster = platform.clusters[index]
    mode: Action = cluster.policyMode or platform.policy.mode
    rules = tuple(
        AppliedRule(
            rule.name,
            mode if rule.action == "mode" else rule.action,
            catalog.policies.rules[rule.name].summary,
        )
        for rule in edition_rules(template, catalog, platform.edition)
    )
    levels = template.podSecurity
    return ClusterPolicy(
        name,
        chosen_by,
        path,
        True,
        template.description,
        PodSecurity(levels.enforce, levels.audit, levels.warn),
        rules,
        kyverno,
    )
