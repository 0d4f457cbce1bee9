"""The policy section's templates and assignments, each mistake reported at its line."""

from __future__ import annotations

import pytest

from stackyard.errors import Problem, SpecError
from stackyard.spec import load_spec_text


def problems(text: str) -> list[Problem]:
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "platform.yaml")
    return info.value.problems


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_templates_and_assignments_load(minimal_text: str) -> None:
    text = minimal_text + (
        "policy:\n  templates:\n    pci:\n      podSecurity: {enforce: restricted}\n"
        "      policies: [{name: require-network-policy, action: enforce}]\n"
        "  assignments:\n    - {matchLabels: {tier: pci}, template: pci}\n"
    )
    policy = load_spec_text(text, "platform.yaml").platform.policy
    pci = policy.templates["pci"]
    assert (pci.podSecurity.audit, pci.podSecurity.warn) == ("restricted", "restricted")
    assert pci.policies[0].action == "enforce"
    assert policy.assignments[0].matches({"tier": "pci", "zone": "a"})
    assert not policy.assignments[0].matches({"zone": "a"})


def test_an_unknown_pod_security_level_is_refused_at_its_line(minimal_text: str) -> None:
    text = minimal_text + "policy:\n  templates:\n    pci:\n      podSecurity: {enforce: strict}\n"
    (problem,) = problems(text)
    assert problem.field == "policy.templates.pci.podSecurity.enforce"
    assert problem.location.line == line_of(text, "podSecurity")


def test_a_policy_named_twice_in_a_template_is_refused(minimal_text: str) -> None:
    text = minimal_text + (
        "policy:\n  templates:\n    pci:\n      podSecurity: {enforce: restricted}\n"
        "      policies: [{name: disallow-latest-tag}, {name: disallow-latest-tag}]\n"
    )
    (problem,) = problems(text)
    assert "'disallow-latest-tag' is given twice" in problem.message


def test_a_template_name_must_be_a_dns_label(minimal_text: str) -> None:
    text = (
        minimal_text
        + "policy:\n  templates:\n    PCI_strict:\n      podSecurity: {enforce: baseline}\n"
    )
    (problem,) = problems(text)
    assert "'PCI_strict' is not a DNS label" in problem.message


def test_assignment_labels_must_be_kubernetes_labels(minimal_text: str) -> None:
    text = (
        minimal_text
        + "policy:\n  assignments:\n    - {matchLabels: {'bad key!': x}, template: baseline}\n"
    )
    (problem,) = problems(text)
    assert problem.field.startswith("policy.assignments[0].matchLabels")
    assert "not a valid Kubernetes label name" in problem.message
