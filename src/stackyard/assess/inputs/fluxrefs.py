"""What a Flux HelmRelease points at: its chart's source and the objects its values come from.

A HelmRelease rarely names its chart and values in one place. helm-controller reads
(https://fluxcd.io/flux/components/helm/helmreleases/):

- the chart from ``spec.chart.spec`` (``chart`` plus a ``sourceRef`` to a
  ``HelmRepository``, ``GitRepository`` or ``Bucket``) or from ``spec.chartRef`` (an
  ``OCIRepository`` whose URL ends with the chart's name, or a ``HelmChart``);
- values from ``spec.valuesFrom`` — ConfigMaps and Secrets, each at ``valuesKey``
  (default ``values.yaml``), merged at the root or, with ``targetPath``, as one value at
  that dotted path — in order, then ``spec.values`` over all of them.

References without a namespace mean the HelmRelease's own. The same fields hold in the
``v2beta1``, ``v2beta2`` and ``v2`` APIs (``chartRef`` only from ``v2beta2``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from stackyard.assess.inputs.located import as_list, as_mapping
from stackyard.assess.inputs.objects import KubeObject
from stackyard.assess.model import Evidence

DEFAULT_VALUES_KEY = "values.yaml"


@dataclass(frozen=True)
class FluxRef:
    """A reference from a HelmRelease to another Flux object."""

    kind: str
    name: str
    namespace: str
    evidence: Evidence


@dataclass(frozen=True)
class ValuesFrom:
    """One ``spec.valuesFrom`` entry: a ConfigMap or Secret key, merged at ``target_path``."""

    kind: str  # ConfigMap or Secret
    name: str
    namespace: str
    values_key: str
    target_path: tuple[str, ...]  # empty: merged at the root
    evidence: Evidence


@dataclass(frozen=True)
class FluxChart:
    """Where a HelmRelease's chart comes from, and where its values come from, in order."""

    chart: str  # spec.chart.spec.chart as written: a name, or a path in a GitRepository
    source: FluxRef | None  # spec.chart.spec.sourceRef
    chart_ref: FluxRef | None  # spec.chartRef
    values_from: tuple[ValuesFrom, ...]


def flux_chart(obj: KubeObject) -> FluxChart:
    """The chart source and values references of a HelmRelease ``obj``."""
    namespace = obj.namespace
    chart = str(obj.get("spec", "chart", "spec", "chart") or "")
    source = _ref(obj, ("spec", "chart", "spec", "sourceRef"), namespace)
    chart_ref = _ref(obj, ("spec", "chartRef"), namespace)
    values_from = []
    for i, entry in enumerate(as_list(obj.get("spec", "valuesFrom"))):
        if not isinstance(entry, Mapping) or not entry.get("name"):
            continue
        target = str(entry.get("targetPath") or "")
        values_from.append(
            ValuesFrom(
                kind=str(entry.get("kind") or "ConfigMap"),
                name=str(entry["name"]),
                namespace=namespace,
                values_key=str(entry.get("valuesKey") or DEFAULT_VALUES_KEY),
                target_path=tuple(p for p in target.split(".") if p),
                evidence=obj.evidence("spec", "valuesFrom", i),
            )
        )
    return FluxChart(chart, source, chart_ref, tuple(values_from))


def _ref(obj: KubeObject, path: tuple[str, ...], namespace: str) -> FluxRef | None:
    ref = as_mapping(obj.get(*path))
    if not ref.get("name"):
        return None
    return FluxRef(
        kind=str(ref.get("kind") or ""),
        name=str(ref["name"]),
        namespace=str(ref.get("namespace") or namespace),
        evidence=obj.evidence(*path),
    )
