"""Which Helm chart a name means, and which sub-chart a key of an umbrella chart feeds.

Repositories name the same chart many ways (``keycloakx`` and ``keycloak``,
``teleport-cluster``, ``mimir-distributed``) and nest charts inside umbrellas
(kube-prometheus-stack carries Grafana's values under ``grafana:``). Detectors ask
for one canonical name — "the grafana values" — and get them wherever they were
written: an Argo CD Application's inline values, a values file, or the ``grafana:``
block of a kube-prometheus-stack release. The names, sub-charts and defaults are data
(``assess/data/charts.yaml``, read through ``chartfacts``): adding a chart is adding
an entry there.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from stackyard.assess.inputs.chartfacts import ChartFamily, Component, Role, load_chart_facts


@cache
def _by_name() -> dict[str, ChartFamily]:
    return {
        name: family
        for family in load_chart_facts().charts
        for name in (family.name, *family.aliases)
    }


def family(canonical: str) -> ChartFamily | None:
    """The facts known about chart ``canonical`` (None for charts the data does not list)."""
    return _by_name().get(canonical)


@cache
def charts_with_role(role: Role) -> tuple[str, ...]:
    """Every name (canonical and aliases) of the charts that play ``role``, in data order."""
    return tuple(
        name
        for family in load_chart_facts().charts
        if role in family.roles
        for name in (family.name, *family.aliases)
    )


def canonical_chart(name: str) -> str:
    """The canonical name of chart ``name`` (unknown charts keep their own name)."""
    clean = name.strip().rstrip("/").rsplit("/", 1)[-1].lower()
    known = _by_name().get(clean)
    return known.name if known else clean


def is_known_chart(name: str) -> bool:
    """Whether ``name`` is a chart the detectors read (after canonicalisation)."""
    return name.strip().lower() in _by_name()


def components(canonical: str) -> tuple[Component, ...]:
    """The parts of an umbrella chart that its values keys configure."""
    known = _by_name().get(canonical)
    return known.components if known else ()


def subcharts(canonical: str) -> Mapping[str, str]:
    """Values keys of an umbrella chart that configure another chart, by canonical name."""
    return {c.key: c.chart for c in components(canonical)}


def runs_workloads(canonical: str) -> bool:
    """Whether a chart runs pods (policy-only charts do not, so they set no resources)."""
    known = _by_name().get(canonical)
    return known.workloads if known else True


def chart_from_filename(stem: str) -> str | None:
    """The chart a values file is named after (``grafana``, ``grafana-values``...)."""
    name = stem.lower()
    for prefix in ("values-", "values_", "values."):
        name = name.removeprefix(prefix)
    for suffix in ("-values", "_values", ".values"):
        name = name.removesuffix(suffix)
    return canonical_chart(name) if is_known_chart(name) else None
