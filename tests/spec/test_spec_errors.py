"""Spec errors name file, line, column and field, and suggest the nearest valid choice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from stackyard.errors import Problem, SpecError, YamlError
from stackyard.spec import load_spec, load_spec_text


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "platform.yaml")
    return info.value.problems


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_minimal_spec_loads(minimal_text: str) -> None:
    spec = load_spec_text(minimal_text, "platform.yaml")
    assert spec.platform.clusters[0].name == "one"
    assert spec.platform.kubernetes.semver == "1.35.0"


def test_typo_in_a_key_names_line_and_suggests_the_key(minimal_text: str) -> None:
    text = minimal_text.replace("    nodePools:", "    nodePool:")
    problems = problems_of(text)
    problem = next(p for p in problems if p.field == "clusters[0].nodePool")
    assert problem.location.line == line_of(text, "nodePool:")
    assert problem.location.column == 5
    assert "unknown key 'nodePool'" in problem.message
    assert problem.hint == "did you mean 'nodePools'?"
    assert any("required" in p.message and p.field == "clusters[0].nodePools" for p in problems)


def test_typo_in_a_value_suggests_the_nearest_choice(minimal_text: str) -> None:
    text = minimal_text.replace("edition: standard", "edition: standrad")
    (problem,) = problems_of(text)
    assert problem.field == "edition"
    assert (problem.location.line, problem.location.column) == (4, 10)
    assert "community, standard, enterprise" in problem.message
    assert problem.hint == "did you mean 'standard'?"


def test_unknown_top_level_key_without_close_match_lists_valid_keys(minimal_text: str) -> None:
    text = minimal_text + "zzz: 1\n"
    (problem,) = problems_of(text)
    assert problem.field == "zzz"
    assert "valid keys here" in problem.hint
    assert "clusters" in problem.hint


def test_unquoted_version_asks_for_quotes(minimal_text: str) -> None:
    text = minimal_text.replace('version: "1.35"', "version: 1.30")
    (problem,) = problems_of(text)
    assert problem.field == "kubernetes.version"
    assert "quote the version" in problem.message


def test_bad_cidr_is_located(minimal_text: str) -> None:
    text = minimal_text.replace("podCIDR: 10.42.0.0/16", "podCIDR: 10.42.0.0/33")
    (problem,) = problems_of(text)
    assert problem.field == "clusters[0].network.podCIDR"
    assert problem.location.line == line_of(text, "podCIDR")


def test_backwards_range_is_refused(minimal_text: str) -> None:
    text = minimal_text.replace("10.10.0.10-10.10.0.99", "10.10.0.99-10.10.0.10")
    (problem,) = problems_of(text)
    assert "run upwards" in problem.message


def test_bad_quantity_and_duration_are_explained(minimal_text: str) -> None:
    text = (
        minimal_text.replace("memory: 32Gi}", "memory: 32GB}", 1)
        + "secrets:\n  refreshInterval: 60\n"
    )
    problems = problems_of(text)
    fields = {p.field: p.message for p in problems}
    assert "not a quantity" in fields["clusters[0].nodePools[0].memory"]
    assert "with its unit" in fields["secrets.refreshInterval"]


def test_all_problems_are_reported_at_once(minimal_text: str) -> None:
    text = minimal_text.replace("edition: standard", "edition: x").replace(
        "role: standalone", "role: y"
    )
    assert {p.field for p in problems_of(text)} == {"edition", "clusters[0].role"}


def test_duplicate_cluster_names_point_at_the_second(minimal_text: str) -> None:
    cluster = minimal_text[minimal_text.index("  - name: one") :]
    text = minimal_text + cluster.replace("standalone", "app")
    (problem,) = problems_of(text)
    assert problem.field == "clusters[1].name"
    assert problem.location.line > line_of(text, "- name: one")


def test_tenant_on_unknown_cluster_is_refused(minimal_text: str) -> None:
    text = minimal_text + "tenants:\n  - name: t\n    clusters: [one, tow]\n"
    (problem,) = problems_of(text)
    assert problem.field == "tenants[0].clusters[1]"
    assert "unknown cluster 'tow'" in problem.message


def test_provider_aws_requires_region(minimal_text: str) -> None:
    text = minimal_text.replace("provider: onprem", "provider: aws")
    (problem,) = problems_of(text)
    assert "aws" in problem.message and problem.location.line == 5


def test_gitops_path_cannot_escape_the_repository(minimal_text: str) -> None:
    text = minimal_text.replace(
        "  repoURL: https://git.example.com/p.git", "  repoURL: x\n  path: ../../etc"
    )
    (problem,) = problems_of(text)
    assert problem.field == "gitops.path"


def test_cluster_names_must_be_dns_labels(minimal_text: str) -> None:
    text = minimal_text.replace("- name: one", "- name: ../one")
    (problem,) = problems_of(text)
    assert problem.field == "clusters[0].name"


def test_a_spec_that_is_a_list_is_refused() -> None:
    with pytest.raises(SpecError, match="mapping"):
        load_spec_text("- a\n- b\n", "platform.yaml")


def test_unsafe_yaml_in_a_spec_is_a_yaml_error(write_file: Callable[[str, str], Path]) -> None:
    path = write_file("platform.yaml", "name: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(YamlError, match="not allowed"):
        load_spec(path)


def test_several_documents_in_a_spec_are_refused(write_file: Callable[[str, str], Path]) -> None:
    path = write_file("platform.yaml", "a: 1\n---\nb: 2\n")
    with pytest.raises(YamlError, match=r"platform.yaml:3:1: expected one YAML document"):
        load_spec(path)


def test_an_empty_spec_is_refused_with_the_keys_it_needs(
    write_file: Callable[[str, str], Path],
) -> None:
    with pytest.raises(SpecError, match=r"platform.yaml:1:1: expected a mapping, found nothing"):
        load_spec(write_file("platform.yaml", ""))


@pytest.mark.parametrize(
    "label",
    ["{bad key: x}", "{team: 'has space'}", "{Example.COM/x: y}", "{x: " + "a" * 64 + "}"],
)
def test_cluster_labels_must_be_kubernetes_labels(minimal_text: str, label: str) -> None:
    text = minimal_text.replace(
        "    role: standalone\n", f"    role: standalone\n    labels: {label}\n"
    )
    (problem,) = problems_of(text)
    assert problem.field == "clusters[0].labels"
    assert problem.location.line == line_of(text, "labels:")


def test_valid_cluster_labels_load(minimal_text: str) -> None:
    text = minimal_text.replace(
        "    role: standalone\n",
        "    role: standalone\n    labels: {example.com/tier: gold, env: prod}\n",
    )
    assert load_spec_text(text, "platform.yaml").platform.clusters[0].labels["env"] == "prod"
