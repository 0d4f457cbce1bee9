"""``dr runbook``: a recovery runbook per cluster, written into the platform repository.

Each cluster gets ``DIR/dr/runbooks/<cluster>.md`` (:func:`stackyard.recovery.runbook.
cluster_runbook`): one section per recovery scenario simulate knows, with the commands for
the cluster's distribution and its rendered backup settings, and the recovery time
simulate uses. That time is simulate's documented estimate, except where a drill measures
the scenario (the etcd restore) and ``DIR/dr/drills/<cluster>/`` holds a record of one
that measured a time: then the newest such record's time, with its path and date.

Files are written atomically (:mod:`stackyard.fsio.write`) and only when their text
changed; nothing else in ``DIR`` is touched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from stackyard.app.planning import plan_without_errors
from stackyard.app.results import Describes
from stackyard.errors import COMMAND_LINE, InputError, Problem
from stackyard.fsio.write import make_folders, write_text
from stackyard.plan.recoverytime import RecoveryTime
from stackyard.recovery.records import (
    DRILLS_DIR,
    RUNBOOKS_DIR,
    DrillRecord,
    newest_measured,
    read_records,
)
from stackyard.recovery.runbook import Estimate, cluster_runbook, scenario_ids
from stackyard.render.context import RenderContext
from stackyard.simulate.backups import (
    RecoveryScenario,
    estimates_by_cluster,
    recovery_scenarios,
)
from stackyard.versioning import schema_id

FileState = Literal["written", "unchanged"]


@dataclass(frozen=True)
class RunbookFile:
    """One cluster's runbook: where it is, whether it changed, the times it states."""

    cluster: str
    distribution: str
    path: str
    """Relative to the repository folder (``dr/runbooks/<cluster>.md``)."""
    state: FileState
    estimates: tuple[Estimate, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "cluster": self.cluster,
            "distribution": self.distribution,
            "path": self.path,
            "state": self.state,
            "scenarios": [e.as_dict() for e in self.estimates],
        }


@dataclass(frozen=True)
class RunbookResult(Describes):
    """The runbooks written (or already current) in ``directory``."""

    spec: Path
    directory: Path
    files: tuple[RunbookFile, ...]

    def as_dict(self) -> dict[str, Any]:
        """The versioned JSON document (``runbooks``)."""
        return {
            "schema": schema_id("runbooks"),
            "spec": str(self.spec),
            "directory": str(self.directory),
            "files": [f.as_dict() for f in self.files],
        }


def measured_recoveries(records: Mapping[str, list[DrillRecord]]) -> dict[str, RecoveryTime]:
    """By cluster, the time its newest drill that measured one measured."""
    found = {}
    for cluster, kept in records.items():
        newest = newest_measured(kept)
        if newest is not None and newest.recovery_seconds is not None:
            found[cluster] = RecoveryTime.measured(
                newest.recovery_seconds, newest.path, newest.date
            )
    return found


def write_runbooks(
    spec: Path, directory: Path = Path("."), clusters: Sequence[str] = ()
) -> RunbookResult:
    """Write ``directory/dr/runbooks/<cluster>.md`` for every cluster (or those named).

    Raises:
        YamlError, SpecError: the spec is not a readable, valid platform spec.
        PlanRefusedError: the plan has error findings.
        InputError: a named cluster is not in the spec; a drill record that cannot be
            read; a runbook that cannot be written.
    """
    plan = plan_without_errors(spec)
    names = [c.name for c in plan.clusters]
    unknown = [c for c in clusters if c not in names]
    if unknown:
        raise InputError(
            [
                Problem(
                    COMMAND_LINE,
                    "--cluster",
                    f"{name!r} is not a cluster of the spec",
                    f"clusters: {', '.join(names)}",
                )
                for name in unknown
            ]
        )
    scenarios = recovery_scenarios()
    _check_sections(scenarios)
    drills = directory / DRILLS_DIR
    records = read_records(drills, DRILLS_DIR) if drills.is_dir() else {}
    measured = measured_recoveries(records)
    context = RenderContext(plan)
    chosen = [c for c in plan.clusters if not clusters or c.name in clusters]
    folder = directory / RUNBOOKS_DIR
    make_folders(folder, "-d")
    files = []
    for cluster in chosen:
        estimates = tuple(_estimate(scenario, cluster.name, measured) for scenario in scenarios)
        text = cluster_runbook(
            context,
            cluster,
            {e.scenario: e for e in estimates},
            spec=spec.name,
        )
        relative = f"{RUNBOOKS_DIR}/{cluster.name}.md"
        target = directory / relative
        state: FileState = "unchanged"
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            write_text(target, text, option="-d")
            state = "written"
        files.append(
            RunbookFile(
                cluster.name,
                plan.spec.platform.kubernetes.distribution,
                relative,
                state,
                estimates,
            )
        )
    return RunbookResult(spec, directory, tuple(files))


def _estimate(
    scenario: RecoveryScenario, cluster: str, measured: Mapping[str, RecoveryTime]
) -> Estimate:
    (one,) = estimates_by_cluster(scenario, [cluster], measured)
    return Estimate(scenario.id, scenario.title, scenario.method, one.time)


def _check_sections(scenarios: Sequence[RecoveryScenario]) -> None:
    """Every scenario simulate knows has a runbook section, and no section is extra."""
    known = tuple(s.id for s in scenarios)
    if known != scenario_ids():
        raise AssertionError(
            f"simulate's recovery scenarios {known} and the runbook's sections "
            f"{scenario_ids()} differ"
        )
