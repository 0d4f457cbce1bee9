"""``charts pull``: every pinned chart a spec's render (or a rendered tree) needs, stored locally.

The store is the folder ``validate --hydrate --charts DIR`` and ``assess --charts DIR``
read, so nobody assembles it by hand with ``helm pull``
(:mod:`stackyard.delivery.charts` keeps its layout and record). A source that is a file
is a platform spec: its plan (refused when it has error findings) names the charts. A
folder is a rendered tree: its Argo CD Applications name them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from stackyard.app.planning import plan_without_errors
from stackyard.app.results import Describes
from stackyard.delivery.charts import (
    StoredChart,
    charts_of_plan,
    charts_of_tree,
    pull_charts,
    refuse_store_file,
)
from stackyard.errors import COMMAND_LINE, InputError, Problem
from stackyard.progress import Progress, no_progress
from stackyard.versioning import schema_id

SourceKind = Literal["spec", "rendered"]


@dataclass(frozen=True)
class ChartPullResult(Describes):
    """What a pull left in the store: each chart, its source, digest and status."""

    source: Path
    kind: SourceKind
    directory: Path
    charts: tuple[StoredChart, ...]

    def count(self, status: str) -> int:
        """How many charts the pull left with ``status``."""
        return sum(1 for c in self.charts if c.status == status)

    def as_dict(self) -> dict[str, Any]:
        """The versioned JSON document (``charts-pull``)."""
        return {
            "schema": schema_id("charts-pull"),
            "source": str(self.source),
            "kind": self.kind,
            "directory": str(self.directory),
            "charts": [c.as_dict() for c in self.charts],
        }


def parse_repository_map(
    pairs: Sequence[str],
    option: str = "--repository-map",
    example: str = "https://charts.jetstack.io=https://mirror.example/jetstack",
) -> dict[str, str]:
    """``ORIGINAL=MIRROR`` pairs (of the command-line ``option``) as a mapping.

    Raises:
        InputError: a pair without ``=`` or with an empty side.
    """
    mapping: dict[str, str] = {}
    problems = []
    for pair in pairs:
        original, sep, mirror = pair.partition("=")
        if not sep or not original.strip() or not mirror.strip():
            problems.append(
                Problem(COMMAND_LINE, option, f"{pair!r} is not ORIGINAL=MIRROR", f"e.g. {example}")
            )
            continue
        mapping[original.strip().rstrip("/")] = mirror.strip().rstrip("/")
    if problems:
        raise InputError(problems)
    return mapping


def pull_charts_for(
    source: Path,
    directory: Path,
    repository_map: Mapping[str, str] | None = None,
    progress: Progress = no_progress,
    ca_file: Path | None = None,
) -> ChartPullResult:
    """Pull every chart ``source`` (a spec file or a rendered tree) needs into ``directory``.

    ``repository_map`` maps repositories to mirrors; ``ca_file`` is a CA bundle to trust.
    An OCI registry that asks for a login gets the credentials of the environment
    (``STACKYARD_REGISTRY_USERNAME``, ``STACKYARD_REGISTRY_PASSWORD``).

    Raises:
        YamlError, SpecError: the spec (or a file of the tree) cannot be read.
        PlanRefusedError: the spec's plan has error findings.
        InputError: ``source`` is missing, or ``directory`` is not a writable folder.
        ChartSourceError: a chart cannot be fetched or fails its digest check.
    """
    refuse_store_file(directory)
    if source.is_dir():
        kind: SourceKind = "rendered"
        refs = charts_of_tree(source)
    elif source.is_file():
        kind = "spec"
        refs = charts_of_plan(plan_without_errors(source))
    else:
        raise InputError(
            [Problem(COMMAND_LINE, "SPEC", f"{source} is neither a spec nor a folder")]
        )
    stored = pull_charts(refs, directory, repository_map, progress, ca_file)
    return ChartPullResult(source, kind, directory, tuple(stored))
