"""``stackyard cluster register|deregister REPO``: print what the change did to the repository.

The use cases decide everything (refusal, confirmation, idempotency, the push); this
module parses the cluster's options into a registration and formats the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.markup import escape

from stackyard.app import (
    ChangeResult,
    ClusterAddresses,
    ClusterRegistration,
    Role,
    deregister_cluster,
    parse_labels,
    parse_node_pool,
    register_cluster,
)
from stackyard.cli.output import (
    OutputFormat,
    console,
    findings_table,
    line_printer,
    notice,
    print_json,
    warn,
)
from stackyard.cli.results import exit_status
from stackyard.wording import counted


@dataclass(frozen=True)
class ClusterOptions:
    """The new cluster as the command line gives it, before parsing."""

    name: str
    role: Role
    node_range: str
    services_cidr: str
    pods_cidr: str | None
    node_subnet: str | None
    load_balancer_pool: str | None
    node_pools: tuple[str, ...]
    labels: tuple[str, ...]
    policy_template: str | None


@dataclass(frozen=True)
class ChangeOptions:
    """Where and how a change is committed: the same for register and deregister."""

    spec: str
    rendered: str
    author: str | None
    idempotency_key: str | None
    push: bool


def _waiting(repository: Path) -> None:
    notice(f"waiting for another change to {repository} to finish")


def register_command(
    repository: Path, cluster: ClusterOptions, change: ChangeOptions, output: OutputFormat
) -> int:
    """Register the cluster; exit 1 when refused or when the push failed."""
    registration = ClusterRegistration(
        name=cluster.name,
        role=cluster.role,
        network=ClusterAddresses(
            node_range=cluster.node_range,
            service_cidr=cluster.services_cidr,
            pod_cidr=cluster.pods_cidr,
            node_subnet=cluster.node_subnet,
            load_balancer_pool=cluster.load_balancer_pool,
        ),
        node_pools=tuple(parse_node_pool(text) for text in cluster.node_pools),
        labels=parse_labels(cluster.labels),
        policy_template=cluster.policy_template,
    )
    result = register_cluster(
        repository,
        registration,
        spec_path=change.spec,
        rendered=change.rendered,
        author=change.author,
        idempotency_key=change.idempotency_key,
        push=change.push,
        on_wait=lambda: _waiting(repository),
    )
    return _report(result, output)


def deregister_command(
    repository: Path, name: str, confirm: bool, change: ChangeOptions, output: OutputFormat
) -> int:
    """Deregister the cluster (with ``--yes``); without it, show what it would change."""
    result = deregister_cluster(
        repository,
        name,
        confirm=confirm,
        spec_path=change.spec,
        rendered=change.rendered,
        author=change.author,
        idempotency_key=change.idempotency_key,
        push=change.push,
        on_wait=lambda: _waiting(repository),
    )
    return _report(result, output)


def _report(result: ChangeResult, output: OutputFormat) -> int:
    if output is OutputFormat.json:
        print_json(result.as_dict())
        _warnings(result)
        return exit_status(result)
    out = console()
    say = line_printer(out)
    if result.status == "refused":
        out.print(findings_table(result.findings))
    elif result.disruptive:
        say(f"[bold]{counted(len(result.disruptive), 'disruptive change')}:[/]")
        for change in result.disruptive:
            where = f"{change.cluster}: " if change.cluster else ""
            say(escape(f"  {where}{change.kind} {change.subject} — {change.reason}"))
    if result.status == "needs-confirmation":
        notice("run again with --yes to deregister it")
    say(escape(_summary(result)))
    _warnings(result)
    return exit_status(result)


def _warnings(result: ChangeResult) -> None:
    for warning in result.warnings:
        warn(f"warning: {warning}")


def _summary(result: ChangeResult) -> str:
    verb = "registered" if result.action == "register" else "deregistered"
    if result.status == "committed":
        again = " (before, under the same idempotency key)" if result.replayed else ""
        pushed = ""
        if result.pushed is not None and result.pushed.remote and not result.push_failed:
            pushed = f", pushed to {result.pushed.remote}/{result.pushed.branch}"
        return f"{verb} cluster {result.cluster} as commit {result.commit}{again}{pushed}"
    if result.status == "unchanged":
        return f"cluster {result.cluster} is already registered as asked: nothing to commit"
    if result.status == "needs-confirmation":
        return f"cluster {result.cluster} is not deregistered yet: nothing changed"
    return f"cluster {result.cluster} is not {verb}: nothing changed"
