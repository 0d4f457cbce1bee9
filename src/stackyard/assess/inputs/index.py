"""The typed facts of one repository, and the questions detectors ask of them.

The index is what remains after streaming the repository: the objects some detector
reads, a compact record per workload, every release with its values layers, the
Terraform blocks, node bootstrap settings and CI/script texts. Detectors never see
files; they ask the index ("the grafana values, wherever they are written", "every
NetworkPolicy", "each line of CI that runs cosign") and cite the evidence it returns.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from stackyard.assess.inputs.appsets import ApplicationSetFacts
from stackyard.assess.inputs.chartfacts import Component
from stackyard.assess.inputs.charts import components, family
from stackyard.assess.inputs.distribution import DistributionSign, ordered
from stackyard.assess.inputs.located import Hit, Located, PathKey, as_mapping
from stackyard.assess.inputs.nodeconfig import NodeSetting
from stackyard.assess.inputs.objects import KubeObject, Workload
from stackyard.assess.inputs.releases import Release, ValuesLayer
from stackyard.assess.inputs.summary import ValuesSummary, summarize, truthy
from stackyard.assess.inputs.terraform import TerraformBlock
from stackyard.assess.inputs.texts import TextFile, TextKind
from stackyard.assess.inputs.umbrella import Dependency, Lookup, decide
from stackyard.assess.model import Distribution, Evidence, Notice, noted


@dataclass(frozen=True)
class ValuesStack:
    """The values one release gives one chart, lowest precedence first."""

    chart: str
    release: Release | None
    layers: tuple[ValuesLayer, ...]
    # Set for a part of an umbrella chart: the umbrella, and where the part is said to
    # run (its switch, or the release that runs it by chart default).
    umbrella: str = ""
    origin: Evidence | None = None

    @property
    def evidence(self) -> Evidence:
        """Where the release is declared (or the first values file of an orphan stack)."""
        if self.origin is not None:
            return self.origin
        if self.release is not None:
            return self.release.evidence
        first = self.layers[0]
        # Quoted as written: the block's key, or the file's first key; the chart is a note.
        key = first.base[-1] if first.base else next(iter(as_mapping(first.data)), "")
        return first.evidence(text=noted(f"{key}:" if key != "" else "", f"{self.chart} values"))

    @property
    def name(self) -> str:
        """The release's name, or the values file for values no release claims."""
        return self.release.name if self.release else self.layers[0].file

    def get(self, *path: str | int) -> Hit | None:
        """The value at ``path`` from the layer that wins (highest precedence)."""
        for layer in reversed(self.layers):
            hit = layer.hit(*path)
            if hit is not None:
                return hit
        return None

    def walk(self) -> Iterator[tuple[ValuesLayer, PathKey, Any]]:
        """Every (layer, path, value) of every layer."""
        for layer in self.layers:
            for path, value in layer.walk():
                yield layer, path, value


@dataclass(frozen=True)
class LocalChart:
    """A chart kept in the repository (a folder with Chart.yaml)."""

    name: str
    folder: str
    subcharts: dict[str, str]
    dependencies: tuple[Dependency, ...] = ()

    def switched_off(
        self, lookup: Lookup, notices: list[Notice] | None = None, where: str = ""
    ) -> set[str]:
        """The values keys of dependencies Helm does not install, given merged values.

        A condition known only at run time is said in ``notices`` (once per ``where``)
        and read as Helm's default, enabled.
        """
        off = set()
        for dependency in self.dependencies:
            decision = decide(dependency, lookup)
            if not decision.enabled:
                off.add(dependency.key)
            elif decision.unknown and notices is not None and decision.by is not None:
                cited = decision.by.evidence
                message = (
                    f"line {cited.line}: {dependency.key} of chart {self.name}: condition "
                    f"{decision.unknown} is known only at run time; read as Helm's default "
                    f"(installed){where}"
                )
                if all(n.message != message or n.file != cited.file for n in notices):
                    notices.append(Notice(cited.file, message))
        return off


