"""What a Helm chart does when its values say nothing, as checked data.

A repository that installs ``loki-stack`` with no values runs Promtail; one that installs
``kube-prometheus-stack`` runs Grafana and Alertmanager; Kyverno's pods carry requests and
limits nobody wrote. The assessment can only see that if it knows the chart. Those facts
are data (``assess/data/charts.yaml``), one entry per chart family, each with the version
range it holds for and the upstream file that proves it, validated against the schema
below when loaded: a malformed entry is a packaging bug and fails loudly, as a malformed
maturity model does.

Policy: a fact applies to a release only when the release does not pin a chart version
outside the family's range (an unpinned or unreadable version gets the facts: the range
covers the versions people install), and never to a release rendered with ``--charts``,
whose rendered objects are the ground truth.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from importlib import resources
from typing import Literal

import semantic_version
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from stackyard.errors import StackyardError, YamlError
from stackyard.yamlio import load_yaml_text

_NAME = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_PATH = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$"
_SOURCE = r"^https://github\.com/[^/]+/[^/]+/blob/[^/]+/.+"


class ChartFactsError(StackyardError):
    """The packaged chart facts break their schema (a packaging bug, not user input)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Component(_Strict):
    """A values key that configures a sub-chart or a built-in part of an umbrella chart."""

    key: str = Field(min_length=1)
    chart: str = Field(pattern=_NAME)
    enabled_by: str | None = Field(default=None, alias="enabledBy", pattern=_PATH)
    default: bool = True

    @property
    def switch(self) -> tuple[str, ...]:
        """The values path of the switch (empty when the component is always on)."""
        return tuple(self.enabled_by.split(".")) if self.enabled_by else ()


class ResourceSlot(_Strict):
    """Where a chart reads one container's resources, and in which shape."""

    path: str = Field(pattern=_PATH)
    shape: Literal["requirements", "cpu-memory", "per-resource"] = "requirements"


class DefaultResources(_Strict):
    """What the chart's pods get when the values set no resources."""

    requests: bool
    limits: bool
    via: str | None = Field(default=None, pattern=_PATH)

    @property
    def switch(self) -> tuple[str, ...]:
        """The values path whose ``none`` or ``{}`` turns the default off."""
        return tuple(self.via.split(".")) if self.via else ()


# What a chart is, for the detectors that look for one kind of component: they read the
# chart names with a role from the data instead of keeping their own lists.
Role = Literal["log-store", "log-agent", "metrics-collector", "ingress-controller"]


class ChartFamily(_Strict):
    """One chart, the names it goes by, and what it does by default."""

    name: str = Field(pattern=_NAME)
    aliases: tuple[str, ...] = ()
    workloads: bool = True
    versions: str = "*"
    source: str | None = Field(default=None, pattern=_SOURCE)
    components: tuple[Component, ...] = ()
    resources: tuple[ResourceSlot, ...] = ()
    default_resources: DefaultResources | None = Field(default=None, alias="defaultResources")
    replicas: tuple[str, ...] = ()
    persistence: tuple[str, ...] = ()
    roles: tuple[Role, ...] = ()

    @field_validator("versions")
    @classmethod
    def _range(cls, value: str) -> str:
        try:
            semantic_version.NpmSpec(value)
        except ValueError as e:
            raise ValueError(f"versions {value!r} is not a version range: {e}") from e
        return value

    @model_validator(mode="after")
    def _sourced(self) -> ChartFamily:
        facts = (
            self.components,
            self.resources,
            self.default_resources,
            self.replicas,
            self.persistence,
        )
        if any(facts) and self.source is None:
            raise ValueError(f"chart {self.name}: facts without a source")
        keys = [c.key for c in self.components]
        if len(keys) != len(set(keys)):
            raise ValueError(f"chart {self.name}: a component key is listed twice")
        return self

    def holds_for(self, version: str) -> bool:
        """Whether the facts hold for ``version`` (unknown, ranged or unreadable: yes)."""
        clean = version.strip().lstrip("vV")
        if not re.fullmatch(r"\d+(\.\d+){0,2}([-+][\w.-]*)?", clean):
            return True  # empty, a range (``2.*``, ``^2.10``), a branch or a template
        parsed = semantic_version.Version.coerce(clean).truncate()
        return parsed in semantic_version.NpmSpec(self.versions)


class ChartFacts(_Strict):
    """Every chart family the assessment knows."""

    charts: tuple[ChartFamily, ...]

    @model_validator(mode="after")
    def _unique(self) -> ChartFacts:
        names = Counter(n for c in self.charts for n in (c.name, *c.aliases))
        twice = sorted(n for n, k in names.items() if k > 1)
        if twice:
            raise ValueError(f"chart names listed twice: {', '.join(twice)}")
        return self


def parse_chart_facts(text: str, source: str) -> ChartFacts:
    """Validate chart facts from YAML text.

    Raises:
        ChartFactsError: the text is not YAML or breaks the schema.
    """
    try:
        return ChartFacts.model_validate(load_yaml_text(text, source).data)
    except (YamlError, ValidationError) as e:
        raise ChartFactsError(f"{source}: {e}") from e


@cache
def load_chart_facts() -> ChartFacts:
    """The packaged chart facts."""
    resource = resources.files("stackyard.assess") / "data" / "charts.yaml"
    return parse_chart_facts(
        resource.read_text(encoding="utf-8"), "stackyard/assess/data/charts.yaml"
    )
