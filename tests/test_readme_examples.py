"""The README's table of examples says what `stackyard plan` says of each example.

Each row of the table under "## Examples" names a spec and states its edition, provider,
Kubernetes distribution and version, its clusters with their node counts (control plane
+ workers), and in prose the components it runs. A README that describes a plan the spec
does not produce misleads the reader who picks an example from it, so every stated fact
is compared with the loaded spec and its plan, and every catalog component the prose
names must be planned (on app clusters only, or on mgmt, where the prose says so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from stackyard.catalog import Component, load_catalog
from stackyard.plan import Plan, make_plan
from stackyard.spec.load import load_spec

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
EXAMPLES = ROOT / "examples"

_CLUSTER = re.compile(r"^(?P<name>[a-z0-9-]+) (?P<control>\d+)\+(?P<workers>\d+)$")


@dataclass(frozen=True)
class ExampleRow:
    """One row of the README's examples table."""

    spec: str
    edition: str
    provider: str
    kubernetes: str
    clusters: str
    description: str


def readme_rows() -> dict[str, ExampleRow]:
    """The examples table of the README, keyed by spec path."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Examples", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, ExampleRow] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 6 or not cells[0].startswith("`examples/"):
            continue
        row = ExampleRow(cells[0].strip("`"), *cells[1:])
        rows[row.spec] = row
    return rows


ROWS = readme_rows()


def mention_phrases(component: Component) -> set[str]:
    """The ways prose names a catalog component: its name, title and their short forms."""
    title = re.sub(r"\s*\(.*\)$", "", component.title)
    phrases = {
        component.name,
        component.name.replace("-", " "),
        title,
        re.sub(r" Operator$", "", title),
        re.sub(r"^Cilium ", "", title),
        re.sub(r"-operator$", "", component.name),
    }
    return {phrase.lower() for phrase in phrases if phrase}


def mentions(text: str) -> list[set[str]]:
    """What ``text`` names: per phrase found, the catalog components it may mean.

    A phrase may fit several entries ("ingress-nginx" is the public and the internal
    controller); the prose is right when any of them is planned.
    """
    by_phrase: dict[str, set[str]] = {}
    for component in load_catalog():
        for phrase in mention_phrases(component):
            by_phrase.setdefault(phrase, set()).add(component.name)
    found: list[set[str]] = []
    for phrase, names in by_phrase.items():
        pattern = rf"(?<![\w-]){re.escape(phrase)}(?![\w-])"
        if re.search(pattern, text, re.IGNORECASE) and names not in found:
            found.append(names)
    return found


def clusters_running(plan: Plan, component: str) -> set[str]:
    """Roles of the clusters on which ``component`` is planned."""
    return {cluster.cluster.role for cluster in plan.clusters if cluster.has(component)}


def planned(plan: Plan, names: set[str]) -> set[str]:
    """Which of ``names`` the plan runs anywhere."""
    return {name for name in names if clusters_running(plan, name)}


def test_every_example_has_a_row_and_every_row_an_example() -> None:
    specs = {f"examples/{path.name}" for path in EXAMPLES.glob("*.yaml")}
    assert set(ROWS) == specs


@pytest.mark.parametrize("spec", sorted(ROWS))
def test_row_states_the_spec_edition_provider_and_kubernetes(spec: str) -> None:
    row = ROWS[spec]
    platform = load_spec(ROOT / spec).platform
    assert row.edition == platform.edition
    assert row.provider == platform.provider
    kubernetes = platform.kubernetes
    assert row.kubernetes == f"{kubernetes.distribution} {kubernetes.version}"


@pytest.mark.parametrize("spec", sorted(ROWS))
def test_row_states_the_clusters_and_their_nodes(spec: str) -> None:
    stated: list[tuple[str, int, int]] = []
    for entry in ROWS[spec].clusters.split(","):
        match = _CLUSTER.match(entry.strip())
        assert match, f"{spec}: cluster entry {entry!r} is not 'name control+workers'"
        stated.append((match["name"], int(match["control"]), int(match["workers"])))
    actual = [
        (
            cluster.name,
            sum(pool.count for pool in cluster.nodePools if pool.role == "control-plane"),
            sum(pool.count for pool in cluster.nodePools if pool.role != "control-plane"),
        )
        for cluster in load_spec(ROOT / spec).platform.clusters
    ]
    assert stated == actual


@pytest.mark.parametrize("spec", sorted(ROWS))
def test_every_component_the_row_names_is_planned(spec: str) -> None:
    plan = make_plan(load_spec(ROOT / spec))
    named = mentions(ROWS[spec].description)
    assert named, f"{spec}: the description names no component"
    missing = sorted(sorted(names) for names in named if not planned(plan, names))
    assert not missing, f"{spec}: README names components the plan does not run: {missing}"


@pytest.mark.parametrize("spec", sorted(ROWS))
def test_placements_the_row_states_are_the_plans(spec: str) -> None:
    plan = make_plan(load_spec(ROOT / spec))
    description = ROWS[spec].description
    for phrase in re.findall(r"([\w ,+-]+?) on app clusters only", description):
        for names in mentions(phrase):
            for name in planned(plan, names):
                assert clusters_running(plan, name) == {"app"}, f"{spec}: {name}"
    for phrase in re.findall(r"([\w-]+) on mgmt\b", description):
        for names in mentions(phrase):
            assert any("mgmt" in clusters_running(plan, name) for name in names), spec


def test_a_wrong_description_is_caught() -> None:
    """The comparison can fail: components the plan does not run are found missing."""
    plan = make_plan(load_spec(EXAMPLES / "community-poc.yaml"))
    named = mentions("Canal, Keycloak and Vault")
    assert {"canal"} in named and {"keycloak"} in named
    missing = sorted(sorted(names) for names in named if not planned(plan, names))
    assert missing == [["keycloak"], ["vault"]]