@dataclass
class RepositoryIndex:
    """Everything the detectors may ask about one repository."""

    root: str
    objects: dict[str, list[KubeObject]] = field(default_factory=lambda: defaultdict(list))
    groups: dict[str, list[KubeObject]] = field(default_factory=lambda: defaultdict(list))
    sightings: dict[str, list[Evidence]] = field(default_factory=lambda: defaultdict(list))
    kind_counts: Counter[str] = field(default_factory=Counter)
    workloads: list[Workload] = field(default_factory=list)
    releases: list[Release] = field(default_factory=list)
    # Every ApplicationSet read; its applications are among ``releases``.
    application_sets: list[ApplicationSetFacts] = field(default_factory=list)
    orphan_values: list[ValuesLayer] = field(default_factory=list)
    local_charts: dict[str, LocalChart] = field(default_factory=dict)
    terraform: list[TerraformBlock] = field(default_factory=list)
    terraform_files: list[str] = field(default_factory=list)
    packer: list[Evidence] = field(default_factory=list)
    node_settings: list[NodeSetting] = field(default_factory=list)
    distribution_signs: list[DistributionSign] = field(default_factory=list)
    texts: list[TextFile] = field(default_factory=list)
    kustomizations: list[Evidence] = field(default_factory=list)
    realms: list[Located] = field(default_factory=list)  # Keycloak realm exports
    # Restore drill records (``stackyard dr drill etcd --record``: etcd-drill JSON).
    drill_records: list[Located] = field(default_factory=list)
    orphan_summary: ValuesSummary = field(default_factory=ValuesSummary)
    marker_files: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    stats: Counter[str] = field(default_factory=Counter)
    # (release key, chart) of every release rendered with --charts: their rendered
    # objects are the ground truth, so no chart default is assumed for them.
    hydrated: set[tuple[str, str]] = field(default_factory=set)
    _stacks: dict[str, list[ValuesStack]] = field(default_factory=dict)
    _notices: list[Notice] | None = None
    _families: tuple[list[Release], list[Release]] | None = None  # children, parents

    # -- objects -------------------------------------------------------------------

    def of_kind(self, *kinds: str, group: str | None = None) -> list[KubeObject]:
        """Kept objects of any of ``kinds`` (optionally of one API group)."""
        return [
            o
            for kind in kinds
            for o in self.objects.get(kind, [])
            if group is None or o.group == group
        ]

    def sighted(self, *kinds: str) -> list[Evidence]:
        """Where objects of ``kinds`` (``SIGHTED_KINDS``: counted, not kept) are written."""
        return [e for kind in kinds for e in self.sightings.get(kind, [])]

    def in_group(self, *groups: str) -> list[KubeObject]:
        """Kept objects of any of the API groups."""
        return [o for group in groups for o in self.groups.get(group, [])]

    def keep(self, obj: KubeObject) -> None:
        """Keep a whole object for detectors that read its fields."""
        self.objects[obj.kind].append(obj)
        self.groups[obj.group].append(obj)

    # -- charts and values ---------------------------------------------------------

    def finalize(self, notices: list[Notice] | None = None) -> None:
        """Group values into per-release stacks, including sub-chart views of umbrellas.

        Args:
            notices: receives a notice for each umbrella dependency whose condition is
                known only at run time.
        """
        self._notices = notices
        stacks: dict[str, list[ValuesStack]] = defaultdict(list)
        for release in self.releases:
            self._uninstalled_values(release)
            for chart in dict.fromkeys(release.charts):
                own = tuple(layer for layer in release.layers() if layer.chart == chart)
                # One stack per deployment: the release, or each overlay that patches it.
                deployments = (
                    [own]
                    if not release.overlays
                    else [
                        own + tuple(layer for layer in patched if layer.chart == chart)
                        for _, patched in release.overlays
                    ]
                )
                for deployment in deployments:
                    stack = ValuesStack(chart, release, deployment)
                    stacks[chart].append(stack)
                    self._default_resources(stack)
        orphans: dict[str, list[ValuesLayer]] = defaultdict(list)
        for layer in self.orphan_values:
            orphans[layer.chart].append(layer)
        self.orphan_summary = summarize(
            layer
            for chart_layers in orphans.values()
            for layer in self._installed(chart_layers[0].chart, chart_layers)
        )
        for chart, layers in sorted(orphans.items()):
            stacks[chart].append(ValuesStack(chart, None, tuple(layers)))
        pending = [stack for chart_stacks in stacks.values() for stack in chart_stacks]
        while pending:
            for sub_stack in self._parts(pending.pop(0)):
                stacks[sub_stack.chart].append(sub_stack)
                pending.append(sub_stack)
        self._stacks = dict(stacks)
        self._families = None
        self._families = (self.child_releases(), self.parent_releases())

    def _umbrella(self, chart: str) -> LocalChart | None:
        """The repository's own chart of that name when it switches dependencies."""
        return next(
            (c for c in self.local_charts.values() if c.name == chart and c.dependencies), None
        )

    def switched_off(self, chart: str, layers: list[ValuesLayer]) -> set[str]:
        """Keys of the repository's chart ``chart`` whose dependency Helm does not install.

        ``layers`` are the values merged for one installation, lowest precedence first.
        """
        umbrella = self._umbrella(chart)
        if umbrella is None:
            return set()
        return umbrella.switched_off(ValuesStack(chart, None, tuple(layers)).get)

    def _installed(self, chart: str, layers: list[ValuesLayer]) -> list[Located]:
        """``layers`` without the blocks of dependencies Helm does not install."""
        off = self.switched_off(chart, layers)
        if not off:
            return list(layers)
        return [
            Located(
                layer.doc,
                layer.base,
                {k: v for k, v in as_mapping(layer.data).items() if k not in off},
            )
            for layer in layers
        ]

    def _uninstalled_values(self, release: Release) -> None:
        """Summarise ``release`` again without the values of dependencies switched off.

        Only for releases that keep every layer (each chart installed from a path: the
        repository's own), so the new summary is the whole one.
        """
        if release.overlays or not any(self._umbrella(c) for c in release.charts):
            return
        if any(s.chart and not s.path for s in release.sources):
            return
        layers: list[Located] = []
        changed = False
        for chart in dict.fromkeys(release.charts):
            own = [layer for layer in release.layers() if layer.chart == chart]
            installed = self._installed(chart, own)
            changed = changed or any(a is not b for a, b in zip(own, installed, strict=True))
            layers += installed
        if changed:
            release.summary = summarize(layers)

    def values(self, *charts: str) -> list[ValuesStack]:
        """Every values stack of the charts (canonical names), wherever written."""
        return [stack for chart in charts for stack in self._stacks.get(chart, [])]

    def chart_uses(self, *charts: str) -> list[Evidence]:
        """Where each of the charts is installed or configured."""
        found: dict[Evidence, None] = {}
        wanted = set(charts)
        for release in self.releases:
            for source in release.sources:
                if source.chart in wanted:
                    found[release.evidence] = None
                    # A generated application: also the generator element naming the chart.
                    found.update(dict.fromkeys(release.elements))
        for stack in self.values(*charts):
            found[stack.evidence] = None
        for chart in self.local_charts.values():
            if chart.name in wanted:
                # The whole Chart.yaml is the chart: cited at line 1, quoting its name.
                cited = noted("Chart.yaml", f"chart {chart.name}")
                found[Evidence(f"{chart.folder}/Chart.yaml", 1, 1, cited)] = None
        return list(found)

    def subchart_keys(self, chart: str) -> dict[str, str]:
        """Values keys of ``chart`` that configure a sub-chart (with local umbrellas' aliases)."""
        keys = {c.key: c.chart for c in components(chart)}
        for local in self.local_charts.values():
            if local.name == chart:
                keys.update(local.subcharts)
        return keys

    def _parts(self, stack: ValuesStack) -> Iterator[ValuesStack]:
        """The stacks of the parts of an umbrella chart that run (written or by default).

        A part switched off (``promtail.enabled: false``) yields nothing, even when its
        block is written; a part the values do not mention yields an empty stack when the
        chart runs it by default and the release was not rendered with ``--charts``.
        """
        local_names = {chart.name for chart in self.local_charts.values()}
        if stack.umbrella and stack.umbrella not in local_names:
            return  # a part of a published umbrella is not read again as an umbrella
        # A part of the repository's own umbrella chart (``loki-stack`` under a local
        # ``loki`` chart) is a published chart with parts of its own (Promtail).
        local = {}
        if not stack.umbrella:
            for chart in self.local_charts.values():
                if chart.name == stack.chart:
                    local.update(chart.subcharts)
        off: set[str] = set()
        if not stack.umbrella:
            umbrella = self._umbrella(stack.chart)
            if umbrella is not None:
                where = f" ({stack.release.name})" if stack.release is not None else ""
                off = umbrella.switched_off(stack.get, self._notices, where)
        known = {c.key: c for c in components(stack.chart)}
        if stack.chart in local.values():
            # A local chart wrapping the chart of its own name: that chart's values sit
            # under its key, so the wrapper's top-level keys are not its parts.
            known = {}
        for key, sub in {**{k: c.chart for k, c in known.items()}, **local}.items():
            if key in off:
                continue  # a dependency Helm does not install: no values, no parts
            part = known.get(key) if key not in local else None
            switch = stack.get(*part.switch) if part is not None and part.switch else None
            if switch is not None and switch.value == "-":
                switch = None  # Vault's "-": follow global.enabled, i.e. the chart default
            if switch is not None and not truthy(switch.value):
                continue
            layers = tuple(
                ValuesLayer(layer.child(key), sub, layer.release, f"{layer.origin} {key}:")
                for layer in stack.layers
                if isinstance(layer.get(key), dict)
            )
            origin = switch.evidence if switch is not None else None
            if not layers and switch is None:
                origin = self._by_default(stack, part)
                if origin is None:
                    continue
            yield ValuesStack(sub, stack.release, layers, stack.chart, origin)

    def _default_resources(self, stack: ValuesStack) -> None:
        """Credit a release with the requests/limits its chart sets when values set none."""
        release = stack.release
        known = family(stack.chart)
        if release is None or known is None or known.default_resources is None:
            return
        defaults = known.default_resources
        version = release.chart_version(stack.chart)
        if (release.key, stack.chart) in self.hydrated or not known.holds_for(version):
            return
        switch = stack.get(*defaults.switch) if defaults.switch else None
        if switch is not None and (switch.value is None or str(switch.value).lower() == "none"):
            return  # resourcesPreset: none, or the default block removed with null
        what = " and ".join(
            name
            for name, on in (("requests", defaults.requests), ("limits", defaults.limits))
            if on
        )
        pinned = f" {version}" if version else ""
        where = release.evidence
        evidence = Evidence(
            where.file,
            where.line,
            where.end_line,
            f"{release.name}: {what} by chart default ({stack.chart}{pinned})",
        )
        release.summary = release.summary.with_defaults(
            evidence if defaults.requests else None, evidence if defaults.limits else None
        )

    def _by_default(self, stack: ValuesStack, part: Component | None) -> Evidence | None:
        """Where the umbrella runs ``part`` by chart default, or None when it does not."""
        if part is None or not part.default or not part.switch:
            return None
        release = stack.release
        known = family(stack.chart)
        if known is None or (release is not None and (release.key, stack.chart) in self.hydrated):
            return None
        version = release.chart_version(stack.chart) if release is not None else ""
        if not known.holds_for(version):
            return None
        where = stack.evidence
        pinned = f" {version}" if version else ""
        return Evidence(
            where.file,
            where.line,
            where.end_line,
            f"{part.key} by chart default ({stack.chart}{pinned}: {part.enabled_by} not set)",
        )

    # -- releases ------------------------------------------------------------------

    def child_releases(self) -> list[Release]:
        """Releases that install something (App-of-Apps parents left out)."""
        if self._families is not None:
            return self._families[0]
        folders = self._release_folders()
        return [r for r in self.releases if not _is_parent(r, folders)]

    def parent_releases(self) -> list[Release]:
        """Applications whose source is a folder of other Applications (App of Apps)."""
        if self._families is not None:
            return self._families[1]
        folders = self._release_folders()
        return [r for r in self.releases if _is_parent(r, folders)]

    def _release_folders(self) -> set[str]:
        kinds = ("Application", "ApplicationSet")
        return {r.directory for r in self.releases if r.kind in kinds}

    # -- node settings and texts ---------------------------------------------------

    def settings(self, *keys: str) -> list[NodeSetting]:
        """Bootstrap settings with any of ``keys``."""
        wanted = set(keys)
        return [s for s in self.node_settings if s.key in wanted]

    def distributions(self) -> tuple[Distribution, ...]:
        """The distributions the repository bootstraps (none when it does not say)."""
        return ordered(self.distribution_signs)

    def text_hits(
        self, pattern: re.Pattern[str], kinds: Iterable[TextKind] = ("ci",)
    ) -> list[Evidence]:
        """Lines of the texts of ``kinds`` that match ``pattern``."""
        wanted = set(kinds)
        return [e for text in self.texts if text.kind in wanted for e in text.search(pattern)]

    def summaries(self) -> list[ValuesSummary]:
        """The values summary of every release, and of values no release claims."""
        return [r.summary for r in self.releases] + [self.orphan_summary]

    def ci_files(self) -> list[TextFile]:
        """The CI pipeline files."""
        return [t for t in self.texts if t.kind == "ci"]

    def resources(self, *types: str) -> list[TerraformBlock]:
        """Terraform resources (and data sources) of any of ``types``."""
        wanted = set(types)
        return [
            b
            for b in self.terraform
            if b.block_type in ("resource", "data") and b.labels and b.labels[0] in wanted
        ]


def _is_parent(release: Release, folders: set[str]) -> bool:
    if release.kind not in ("Application", "ApplicationSet") or release.charts:
        return False
    for source in release.sources:
        parts = [p for p in source.path.strip("/").split("/") if p not in ("", ".")]
        for k in range(len(parts)):
            tail = "/".join(parts[k:])
            if any(
                f == tail or f.startswith(tail + "/") or f.endswith("/" + tail) for f in folders
            ):
                return True
    return False
