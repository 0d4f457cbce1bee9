"""Which dependencies of an umbrella chart Helm installs: ``condition`` and ``tags``.

A chart kept in the repository often wraps published charts as ``Chart.yaml``
dependencies, each switched by values. Helm decides, against the umbrella's merged
values (its ``values.yaml``, then the release's value files and inline values), as
``processDependencyEnabled`` does
(https://helm.sh/docs/topics/charts/#tags-and-condition-fields-in-dependencies):

- every dependency starts enabled;
- ``tags``: when ``tags.<name>`` of any of its tags is ``true`` it is enabled, when
  none is true and one is ``false`` it is disabled;
- ``condition``: comma-separated YAML paths; the first that resolves to a boolean
  decides, and overrides the tags. A path that is missing, or holds anything but a
  boolean, is skipped (Helm warns), so a condition nothing sets leaves the dependency on.

A dependency switched off is not installed: its values do not count, its components
are not detected, and what its chart runs by default does not run. A condition whose
value is a placeholder (``{{ .values.monitoring }}`` an ApplicationSet does not resolve,
``${VAR}``) is known only at run time: it is said in a notice and read as Helm's default, enabled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from stackyard.assess.inputs.located import Hit, Located, as_list
from stackyard.assess.inputs.templating import INLINE, UNKNOWN
from stackyard.assess.model import Evidence

Lookup = Callable[..., Hit | None]


@dataclass(frozen=True)
class Dependency:
    """One ``Chart.yaml`` dependency: the values key it reads, its chart and switches."""

    key: str  # its alias, or its name
    chart: str  # canonical chart name
    conditions: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    evidence: Evidence | None = None  # the dependency entry in Chart.yaml


@dataclass(frozen=True)
class Decision:
    """Whether Helm installs a dependency, and what decided it."""

    enabled: bool
    by: Hit | None = None  # the condition or tag value that decided (None: the default)
    unknown: str = ""  # a condition path whose value is known only at run time


def dependencies(chart: Located, canonical: Callable[[str], str]) -> tuple[Dependency, ...]:
    """The dependencies a ``Chart.yaml`` declares (entries without a name are skipped)."""
    found = []
    for i, entry in enumerate(as_list(chart.get("dependencies"))):
        if not isinstance(entry, Mapping) or not entry.get("name"):
            continue
        condition = str(entry.get("condition") or "")
        found.append(
            Dependency(
                str(entry.get("alias") or entry["name"]),
                canonical(str(entry["name"])),
                tuple(c.strip() for c in condition.split(",") if c.strip()),
                tuple(str(t) for t in as_list(entry.get("tags"))),
                chart.evidence("dependencies", i, text=f"- name: {entry['name']}"),
            )
        )
    return tuple(found)


def decide(dependency: Dependency, lookup: Lookup) -> Decision:
    """Whether Helm installs ``dependency`` given the umbrella's merged values."""
    decision = Decision(True)
    tagged = [(t, lookup("tags", t)) for t in dependency.tags]
    true = next((hit for _, hit in tagged if hit is not None and hit.value is True), None)
    false = next((hit for _, hit in tagged if hit is not None and hit.value is False), None)
    if true is not None:
        decision = Decision(True, true)
    elif false is not None:
        decision = Decision(False, false)
    for path in dependency.conditions:
        hit = lookup(*path.split("."))
        if hit is None:
            continue
        if isinstance(hit.value, bool):
            return Decision(hit.value, hit)
        if _placeholder(hit.value):
            return Decision(True, hit, path)
    return decision


def _placeholder(value: object) -> bool:
    return isinstance(value, str) and (
        UNKNOWN in value or "{{" in value or "${" in value or value == INLINE
    )
