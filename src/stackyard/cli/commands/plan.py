"""``stackyard plan SPEC``: components per cluster, waves, reasons and findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table

from stackyard.catalog import load_catalog
from stackyard.cli.errors import BAD_INPUT, FINDINGS, OK
from stackyard.cli.output import OutputFormat, console, counted, findings_table, print_json
from stackyard.plan import Plan, make_plan
from stackyard.plan.replicas import replicas
from stackyard.plan.resources import GIB
from stackyard.spec import load_spec


def plan_command(spec: Path, output: OutputFormat, why: str | None) -> int:
    """Plan ``spec`` and report; exit 1 when any error-severity check fails."""
    loaded = load_spec(spec)
    plan = make_plan(loaded)
    if why is not None:
        return _explain(plan, why, output)
    if output is OutputFormat.json:
        print_json(plan.as_dict())
    else:
        _print_plan(plan)
    return FINDINGS if plan.errors else OK


def _print_plan(plan: Plan) -> None:
    out = console()
    platform = plan.spec.platform
    out.print(
        f"[bold]{platform.name}[/]: {platform.edition} edition on {platform.provider}, "
        f"{platform.kubernetes.distribution} {platform.kubernetes.version}"
    )
    settings = Table(title="Settings", expand=False)
    for column in ("setting", "value", "why"):
        settings.add_column(column, overflow="fold")
    for setting in plan.settings.values():
        settings.add_row(setting.name, setting.value, setting.reason)
    out.print(settings)
    for cluster in plan.clusters:
        table = Table(title=f"Cluster {cluster.name} ({cluster.cluster.role})", expand=False)
        for column in ("wave", "component", "namespace", "pods", "why"):
            table.add_column(column, overflow="fold")
        for planned in cluster.components:
            status = planned.component.upstream.lifecycle
            name = (
                planned.name if status == "maintained" else f"{planned.name} [yellow]({status})[/]"
            )
            table.add_row(
                str(planned.wave),
                name,
                planned.component.namespace,
                str(planned.pods),
                planned.decision.reason,
            )
        out.print(table)
        budget = cluster.budget
        out.print(
            f"  requests: {budget.cpu_requested:.2f} of {budget.cpu_allocatable:.2f} CPU, "
            f"{budget.memory_requested / GIB:.2f} of {budget.memory_allocatable / GIB:.2f} GiB "
            f"allocatable on {budget.schedulable_nodes} schedulable nodes"
        )
    if plan.findings:
        out.print(findings_table(plan.findings))
    counts = {s: sum(1 for f in plan.findings if f.severity == s) for s in ("error", "warning")}
    out.print(f"{counted(counts['error'], 'error')}, {counted(counts['warning'], 'warning')}")


def _explain(plan: Plan, name: str, output: OutputFormat) -> int:
    catalog = load_catalog()
    if name not in catalog:
        from difflib import get_close_matches

        close = get_close_matches(name, list(catalog.components), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        console().print(f"error: unknown component {name!r}{hint}")
        return BAD_INPUT
    rows: list[dict[str, Any]] = []
    platform = plan.spec.platform
    for cluster in plan.clusters:
        decision = cluster.decision(name)
        assert decision is not None
        location = plan.spec.document.locate(decision.path) if decision.path else None
        component = catalog[name]
        # DaemonSets and features have no replica count of their own.
        sized = component.workload in ("deployment", "statefulset")
        planned = cluster.get(name)
        # The plan's own decision where it runs; where it does not, what it would run.
        here = [p.name for p in cluster.components]
        sizing = (
            planned.replicas if planned else replicas(component, cluster.cluster, platform, here)
        )
        rows.append(
            {
                "cluster": cluster.name,
                "included": decision.included,
                "reason": decision.reason,
                "wave": plan.waves.get(name) if decision.included else None,
                "waveReason": plan.wave_reasons.get(name, ""),
                "source": str(location) if location else "",
                "replicas": {
                    "count": sizing.count,
                    "ha": sizing.ha,
                    "mode": sizing.mode,
                    "reason": sizing.reason,
                }
                if sized and component.install.method != "feature"
                else None,
                "needs": [
                    {
                        "capability": e.capability,
                        "provider": e.provider,
                        "cluster": e.provider_cluster,
                    }
                    for e in plan.edges
                    if e.consumer == name and e.cluster == cluster.name
                ],
                "neededBy": [
                    {"component": e.consumer, "cluster": e.cluster, "capability": e.capability}
                    for e in plan.edges
                    if e.provider == name and e.provider_cluster == cluster.name
                ],
            }
        )
    if output is OutputFormat.json:
        print_json({"component": name, "clusters": rows})
        return OK
    out = console()
    component = catalog[name]
    out.print(f"[bold]{component.title}[/] ({name}): {component.description}")
    for row in rows:
        verdict = "[green]runs[/]" if row["included"] else "[dim]does not run[/]"
        out.print(f"- {row['cluster']}: {verdict} — {row['reason']}")
        if row["source"]:
            out.print(f"    from {row['source']}")
        if row["included"]:
            out.print(f"    wave {row['wave']} {row['waveReason']}".rstrip())
            sized = row["replicas"]
            if sized is not None:
                plural = "" if sized["count"] == 1 else "s"
                out.print(
                    f"    {sized['count']} replica{plural}: {sized['mode']}, "
                    f"because {sized['reason']}"
                )
            for need in row["needs"]:
                out.print(
                    f"    needs {need['capability']} from {need['provider']} on {need['cluster']}"
                )
            for user in row["neededBy"]:
                out.print(
                    f"    provides {user['capability']} to {user['component']} on {user['cluster']}"
                )
    return OK
