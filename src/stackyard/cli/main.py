"""Wire the subcommands into one Typer application."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stackyard import __version__
from stackyard.cli.commands.plan import plan_command
from stackyard.cli.errors import exit_codes
from stackyard.cli.output import OutputFormat

app = typer.Typer(
    name="stackyard",
    help="Plan, render, validate, assess and simulate one Kubernetes platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

SpecArgument = Annotated[
    Path, typer.Argument(help="The platform spec (platform.yaml).", show_default=False)
]
OutputOption = Annotated[
    OutputFormat, typer.Option("--output", "-o", help="text for people, json for tools.")
]


@app.command("plan")
@exit_codes
def plan(
    spec: SpecArgument,
    output: OutputOption = OutputFormat.text,
    why: Annotated[
        str | None, typer.Option("--why", help="Explain one component on every cluster.")
    ] = None,
) -> int:
    """Show which component runs where and why, the install waves, and every problem."""
    return plan_command(spec, output, why)


@app.command("version")
@exit_codes
def version() -> int:
    """Print the Stackyard version."""
    typer.echo(__version__)
    return 0


def run() -> None:
    """Console-script entry point."""
    app()
