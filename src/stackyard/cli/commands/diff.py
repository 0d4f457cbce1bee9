"""``stackyard diff OLD NEW``: what changes between two specs, and what disrupts."""

from __future__ import annotations

from pathlib import Path

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
    out.print(f"[bold]{old} → {new}[/]")
    current: str | None = ""
    for change in changes:
        if change.cluster != current:
            current = change.cluster
            out.print(f"[bold]{current or 'platform'}[/]")
        mark = "+" if change.old is None else "-" if change.new is None else "~"
        values = ""
        if change.old is not None and change.new is not None:
            values = f": {change.old} → {change.new}"
        flag = " [bold red]DISRUPTIVE[/]" if change.disruptive else ""
        out.print(f"  {mark} {change.kind} {change.subject}{values}{flag} — {change.reason}")
    out.print(f"{len(changes)} changes, {disruptive} disruptive")
    return OK
