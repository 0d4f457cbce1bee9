"""Hostile text and numbers in a spec are refused at their line, naming the field."""

from __future__ import annotations

import pytest

from stackyard.errors import Problem, SpecError
from stackyard.spec import load_spec_text
from stackyard.spec.units import parse_duration, parse_quantity


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "platform.yaml")
    return info.value.problems


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


CLUSTER_ROLE = "    role: standalone\n"


@pytest.mark.parametrize(
    ("old", "new", "field", "needle"),
    [
        ("domain: p.example.com", 'domain: "p.example.com\\n"', "domain", "domain:"),
        ("domain: p.example.com", 'domain: " p.example.com"', "domain", "domain:"),
        ("domain: p.example.com", 'domain: "p.exam\\u200bple.com"', "domain", "domain:"),
        ("name: minimal", 'name: "minimal\\t"', "name", 'name: "minimal'),
        ("  - name: one", '  - name: "one "', "clusters[0].name", 'name: "one '),
        ("{name: cp,", '{name: "cp\\r",', "clusters[0].nodePools[0].name", "cp\\r"),
        (
            "  repoURL: https://git.example.com/p.git",
            '  repoURL: "https://git.example.com/p.git\\n"',
            "gitops.repoURL",
            "repoURL",
        ),
        (
            "  repoURL: https://git.example.com/p.git",
            '  repoURL: https://git.example.com/p.git\n  path: "envs/\\u0000prod"',
            "gitops.path",
            "path:",
        ),
        (
            "  repoURL: https://git.example.com/p.git",
            '  repoURL: https://git.example.com/p.git\n  path: "envs/prod "',
            "gitops.path",
            "path:",
        ),
        (
            CLUSTER_ROLE,
            CLUSTER_ROLE + '    labels:\n      env: "prod\\n"\n',
            "clusters[0].labels.env",
            "env:",
        ),
    ],
)
def test_text_with_whitespace_or_control_characters_is_refused_at_its_line(
    minimal_text: str, old: str, new: str, field: str, needle: str
) -> None:
    text = minimal_text.replace(old, new, 1)
    (problem,) = problems_of(text)
    assert problem.field == field
    assert problem.location.line == line_of(text, needle)
    assert "whitespace" in problem.message or "control character" in problem.message


def test_a_label_key_with_a_trailing_space_is_located_at_the_key(minimal_text: str) -> None:
    text = minimal_text.replace(CLUSTER_ROLE, CLUSTER_ROLE + '    labels:\n      "env ": prod\n')
    (problem,) = problems_of(text)
    assert (problem.location.line, problem.location.column) == (line_of(text, '"env "'), 7)
    assert "leading or trailing whitespace" in problem.message


def test_a_tenant_namespace_with_a_newline_is_refused(minimal_text: str) -> None:
    text = minimal_text.replace("edition: standard", "edition: enterprise") + (
        'tenants:\n  - name: team\n    clusters: [one]\n    namespaces: ["team-a\\n"]\n'
    )
    (problem,) = problems_of(text)
    assert problem.field == "tenants[0].namespaces[0]"
    assert problem.location.line == line_of(text, "namespaces:")


