"""Plain-text reports: the incident timeline, the failure matrix and the DR check."""

from __future__ import annotations

from collections import defaultdict

from stackyard.simulate.backups import DisasterRecovery
from stackyard.simulate.engine import Event
from stackyard.simulate.matrix import FailureMatrix
from stackyard.simulate.model import RuntimeModel
from stackyard.simulate.recovery import RTO_SHARE, Priority, priority_of
from stackyard.simulate.run import IncidentReport
from stackyard.spec.units import format_duration, parse_duration

MARKS = {
    "fail": "✖",
    "recover": "✔",
    "interrupted": "❌",
    "exhausted": "⛔",
    "recovered": "✅",
    "still-down": "⏸",
}
VERDICT_MARKS = {
    "holds": "✅",
    "meets": "✅",
    "exceeded": "⚠️ ",
    "exceeds": "❌",
    "broken": "❌",
    "missing": "❌",
    "undecided": "❔",
    "not applicable": "➖",
}


def incident_text(report: IncidentReport) -> str:
    """The timeline, contract, SLO, recovery and DR sections of one incident."""
    simulation = report.simulation
    platform = simulation.model.plan.spec.platform
    lines = [
        f"Scenario: {simulation.scenario.name} ({platform.name}), "
        f"simulated from 0s to {format_duration(simulation.end)}",
        "",
        "Timeline",
    ]
    for at, mark, text, where, source in _grouped(simulation.events):
        place = f"  [{where}]" if where else ""
        lines.append(f"  {format_duration(at):>7}  {mark} {text}{place}")
        if source:
            lines.append(f"  {'':>7}     source: {source}")
    lines += ["", "Architecture contract"]
    for clause in report.contract:
        mark = VERDICT_MARKS[clause.verdict]
        lines.append(f"  {mark} {clause.id} {clause.verdict}: {clause.statement} — {clause.reason}")
    lines += ["", "SLOs"]
    for effect in report.slo:
        mark = VERDICT_MARKS[effect.verdict]
        note = f" ({effect.note})" if effect.note else ""
        lines.append(
            f"  {mark} {effect.slo.upper()} {effect.subject}: {effect.value}, "
            f"target {effect.target}{note}"
        )
    lines += ["", "Recovery order"]
    for index, recovery in enumerate(report.recovery, start=1):
        target = (
            "no target"
            if recovery.target_seconds is None
            else f"target {format_duration(recovery.target_seconds)}"
        )
        status = [target, {True: "met", False: "missed", None: ""}[recovery.met]]
        if not recovery.recovered:
            status.append("still down when the window ends")
        lines.append(
            f"  {index:>2}. {recovery.priority} {recovery.service.id}: {recovery.reason}"
            f" ({', '.join(part for part in status if part)})"
        )
    lines += ["", *dr_text(report.disaster_recovery)]
    return "\n".join(lines) + "\n"


def _grouped(events: tuple[Event, ...]) -> list[tuple[float, str, str, str, str]]:
    """Events that say the same thing at the same time become one line with every place."""
    groups: dict[tuple[float, str, str], list[Event]] = defaultdict(list)
    for event in events:
        groups[event.at, event.kind, event.text].append(event)
    lines = []
    for (at, kind, text), members in groups.items():
        where = ", ".join(sorted({e.where for e in members if e.where}))
        sources = sorted({e.source for e in members if e.source and kind != "recovered"})
        lines.append((at, MARKS[kind], text, where, "; ".join(sources)))
    return lines


def dr_text(recovery: DisasterRecovery) -> list[str]:
    """Backup tiers and recovery scenarios against the SLOs."""
    lines = [
        f"Backups (RPO {format_duration(recovery.rpo_seconds)})",
    ]
    for tier in recovery.tiers:
        mark = VERDICT_MARKS[tier.verdict]
        rpo = "none" if tier.rpo_seconds is None else format_duration(tier.rpo_seconds)
        where = tier.cluster or "platform"
        note = f"; {tier.note}" if tier.note else ""
        source = f" — {tier.evidence}" if tier.evidence else ""
        lines.append(f"  {mark} {tier.tier} {where}: {tier.method}, worst case {rpo}{note}{source}")
    lines += ["", f"Recovery scenarios (RTO {format_duration(recovery.rto_seconds)})"]
    for scenario in recovery.scenarios:
        mark = VERDICT_MARKS[scenario.verdict]
        lines.append(
            f"  {mark} {scenario.title}: {scenario.method}, "
            f"{format_duration(scenario.estimate_seconds)} ({scenario.source}); "
            f"data loss {scenario.data_loss}"
        )
        lines += [f"      {c.cluster}: {c.time.describe()}" for c in scenario.clusters]
    return lines


def matrix_text(matrix: FailureMatrix, model: RuntimeModel) -> str:
    """The failure matrix: each failure and what it does, then recovery priorities."""
    lines = [f"Single failures, each lasting {format_duration(matrix.duration)}", ""]
    for row in matrix.rows:
        lines.append(row.target)
        for effect in row.effects:
            where = ", ".join(effect.where)
            if effect.state == "exhausted":
                text = f"{effect.exhausted} (after {effect.buffer})"
            else:
                text = effect.interrupted
            kept = ""
            if effect.kept and effect.state != "interrupted":
                kept = f" — {effect.kept}" + (f" ({effect.buffer})" if effect.buffer else "")
            lines.append(f"  ❌ {text} [{where}]{kept}")
        if row.running:
            lines.append(f"  ✅ application workloads keep running [{', '.join(row.running)}]")
        lines.append("")
    if matrix.harmless:
        lines.append(f"No function affected: {', '.join(matrix.harmless)}")
        lines.append("")
    lines += priorities_text(model)
    return "\n".join(lines) + "\n"


def priorities_text(model: RuntimeModel) -> list[str]:
    """Recovery priority and RTO target of every service."""
    rto = parse_duration(model.plan.spec.platform.slo.rto)
    by_priority: dict[Priority, list[str]] = defaultdict(list)
    for service in sorted(model.services.values(), key=lambda s: (s.wave, s.id)):
        priority, _ = priority_of(model, service)
        by_priority[priority].append(service.id)
    lines = ["Recovery priorities"]
    for priority in ("P0", "P1", "P2", "P3"):
        share = RTO_SHARE[priority]
        target = "no target" if share is None else f"RTO {format_duration(rto * share)}"
        services = by_priority.get(priority, [])
        if services:
            lines.append(f"  {priority} ({target}): {', '.join(services)}")
    return lines
