"""``stackyard plan SPEC``: components per cluster, waves, reasons and findings."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

from stackyard.app import ClusterPolicy, Explanation, PlanResult, explain, plan
from stackyard.cli.output import (
    OutputFormat,
    console,
    findings_table,
    line_printer,
    print_json,
)
from stackyard.cli.results import exit_status
from stackyard.cli.tables import table
from stackyard.wording import counted


def plan_command(spec: Path, output: OutputFormat, why: str | None) -> int:
    """Plan ``spec`` and report; exit 1 when any error-severity check fails."""
    if why is not None:
        explanation = explain(spec, why)
        if output is OutputFormat.json:
            print_json(explanation.as_dict())
        else:
            _print_explanation(explanation)
        return exit_status(explanation)
    result = plan(spec)
    if output is OutputFormat.json:
        print_json(result.as_dict())
    else:
        _print_plan(result)
    return exit_status(result)


def _print_plan(result: PlanResult) -> None:
    out = console()
    plan = result.plan
    platform = plan.spec.platform
    out.print(
        f"[bold]{escape(platform.name)}[/]: {platform.edition} edition on {platform.provider}, "
        f"{platform.kubernetes.distribution} {platform.kubernetes.version}"
    )
    settings = table("Settings", "setting", "value", "why")
    for setting in plan.settings:
        settings.add_row(escape(setting.name), escape(setting.text), escape(setting.reason))
    out.print(settings)
    for cluster in plan.clusters:
        components = table(
            f"Cluster {escape(cluster.name)} ({cluster.cluster.role})",
            "wave",
            "component",
            "namespace",
            "pods",
            "why",
        )
        for planned in cluster.components:
            status = planned.component.upstream.lifecycle
            name = (
                planned.name if status == "maintained" else f"{planned.name} [yellow]({status})[/]"
            )
            components.add_row(
                str(planned.wave),
                name,
                planned.component.namespace,
                str(planned.pods),
                escape(planned.decision.reason),
            )
        out.print(components)
        budget = cluster.budget
        out.print(
            f"  requests: {budget.cpu_requested:.2f} of {budget.cpu_allocatable:.2f} CPU, "
            f"{budget.memory_requested_gib:.2f} of {budget.memory_allocatable_gib:.2f} GiB "
            f"allocatable on {budget.schedulable_nodes} schedulable nodes"
        )
        say = line_printer(out)
        for line in _policy_lines(cluster.policy):
            say(escape(line))
    if result.findings:
        out.print(findings_table(result.findings))
    out.print(f"{counted(len(result.errors), 'error')}, {counted(len(result.warnings), 'warning')}")


_CHOSEN_BY = {
    "cluster": "the cluster's policyTemplate",
    "assignment": "a policy assignment",
    "default": "no template chosen",
}


def _policy_lines(policy: ClusterPolicy) -> list[str]:
    unknown = "" if policy.known else ", unknown"
    levels = policy.pod_security
    lines = [
        f"  policy template: {policy.template} ({_CHOSEN_BY[policy.chosen_by]}{unknown})",
        f"    Pod Security of workload namespaces: enforce {levels.enforce}, "
        f"audit {levels.audit}, warn {levels.warn}",
    ]
    if not policy.kyverno:
        lines.append("    Kyverno: does not run here")
        return lines
    for action in ("enforce", "audit"):
        names = [r.name for r in policy.rules if r.action == action]
        if names:
            lines.append(f"    Kyverno {action}s: {', '.join(names)}")
    return lines


def _print_explanation(explanation: Explanation) -> None:
    say = line_printer(console())
    say(
        f"[bold]{escape(explanation.title)}[/] ({explanation.component}): "
        + escape(explanation.description)
    )
    for row in explanation.clusters:
        verdict = "[green]runs[/]" if row.included else "[dim]does not run[/]"
        say(f"- {escape(row.cluster)}: {verdict} — {escape(row.reason)}")
        if row.source:
            say(escape(f"    from {row.source}"))
        if not row.included:
            continue
        say(escape(f"    wave {row.wave} {row.wave_reason}".rstrip()))
        sized = row.replicas
        if sized is not None:
            replicas = counted(sized.count, "replica")
            say(escape(f"    {replicas}: {sized.mode}, because {sized.reason}"))
        for need in row.needs:
            say(escape(f"    needs {need.capability} from {need.provider} on {need.cluster}"))
        for use in row.needed_by:
            say(escape(f"    provides {use.capability} to {use.component} on {use.cluster}"))