HUGE = "9" * 400


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        ("count: 2,", "count: .inf,", "clusters[0].nodePools[1].count", "finite"),
        ("count: 2,", "count: -1,", "clusters[0].nodePools[1].count", "greater than"),
        ("count: 2,", "count: true,", "clusters[0].nodePools[1].count", "not true"),
        ("count: 2,", f"count: {HUGE},", "clusters[0].nodePools[1].count", "less than"),
        ("cpu: 8,", "cpu: .nan,", "clusters[0].nodePools[0].cpu", "not .nan"),
        ("cpu: 8,", "cpu: .inf,", "clusters[0].nodePools[0].cpu", "too large"),
        ("cpu: 8,", "cpu: -2,", "clusters[0].nodePools[0].cpu", "negative"),
        ("cpu: 8,", "cpu: 0,", "clusters[0].nodePools[0].cpu", "zero"),
        ("memory: 32Gi", "memory: -4Gi", "clusters[0].nodePools[0].memory", "negative"),
        ("memory: 32Gi", f"memory: {HUGE}Gi", "clusters[0].nodePools[0].memory", "too large"),
        ("memory: 32Gi", f"memory: {HUGE}", "clusters[0].nodePools[0].memory", "too large"),
        ("memory: 32Gi", "memory: 2048Ei", "clusters[0].nodePools[0].memory", "quantity"),
        ("memory: 32Gi", "memory: 2000000Ti", "clusters[0].nodePools[0].memory", "over 1Ei"),
    ],
)
def test_hostile_numbers_in_node_pools_are_refused_at_their_line(
    minimal_text: str, old: str, new: str, field: str, words: str
) -> None:
    text = minimal_text.replace(old, new, 1)
    (problem,) = problems_of(text)
    assert problem.field == field
    assert problem.location.line == line_of(text, new)
    assert words in problem.message
    assert len(problem.message) < 200  # a 400-digit number is shortened, not echoed


@pytest.mark.parametrize(
    ("section", "field", "words"),
    [
        ("slo:\n  availability: .nan\n", "slo.availability", "finite"),
        ("slo:\n  availability: .inf\n", "slo.availability", "finite"),
        ("slo:\n  availability: 100\n", "slo.availability", "less than 100"),
        ("slo:\n  availability: true\n", "slo.availability", "not true"),
        ("slo:\n  availability: -5\n", "slo.availability", "greater than 0"),
        ("slo:\n  rto: 0\n", "slo.rto", "zero"),
        (f"slo:\n  rto: {HUGE}h\n", "slo.rto", "too long"),
        (f"slo:\n  rpo: {HUGE}d\n", "slo.rpo", "too long"),
        ("slo:\n  rpo: 400d\n", "slo.rpo", "over a year"),
        ("slo:\n  rto: .inf\n", "slo.rto", "bare number"),
        ("slo:\n  rto: -1h\n", "slo.rto", "not a duration"),
        (f"observability:\n  walRetention: {HUGE}h\n", "observability.walRetention", "too long"),
        ("secrets:\n  refreshInterval: 1e400h\n", "secrets.refreshInterval", "not a duration"),
    ],
)
def test_hostile_durations_and_percentages_are_refused_at_their_line(
    minimal_text: str, section: str, field: str, words: str
) -> None:
    text = minimal_text + section
    (problem,) = problems_of(text)
    assert problem.field == field
    assert problem.location.line == len(minimal_text.splitlines()) + 2
    assert words in problem.message


def test_hostile_host_and_quota_numbers_are_refused(minimal_text: str) -> None:
    text = (
        minimal_text.replace("edition: standard", "edition: enterprise")
        + "tenants:\n  - name: team\n    clusters: [one]\n    quota: {cpu: 0, memory: -1Gi}\n"
    )
    problems = problems_of(text)
    assert {p.field for p in problems} == {"tenants[0].quota.cpu", "tenants[0].quota.memory"}
    assert all(p.location.line == line_of(text, "quota:") for p in problems)


def test_parsers_refuse_what_no_arithmetic_should_see() -> None:
    with pytest.raises(ValueError, match="too long"):
        parse_duration(f"{HUGE}h")
    with pytest.raises(ValueError, match="too large"):
        parse_quantity(int(HUGE))
    with pytest.raises(ValueError, match="nan"):
        parse_quantity(float("nan"))
    with pytest.raises(ValueError, match="negative"):
        parse_quantity("-500m")
    assert parse_quantity("500m") == 0.5
    assert parse_duration("2h40m") == 9600


@pytest.mark.parametrize("version", ["1." + "9" * 5000, "١.٣٥", "1.1234567890", "1.35.2.1"])
def test_a_kubernetes_version_is_ascii_with_short_parts(minimal_text: str, version: str) -> None:
    old = next(line for line in minimal_text.splitlines() if "version:" in line)
    text = minimal_text.replace(old, f'  version: "{version}"', 1)
    (problem,) = problems_of(text)
    assert problem.field == "kubernetes.version"
    assert problem.location.line == line_of(text, "version:")
