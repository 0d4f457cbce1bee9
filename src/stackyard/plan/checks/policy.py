"""Checks on the policy templates clusters carry (``policy.templates``, ``policy.assignments``).

Template and rule names are catalog facts the spec cannot check alone: a name that is
neither shipped nor written in ``policy.templates``, a template naming a Kyverno policy
Stackyard does not render, an assignment no cluster's labels match (most likely a typo
in a label, which silently leaves those clusters on another template).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check
from stackyard.plan.model import SpecPath
from stackyard.plan.policy import templates


def _did_you_mean(name: str, known: Iterable[str], what: str) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else f"known {what}: {', '.join(sorted(known))}"


@check("SY971", "Unknown policy template", "error")
def unknown_template(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Unknown policy template.

    A cluster's ``policyTemplate`` and each assignment's ``template`` must name a shipped
    template (baseline, restricted, regulated, default) or one of ``policy.templates``:
    render cannot know what such a cluster should enforce.
    """
    platform = context.platform
    known = templates(platform, context.catalog)
    places: list[tuple[str, SpecPath, str | None]] = [
        (c.policyTemplate, ("clusters", i, "policyTemplate"), c.name)
        for i, c in enumerate(platform.clusters)
        if c.policyTemplate is not None
    ]
    places += [
        (a.template, ("policy", "assignments", i, "template"), None)
        for i, a in enumerate(platform.policy.assignments)
    ]
    for name, path, cluster in places:
        if name not in known:
            yield emit(
                f"policy template {name!r} is neither shipped nor defined in policy.templates",
                path,
                hint=_did_you_mean(name, known, "templates"),
                cluster=cluster,
            )


@check("SY972", "Policy template names a policy Stackyard does not render", "error")
def unknown_policy_rule(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Policy template names a policy Stackyard does not render.

    A template's ``policies`` pick from the Kyverno policies Stackyard renders (the policy
    reference lists them); any other name would be a rule nobody enforces.
    """
    rules = context.catalog.policies.rules
    for name, template in context.platform.policy.templates.items():
        for index, rule in enumerate(template.policies):
            if rule.name not in rules:
                yield emit(
                    f"policy template {name!r} names {rule.name!r}, which is not a policy "
                    "Stackyard renders",
                    ("policy", "templates", name, "policies", index, "name"),
                    hint=_did_you_mean(rule.name, rules, "policies"),
                )


@check("SY973", "Policy assignment matches no cluster", "info")
def assignment_matches_nothing(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Policy assignment matches no cluster.

    An assignment whose ``matchLabels`` no cluster's ``labels`` all carry chooses nothing;
    usually a label typo, which leaves the clusters it was meant for on another template.
    A cluster with its own ``policyTemplate`` still counts as matched.
    """
    platform = context.platform
    for index, assignment in enumerate(platform.policy.assignments):
        if not any(assignment.matches(c.labels) for c in platform.clusters):
            wanted = ", ".join(f"{k}={v}" for k, v in sorted(assignment.matchLabels.items()))
            yield emit(
                f"no cluster carries the labels {wanted}, so template "
                f"{assignment.template!r} is assigned to none",
                ("policy", "assignments", index, "matchLabels"),
                hint="fix the labels here or on the clusters (clusters[].labels)",
            )
