"""Wire the subcommands into one Typer application."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stackyard import __version__
from stackyard.app import AssessRequest, Edition, Provider, SimulateRequest, Topology
from stackyard.cli.commands.assess import AssessOutput, assess_command
from stackyard.cli.commands.catalog import catalog_command
from stackyard.cli.commands.diff import diff_command
from stackyard.cli.commands.init import init_command
from stackyard.cli.commands.plan import plan_command
from stackyard.cli.commands.render import RenderOptions, render_command
from stackyard.cli.commands.schema import schema_command
from stackyard.cli.commands.simulate import simulate_command
from stackyard.cli.commands.validate import validate_command
from stackyard.cli.errors import exit_codes
from stackyard.cli.output import OutputFormat

app = typer.Typer(
    name="stackyard",
    help="Plan, render, validate and assess one Kubernetes platform.",
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


@app.command("render")
@exit_codes
def render(
    spec: SpecArgument,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Directory of the GitOps repository.")
    ],
    check: Annotated[
        bool,
        typer.Option("--check", help="Write nothing; exit 1 if DIR differs from the render."),
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Overwrite files in DIR that stackyard did not write."),
    ] = False,
    commit: Annotated[
        bool, typer.Option("--commit", help="Record the render as one Git commit.")
    ] = False,
    message: Annotated[
        str | None,
        typer.Option("--message", "-m", help="Subject of the --commit commit."),
    ] = None,
) -> int:
    """Render the Argo CD GitOps repository into DIR, touching only stackyard's own files."""
    return render_command(spec, output, RenderOptions(check, force, commit, message))


@app.command("validate")
@exit_codes
def validate(
    directory: Annotated[Path, typer.Argument(help="A rendered GitOps tree.", show_default=False)],
    output: OutputOption = OutputFormat.text,
    kubernetes_version: Annotated[
        str | None,
        typer.Option(
            "--kubernetes-version", help="Default: the version the tree was rendered for."
        ),
    ] = None,
    hydrate: Annotated[
        bool, typer.Option("--hydrate", help="Render the charts found in --charts with Helm.")
    ] = False,
    charts: Annotated[
        Path | None, typer.Option("--charts", help="Folder of chart archives or directories.")
    ] = None,
    images: Annotated[
        Path | None, typer.Option("--images", help="Image inventory file (default DIR/images.txt).")
    ] = None,
) -> int:
    """Check a tree against Kubernetes and CRD schemas, chart values and GitOps wiring."""
    return validate_command(directory, output, kubernetes_version, hydrate, charts, images)


@app.command("assess")
@exit_codes
def assess(
    directory: Annotated[
        Path, typer.Argument(help="Any platform repository or Git work tree.", show_default=False)
    ],
    output: Annotated[
        AssessOutput, typer.Option("--output", "-o", help="text, json, markdown, html or sarif.")
    ] = AssessOutput.text,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the report here instead of stdout.")
    ] = None,
    charts: Annotated[
        Path | None, typer.Option("--charts", help="Hydrate Applications with these charts.")
    ] = None,
    exceptions: Annotated[
        Path | None, typer.Option("--exceptions", help="Accepted findings (reason + expiry).")
    ] = None,
    fail_under: Annotated[
        str | None,
        typer.Option("--fail-under", help="A CNCF level (e.g. Scale) or an area rating 1-5."),
    ] = None,
    compare: Annotated[
        Path | None, typer.Option("--compare", help="An earlier JSON report to compare with.")
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            min=0,
            help="Worker processes parsing large trees ahead "
            "(default: one per spare core, up to 3; 0: none; never more than the spare cores).",
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude",
            help="Leave out paths matching this gitignore-style glob, relative to DIR "
            "(repeatable): 'legacy/', '*.bak', '/docs'.",
        ),
    ] = None,
    default_excludes: Annotated[
        bool,
        typer.Option(
            "--default-excludes/--no-default-excludes",
            help="Leave out vendored dependencies and test fixtures "
            "(vendor/, node_modules/, tests/, testdata/, fixtures/...).",
        ),
    ] = True,
) -> int:
    """Rate a platform repository per maturity area, with evidence and a roadmap."""
    request = AssessRequest(
        charts,
        exceptions,
        fail_under,
        compare,
        jobs,
        tuple(exclude or ()),
        default_excludes,
    )
    return assess_command(directory, request, output, report)


@app.command("simulate")
@exit_codes
def simulate(
    spec: SpecArgument,
    fail: Annotated[
        str | None,
        typer.Option(
            "--fail",
            help="What fails: a cluster, a component, component@cluster, git or harbor.",
        ),
    ] = None,
    duration: Annotated[
        str | None, typer.Option("--for", help="How long, e.g. 30m or 3h (at most 365d).")
    ] = None,
    scenario: Annotated[
        Path | None, typer.Option("--scenario", help="A multi-step scenario file (YAML).")
    ] = None,
    all_single: Annotated[
        bool,
        typer.Option(
            "--all-single-failures", help="Every single cluster and service failure, as a matrix."
        ),
    ] = False,
    output: OutputOption = OutputFormat.text,
    svg: Annotated[
        Path | None, typer.Option("--svg", help="Also draw the incident as an SVG chart.")
    ] = None,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Exit 1 when a contract clause or an SLO does not hold."),
    ] = False,
) -> int:
    """Simulate failures: what degrades when, which contract clauses and SLOs hold."""
    request = SimulateRequest(fail, duration, scenario, all_single, svg, strict)
    return simulate_command(spec, request, output)


@app.command("diff")
@exit_codes
def diff(
    old: Annotated[
        Path,
        typer.Argument(help="The current spec, or a rendered folder.", show_default=False),
    ],
    new: Annotated[
        Path,
        typer.Argument(help="The proposed spec, or a rendered folder.", show_default=False),
    ],
    output: OutputOption = OutputFormat.text,
    manifests: Annotated[
        bool,
        typer.Option(
            "--manifests",
            help="Compare the rendered trees object by object (implied for a rendered folder).",
        ),
    ] = False,
    fail_on_disruptive: Annotated[
        bool,
        typer.Option("--fail-on-disruptive", help="Exit 1 when a change is disruptive."),
    ] = False,
) -> int:
    """Show every spec change, or every rendered object change, and which are disruptive."""
    return diff_command(
        old, new, output, manifests=manifests, fail_on_disruptive=fail_on_disruptive
    )


@app.command("init")
@exit_codes
def init(
    edition: Annotated[
        Edition, typer.Option(help="community, standard or enterprise.")
    ] = "standard",
    provider: Annotated[Provider, typer.Option(help="aws, onprem or local.")] = "local",
    topology: Annotated[
        Topology, typer.Option(help="single cluster, or mgmt + two app clusters.")
    ] = "multi",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> int:
    """Write a commented starter platform.yaml that plans without errors."""
    return init_command(edition, provider, topology, output, force)


@app.command("schema")
@exit_codes
def schema() -> int:
    """Print the JSON Schema of platform.yaml (for editor completion)."""
    return schema_command()


@app.command("catalog")
@exit_codes
def catalog(output: OutputOption = OutputFormat.text) -> int:
    """List the components Stackyard can plan, with placement and upstream status."""
    return catalog_command(output)


@app.command("version")
@exit_codes
def version() -> int:
    """Print the Stackyard version."""
    typer.echo(__version__)
    return 0


def run() -> None:
    """Console-script entry point."""
    app()
