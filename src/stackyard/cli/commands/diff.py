"""``stackyard diff OLD NEW``: what changes between two specs, and what disrupts."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from stackyard.cli.errors import OK
from stackyard.cli.output import OutputFormat, console, print_json
from stackyard.plan import make_plan
from stackyard.plan.diff import diff_plans
from stackyard.spec import load_spec


def diff_command(old: Path, new: Path, output: OutputFormat) -> int:
    """Plan both specs and print their differences."""
    changes = diff_plans(make_plan(load_spec(old)), make_plan(load_spec(new)))
    disruptive = sum(1 for c in changes if c.disruptive)
    if output is OutputFormat.json:
        print_json(
            {
                "changes": [c.as_dict() for c in changes],
                "summary": {"changes": len(changes), "disruptive": disruptive},
            }
        )
        return OK
    out = console()
    if not changes:
        out.print("no changes")
        return OK
    table = Table(title=f"{old} → {new}", expand=False)
    for column in ("cluster", "kind", "subject", "old", "new", "disruptive", "why"):
        table.add_column(column, overflow="fold")
    for change in changes:
        table.add_row(
            change.cluster or "(platform)",
            change.kind,
            change.subject,
            change.old or "",
            change.new or "",
            "[bold red]yes[/]" if change.disruptive else "no",
            change.reason,
        )
    out.print(table)
    out.print(f"{len(changes)} changes, {disruptive} disruptive")
    return OK
