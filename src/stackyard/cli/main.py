"""Wire the subcommands into one Typer application.

The convention every command follows (kubectl, helm and gh do the same): ``-o/--output``
is the output format; files and directories are arguments or their own options; the
root takes ``--version`` and ``--quiet``; flags show no value in ``--help``; shell
completion comes from ``--install-completion`` and ``--show-completion``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec

import typer

from stackyard import __version__
from stackyard.app import (
    AssessRequest,
    Edition,
    Provider,
    Role,
    SimulateRequest,
    TokenScope,
    Topology,
)
from stackyard.cli import options
from stackyard.cli.assessment_tables import REPORT_WIDTH
from stackyard.cli.commands.assess import AssessOutput, assess_command
from stackyard.cli.commands.bundle import (
    bundle_create_command,
    bundle_keygen_command,
    bundle_push_command,
    bundle_verify_command,
)
from stackyard.cli.commands.catalog import catalog_command
from stackyard.cli.commands.charts import charts_pull_command
from stackyard.cli.commands.cluster import (
    ChangeOptions,
    ClusterOptions,
    deregister_command,
    register_command,
)
from stackyard.cli.commands.diff import diff_command
from stackyard.cli.commands.dr import DrillOutput, drill_etcd_command, runbook_command
from stackyard.cli.commands.identity import identity_check_command
from stackyard.cli.commands.images import ImagesListOutput, images_list_command
from stackyard.cli.commands.init import StarterFormat, init_command
from stackyard.cli.commands.migrate import MigrationOutput, migrate_plan_command
from stackyard.cli.commands.plan import plan_command
from stackyard.cli.commands.pull import images_pull_command
from stackyard.cli.commands.push import git_push_command, images_push_command
from stackyard.cli.commands.render import RenderOptions, render_command
from stackyard.cli.commands.schema import schema_command
from stackyard.cli.commands.serve import DEFAULT_HOST, DEFAULT_PORT, serve_command
from stackyard.cli.commands.simulate import simulate_command
from stackyard.cli.commands.token import (
    StoreOptions,
    token_create_command,
    token_list_command,
    token_revoke_command,
)
from stackyard.cli.commands.validate import validate_command
from stackyard.cli.deprecated import OldOutputPath, format_or_path
from stackyard.cli.errors import OK, exit_codes
from stackyard.cli.help import Command, Group
from stackyard.cli.output import OutputFormat

app = typer.Typer(
    name="stackyard",
    help="Plan, render, validate and assess one Kubernetes platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=Group,
)
P = ParamSpec("P")


def command_group(parent: typer.Typer, name: str, help_text: str) -> typer.Typer:
    """A subcommand group under ``parent`` (``stackyard dr drill ...``), help shown when bare."""
    group = typer.Typer(name=name, help=help_text, no_args_is_help=True, cls=Group)
    parent.add_typer(group)
    return group


def command(name: str) -> Callable[[Callable[P, None]], Callable[P, None]]:
    """Register a subcommand whose flags show no value metavar in ``--help``."""
    return app.command(name, cls=Command)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit(0)


@app.callback()
def root(
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="No summaries, notices or progress on stderr; errors and warnings still show.",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the Stackyard version and exit.",
        ),
    ] = False,
) -> None:
    """Plan, render, validate and assess one Kubernetes platform."""
    options.configure(quiet=quiet)


SpecArgument = Annotated[
    Path,
    typer.Argument(metavar="SPEC", help="The platform spec (platform.yaml).", show_default=False),
]
OutputOption = Annotated[
    OutputFormat, typer.Option("--output", "-o", help="text for people, json for tools.")
]


@command("plan")
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


@command("render")
@exit_codes
def render(
    spec: SpecArgument,
    directory: Annotated[
        Path | None,
        typer.Argument(
            metavar="DIR", help="Directory of the GitOps repository.", show_default=False
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="<text|json>",
            help="text for people, json for tools (the files written, or the --check result). "
            "'-o DIR' is deprecated: name DIR as the second argument.",
            autocompletion=lambda: list(OutputFormat),
            show_default=False,
        ),
    ] = None,
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
    old = OldOutputPath("DIR", "stackyard render SPEC DIR")
    fmt, target = format_or_path(
        output, OutputFormat, OutputFormat.text, directory, old, required=True
    )
    assert target is not None
    return render_command(spec, target, RenderOptions(check, force, commit, message), fmt)


@command("validate")
@exit_codes
def validate(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="A rendered GitOps tree.", show_default=False)
    ],
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


@command("assess")
@exit_codes
def assess(
    directory: Annotated[
        Path,
        typer.Argument(
            metavar="DIR", help="Any platform repository or Git work tree.", show_default=False
        ),
    ],
    output: Annotated[
        AssessOutput, typer.Option("--output", "-o", help="text, json, markdown, html or sarif.")
    ] = AssessOutput.text,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Write the report here instead of stdout "
            f"(text: plain, {REPORT_WIDTH} columns wide).",
        ),
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


@command("simulate")
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
    drills: Annotated[
        Path | None,
        typer.Option(
            "--drills",
            help="Drill records (a repository's dr/drills): each cluster's newest measured "
            "etcd restore replaces the documented estimate.",
        ),
    ] = None,
) -> int:
    """Simulate failures: what degrades when, which contract clauses and SLOs hold."""
    request = SimulateRequest(fail, duration, scenario, all_single, svg, strict, drills)
    return simulate_command(spec, request, output)


@command("diff")
@exit_codes
def diff(
    old: Annotated[
        Path,
        typer.Argument(
            metavar="OLD", help="The current spec, or a rendered folder.", show_default=False
        ),
    ],
    new: Annotated[
        Path,
        typer.Argument(
            metavar="NEW", help="The proposed spec, or a rendered folder.", show_default=False
        ),
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


identity_app = command_group(app, "identity", "Check the identity providers the spec declares.")


@identity_app.command("check", cls=Command)
@exit_codes
def identity_check(
    spec: SpecArgument,
    directory: Annotated[
        str | None, typer.Option("--directory", help="Check only the directory of this name.")
    ] = None,
    password_env: Annotated[
        str | None,
        typer.Option(
            "--password-env",
            help="Environment variable holding the bind password.",
        ),
    ] = None,
    password_file: Annotated[
        Path | None,
        typer.Option("--password-file", help="File holding the bind password."),
    ] = None,
    timeout: Annotated[
        int,
        typer.Option(
            "--timeout", min=1, max=120, help="Seconds to wait to connect and for each answer."
        ),
    ] = 5,
    output: OutputOption = OutputFormat.text,
) -> int:
    """Bind to each company directory and run Keycloak's user and group searches."""
    return identity_check_command(
        spec,
        output,
        directory=directory,
        password_env=password_env,
        password_file=password_file,
        timeout=timeout,
    )


charts_app = command_group(
    app, "charts", "Chart archives for an air-gapped install: pull them into a local chart store."
)


@charts_app.command("pull", cls=Command)
@exit_codes
def charts_pull(
    source: Annotated[
        Path,
        typer.Argument(
            metavar="SPEC|RENDERED",
            help="A platform spec, or a rendered GitOps tree.",
            show_default=False,
        ),
    ],
    directory: Annotated[
        Path,
        typer.Option(
            "--directory",
            "-d",
            help="The chart store (validate --hydrate --charts DIR reads it).",
            show_default=False,
        ),
    ],
    repository_map: Annotated[
        list[str] | None,
        typer.Option(
            "--repository-map",
            metavar="ORIGINAL=MIRROR",
            help="Fetch the charts of repository ORIGINAL from MIRROR (repeatable).",
        ),
    ] = None,
    ca_file: Annotated[
        Path | None,
        typer.Option(
            "--ca-file", help="PEM CA bundle to trust for the repositories and registries."
        ),
    ] = None,
    output: OutputOption = OutputFormat.text,
) -> int:
    """Fetch every pinned chart the render needs, digest checked, into a local chart store."""
    return charts_pull_command(source, directory, repository_map or [], output, ca_file)


dr_app = command_group(app, "dr", "Disaster recovery: prove that backups restore.")
drill_app = command_group(
    dr_app, "drill", "Restore drills: restore a backup somewhere harmless and measure it."
)


@drill_app.command("etcd", cls=Command)
@exit_codes
def dr_drill_etcd(
    endpoint: Annotated[
        str | None,
        typer.Option("--endpoint", help="The source etcd's client URL, to snapshot and compare."),
    ] = None,
    cacert: Annotated[
        Path | None, typer.Option("--cacert", help="CA bundle that signed the etcd server.")
    ] = None,
    cert: Annotated[
        Path | None, typer.Option("--cert", help="Client certificate for the source etcd.")
    ] = None,
    key: Annotated[
        Path | None, typer.Option("--key", help="Client certificate's private key.")
    ] = None,
    spec: Annotated[
        Path | None,
        typer.Option("--spec", help="The platform spec whose slo.rto the recovery is held to."),
    ] = None,
    snapshot: Annotated[
        str | None,
        typer.Option(
            "--snapshot",
            help="Restore this snapshot file, or s3://BUCKET/KEY (s3://BUCKET/FOLDER/: its "
            "newest), instead of taking one.",
        ),
    ] = None,
    from_s3: Annotated[
        bool,
        typer.Option(
            "--from-s3",
            help="Restore the newest snapshot copied to object storage for --cluster (by "
            "RKE2 or the kubeadm snapshot CronJob), with the spec's settings (needs --spec).",
        ),
    ] = False,
    restore_dir: Annotated[
        Path | None,
        typer.Option(
            "--restore-dir",
            help="Restore here (must not exist; kept) instead of a temporary folder.",
        ),
    ] = None,
    sample: Annotated[int, typer.Option("--sample", help="Keys compared value by value.")] = 20,
    timeout: Annotated[
        int,
        typer.Option(
            "--timeout", min=1, max=3600, help="Seconds the restored etcd may take to be healthy."
        ),
    ] = 60,
    evidence: Annotated[
        Path | None,
        typer.Option("--evidence", help="Also write the Markdown evidence record here."),
    ] = None,
    record: Annotated[
        Path | None,
        typer.Option(
            "--record",
            help="Keep the drill's JSON and evidence in DIR/<cluster>/ (a repository's dr/drills).",
        ),
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            help="The cluster the drill is recorded for (--record) and whose object-store "
            "snapshots it restores (--from-s3).",
        ),
    ] = None,
    output: Annotated[
        DrillOutput, typer.Option("--output", "-o", help="text, json or markdown.")
    ] = DrillOutput.text,
) -> int:
    """Snapshot etcd (or take a snapshot file), restore it on loopback, compare, time it."""
    return drill_etcd_command(
        output,
        endpoint=endpoint,
        cacert=cacert,
        cert=cert,
        key=key,
        spec=spec,
        snapshot=snapshot,
        from_s3=from_s3,
        restore_dir=restore_dir,
        sample=sample,
        timeout=timeout,
        evidence=evidence,
        record=record,
        cluster=cluster,
    )


@dr_app.command("runbook", cls=Command)
@exit_codes
def dr_runbook(
    spec: SpecArgument,
    directory: Annotated[
        Path,
        typer.Option(
            "--directory",
            "-d",
            help="The platform repository: runbooks go to dr/runbooks/, drill records are "
            "read from dr/drills/.",
        ),
    ] = Path("."),
    cluster: Annotated[
        list[str] | None,
        typer.Option("--cluster", help="Only this cluster's runbook (repeatable)."),
    ] = None,
    output: OutputOption = OutputFormat.text,
) -> int:
    """Write a recovery runbook per cluster: exact commands and recovery times per scenario."""
    return runbook_command(spec, output, directory=directory, clusters=tuple(cluster or ()))


bundle_app = command_group(
    app,
    "bundle",
    "Air-gap bundles: the charts, images and GitOps repository in one signed archive.",
)
BundleKeyOption = Annotated[
    Path,
    typer.Option(
        "--key",
        help="The Ed25519 private key (PEM) that signs the bundle, as bundle keygen writes it.",
        show_default=False,
    ),
]


@bundle_app.command("create", cls=Command)
@exit_codes
def bundle_create(
    rendered: Annotated[
        Path,
        typer.Argument(
            metavar="RENDERED",
            help="The rendered GitOps repository (a Git work tree with a commit).",
            show_default=False,
        ),
    ],
    target: Annotated[
        Path,
        typer.Argument(
            metavar="BUNDLE", help="The bundle file to write (a tar).", show_default=False
        ),
    ],
    key: BundleKeyOption,
    charts: Annotated[
        Path | None,
        typer.Option("--charts", help="A chart store: every *.tgz in it goes into the bundle."),
    ] = None,
    images: Annotated[
        list[Path] | None,
        typer.Option(
            "--images",
            help="An OCI image layout whose named images go into the bundle (repeatable).",
        ),
    ] = None,
    since: Annotated[
        Path | None,
        typer.Option(
            "--since",
            help="An older bundle: write only the blobs it lacks (a differential bundle).",
        ),
    ] = None,
    platform: Annotated[
        list[str] | None,
        typer.Option(
            "--platform",
            help="Carry only this platform of each image, OS/ARCH\\[/VARIANT] such as "
            "linux/arm64 (repeatable; default: every platform).",
        ),
    ] = None,
    rehash: Annotated[
        bool,
        typer.Option(
            "--rehash",
            help="Hash every image blob, even one its layout's verification record shows "
            "unchanged since images pull checked it.",
        ),
    ] = False,
    output: OutputOption = OutputFormat.text,
) -> int:
    """Pack the charts, images and GitOps repository into one signed bundle."""
    return bundle_create_command(
        rendered,
        target,
        output,
        key=key,
        charts=charts,
        images=tuple(images or ()),
        since=since,
        platforms=tuple(platform or ()),
        rehash=rehash,
    )


@bundle_app.command("verify", cls=Command)
@exit_codes
def bundle_verify(
    bundle: Annotated[
        Path, typer.Argument(metavar="BUNDLE", help="The bundle to check.", show_default=False)
    ],
    key: Annotated[
        Path,
        typer.Option(
            "--key",
            help="The Ed25519 public key (PEM) the bundle was signed with.",
            show_default=False,
        ),
    ],
    unpack: Annotated[
        Path | None,
        typer.Option(
            "--unpack",
            help="Also write the verified content out as an OCI image layout in this new folder.",
        ),
    ] = None,
    output: OutputOption = OutputFormat.text,
) -> int:
    """Check the bundle's signature and every blob's digest and size; exit 2 at a mismatch."""
    return bundle_verify_command(bundle, output, key=key, unpack=unpack)


@bundle_app.command("keygen", cls=Command)
@exit_codes
def bundle_keygen(
    private: Annotated[
        Path,
        typer.Argument(
            metavar="KEY",
            help="The private key file to write (mode 0600); the public key goes to KEY.pub.",
            show_default=False,
        ),
    ],
) -> int:
    """Make an Ed25519 key pair to sign and verify bundles; no file is ever overwritten."""
    return bundle_keygen_command(private)


migrate_app = command_group(app, "migrate", "Move tenant namespaces between clusters with Velero.")


@migrate_app.command("plan", cls=Command)
@exit_codes
def migrate_plan(
    spec: SpecArgument,
    from_cluster: Annotated[
        str, typer.Option("--from", help="The cluster the namespaces leave.", show_default=False)
    ],
    to_cluster: Annotated[
        str, typer.Option("--to", help="The cluster they move to.", show_default=False)
    ],
    namespace: Annotated[
        list[str] | None,
        typer.Option(
            "--namespace",
            help="A tenant namespace to move, NS or NS=NEW to rename it on the target "
            "(repeatable; default: every tenant namespace on the source).",
        ),
    ] = None,
    storage_class_map: Annotated[
        list[str] | None,
        typer.Option(
            "--storage-class-map",
            help="OLD=NEW: restore claims of class OLD with class NEW (repeatable; default: "
            "a class the target lacks becomes its default class).",
        ),
    ] = None,
    to_spec: Annotated[
        Path | None,
        typer.Option(
            "--to-spec", help="The spec the target cluster is in, when it is another platform."
        ),
    ] = None,
    write: Annotated[
        Path | None,
        typer.Option(
            "--write",
            help="Write the objects and runbook to DIR/migrations/<name>/ of the source's "
            "rendered tree.",
        ),
    ] = None,
    output: Annotated[
        MigrationOutput,
        typer.Option(
            "--output", "-o", help="text, json, yaml (the objects) or markdown (runbook)."
        ),
    ] = MigrationOutput.text,
) -> int:
    """Plan a Velero migration: Backup, read-only location, Restore, pre-flight, runbook."""
    return migrate_plan_command(
        spec,
        output,
        from_cluster=from_cluster,
        to_cluster=to_cluster,
        namespaces=tuple(namespace or ()),
        storage_class_map=tuple(storage_class_map or ()),
        to_spec=to_spec,
        write=write,
    )


CaFileOption = Annotated[
    Path | None,
    typer.Option("--ca-file", help="CA bundle (PEM) that signed the server's certificate."),
]

images_app = command_group(
    app,
    "images",
    "List the images a platform runs, pull them into an OCI image layout, and push a "
    "layout's images and charts into a registry.",
)


@images_app.command("push", cls=Command)
@exit_codes
def images_push(
    layout: Annotated[
        Path,
        typer.Argument(help="An OCI image layout directory."),
    ],
    registry: Annotated[
        str,
        typer.Option(
            "--registry",
            help="HOST\\[:PORT]\\[/PREFIX]: the registry and the repository prefix to push under.",
            show_default=False,
        ),
    ],
    ca_file: CaFileOption = None,
    output: OutputOption = OutputFormat.text,
) -> int:
    """Push every image, skipping blobs the registry has; login from STACKYARD_REGISTRY_*."""
    return images_push_command(layout, registry, output, ca_file=ca_file)


@images_app.command("list", cls=Command)
@exit_codes
def images_list(
    rendered: Annotated[
        Path,
        typer.Argument(
            metavar="RENDERED", help="The rendered GitOps repository.", show_default=False
        ),
    ],
    charts: Annotated[
        Path | None,
        typer.Option(
            "--charts",
            help="A chart store (as charts pull writes it): render every chart with its "
            "values to find its images. Without it each chart is reported not inspected.",
        ),
    ] = None,
    output: Annotated[
        ImagesListOutput,
        typer.Option(
            "--output",
            "-o",
            help="text (a table), name (one reference a line, what images pull reads) or json.",
        ),
    ] = ImagesListOutput.text,
) -> int:
    """List every image the platform runs: node components, manifests and hydrated charts."""
    return images_list_command(rendered, output, charts=charts)


@images_app.command("pull", cls=Command)
@exit_codes
def images_pull(
    images: Annotated[
        list[str],
        typer.Argument(
            metavar="IMAGES_FILE|REF...",
            help="A file of image references (one a line, # comments, as validate --hydrate "
            "writes images.txt), or the references themselves.",
            show_default=False,
        ),
    ],
    directory: Annotated[
        Path,
        typer.Option(
            "--directory",
            "-d",
            help="The OCI image layout to pull into (made if missing; bundle create --images "
            "reads it).",
            show_default=False,
        ),
    ],
    platform: Annotated[
        list[str] | None,
        typer.Option(
            "--platform",
            help="Fetch only this platform of each image, OS/ARCH\\[/VARIANT] such as "
            "linux/arm64 (repeatable; default: every platform).",
        ),
    ] = None,
    registry_map: Annotated[
        list[str] | None,
        typer.Option(
            "--registry-map",
            metavar="SRC=MIRROR",
            help="Fetch the images of registry SRC (HOST\\[/PATH]) from MIRROR "
            "(HOST\\[:PORT]\\[/PREFIX]) (repeatable).",
        ),
    ] = None,
    ca_file: CaFileOption = None,
    output: OutputOption = OutputFormat.text,
) -> int:
    """Fetch images, digest checked and resumable, into an OCI image layout."""
    return images_pull_command(
        images,
        directory,
        output,
        platforms=tuple(platform or ()),
        registry_map=tuple(registry_map or ()),
        ca_file=ca_file,
    )


git_app = command_group(app, "git", "Move the GitOps repository (a Git bundle) into a Git server.")


@git_app.command("push", cls=Command)
@exit_codes
def git_push(
    bundle: Annotated[Path, typer.Argument(help="A Git bundle (git bundle create --all).")],
    git: Annotated[
        str,
        typer.Option(
            "--git", help="The internal repository's URL, without credentials.", show_default=False
        ),
    ],
    ca_file: CaFileOption = None,
    output: OutputOption = OutputFormat.text,
) -> int:
    """Push every branch and tag atomically, never forced; login from STACKYARD_GIT_*."""
    return git_push_command(bundle, git, output, ca_file=ca_file)


@bundle_app.command("push", cls=Command)
@exit_codes
def bundle_push(
    bundle: Annotated[
        Path, typer.Argument(metavar="BUNDLE", help="The bundle to push.", show_default=False)
    ],
    key: Annotated[
        Path,
        typer.Option(
            "--key",
            help="The Ed25519 public key (PEM) the bundle was signed with.",
            show_default=False,
        ),
    ],
    registry: Annotated[
        str,
        typer.Option(
            "--registry",
            help="HOST\\[:PORT]\\[/PREFIX]: the registry for the images and charts, and "
            "their prefix.",
            show_default=False,
        ),
    ],
    git: Annotated[
        str,
        typer.Option(
            "--git",
            help="The internal GitOps repository's URL, without credentials.",
            show_default=False,
        ),
    ],
    ca_file: CaFileOption = None,
    output: OutputOption = OutputFormat.text,
) -> int:
    """Verify the bundle, then push its images, charts and GitOps repository; nothing if forged."""
    return bundle_push_command(
        bundle, output, key=key, registry=registry, git_url=git, ca_file=ca_file
    )


cluster_app = command_group(
    app,
    "cluster",
    "Register and deregister a platform's clusters: one Git commit of the spec and its render.",
)
RepositoryArgument = Annotated[
    Path,
    typer.Argument(
        metavar="SPEC_REPO",
        help="The platform's Git repository (its top folder), holding the spec and the render.",
        show_default=False,
    ),
]
SpecPathOption = Annotated[
    str, typer.Option("--spec", help="The spec's path inside the repository.")
]
RenderedOption = Annotated[
    str, typer.Option("--rendered", help="The rendered tree's folder inside the repository.")
]
AuthorOption = Annotated[
    str | None,
    typer.Option(
        "--author",
        metavar="'NAME <EMAIL>'",
        help="The commit's author (default: the repository's Git identity).",
    ),
]
IdempotencyOption = Annotated[
    str | None,
    typer.Option(
        "--idempotency-key",
        help="Recorded in the commit: the same key again returns that commit, not a second one.",
    ),
]
PushOption = Annotated[
    bool,
    typer.Option(
        "--push/--no-push", help="Push the commit to the branch's remote, if there is one."
    ),
]


@cluster_app.command("register", cls=Command)
@exit_codes
def cluster_register(
    repository: RepositoryArgument,
    name: Annotated[str, typer.Option("--name", help="The cluster's name.", show_default=False)],
    services_cidr: Annotated[
        str,
        typer.Option(
            "--services-cidr",
            help="ClusterIP service addresses (network.serviceCIDR).",
            show_default=False,
        ),
    ],
    node_range: Annotated[
        str,
        typer.Option(
            "--node-range",
            help="Node addresses, a CIDR or FIRST-LAST (network.nodeRange).",
            show_default=False,
        ),
    ],
    role: Annotated[Role, typer.Option("--role", help="app, mgmt or standalone.")] = "app",
    pods_cidr: Annotated[
        str | None, typer.Option("--pods-cidr", help="Pod addresses (clusters[].network.podCIDR).")
    ] = None,
    node_subnet: Annotated[
        str | None,
        typer.Option("--node-subnet", help="The L2 network around the nodes (network.nodeSubnet)."),
    ] = None,
    load_balancer_pool: Annotated[
        str | None,
        typer.Option(
            "--load-balancer-pool",
            help="Addresses MetalLB hands out here (network.loadBalancerPool).",
        ),
    ] = None,
    node_pool: Annotated[
        list[str] | None,
        typer.Option(
            "--node-pool",
            metavar="KEY=VALUE,...",
            help="A node pool as its spec keys, e.g. name=cp,role=control-plane,count=3,cpu=4,"
            "memory=8Gi (repeatable).",
        ),
    ] = None,
    label: Annotated[
        list[str] | None,
        typer.Option("--label", "-l", metavar="KEY=VALUE", help="A cluster label (repeatable)."),
    ] = None,
    policy_template: Annotated[
        str | None,
        typer.Option("--policy-template", help="The named policy set the cluster carries."),
    ] = None,
    idempotency_key: IdempotencyOption = None,
    author: AuthorOption = None,
    spec: SpecPathOption = "platform.yaml",
    rendered: RenderedOption = "rendered",
    push: PushOption = True,
    output: OutputOption = OutputFormat.text,
) -> int:
    """Add a cluster to the spec, render, validate, commit both and push; refused on errors."""
    cluster = ClusterOptions(
        name=name,
        role=role,
        node_range=node_range,
        services_cidr=services_cidr,
        pods_cidr=pods_cidr,
        node_subnet=node_subnet,
        load_balancer_pool=load_balancer_pool,
        node_pools=tuple(node_pool or ()),
        labels=tuple(label or ()),
        policy_template=policy_template,
    )
    change = ChangeOptions(spec, rendered, author, idempotency_key, push)
    return register_command(repository, cluster, change, output)


@cluster_app.command("deregister", cls=Command)
@exit_codes
def cluster_deregister(
    repository: RepositoryArgument,
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The cluster to remove.", show_default=False)
    ],
    yes: Annotated[
        bool,
        typer.Option(
            "--yes", "-y", help="Confirm; without it, only show what the removal changes."
        ),
    ] = False,
    idempotency_key: IdempotencyOption = None,
    author: AuthorOption = None,
    spec: SpecPathOption = "platform.yaml",
    rendered: RenderedOption = "rendered",
    push: PushOption = True,
    output: OutputOption = OutputFormat.text,
) -> int:
    """Remove a cluster from the spec and its render in one commit, once confirmed (--yes)."""
    change = ChangeOptions(spec, rendered, author, idempotency_key, push)
    return deregister_command(repository, name, yes, change, output)


@command("init")
@exit_codes
def init(
    file: Annotated[
        Path | None,
        typer.Argument(
            metavar="FILE", help="Write the spec here (default: stdout).", show_default=False
        ),
    ] = None,
    edition: Annotated[
        Edition, typer.Option(help="community, standard or enterprise.")
    ] = "standard",
    provider: Annotated[Provider, typer.Option(help="aws, onprem or local.")] = "local",
    topology: Annotated[
        Topology, typer.Option(help="single cluster, or mgmt + two app clusters.")
    ] = "multi",
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="<yaml|text|json>",
            help="yaml (or text): the commented spec (default); json: the spec and where it "
            "went. "
            "'-o FILE' is deprecated: name FILE as the argument.",
            autocompletion=lambda: list(StarterFormat),
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> int:
    """Write a commented starter platform.yaml that plans without errors."""
    old = OldOutputPath("FILE", "stackyard init FILE")
    fmt, target = format_or_path(output, StarterFormat, StarterFormat.yaml, file, old)
    return init_command(edition, provider, topology, target, force, fmt)


@command("schema")
@exit_codes
def schema() -> int:
    """Print the JSON Schema of platform.yaml (for editor completion)."""
    return schema_command()


# The fleet service's store, for serve and for the token commands that work on it directly.
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Folder of the fleet service's SQLite store (default: $XDG_DATA_HOME/stackyard, "
        "else ~/.local/share/stackyard).",
        show_default=False,
    ),
]
DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="The store as a URL instead: postgresql+psycopg://USER@HOST/DB, or "
        "sqlite:///FILE. Also read from STACKYARD_DATABASE_URL.",
        envvar="STACKYARD_DATABASE_URL",
        show_default=False,
    ),
]


@command("serve")
@exit_codes
def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; loopback unless you mean it.")
    ] = DEFAULT_HOST,
    port: Annotated[int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)] = (
        DEFAULT_PORT
    ),
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    oidc_issuer: Annotated[
        str | None,
        typer.Option(
            "--oidc-issuer",
            help="Sign users in with this OpenID Connect provider (its issuer URL, e.g. a "
            "Keycloak realm's); needed to serve on a non-loopback address.",
            show_default=False,
        ),
    ] = None,
    oidc_client_id: Annotated[
        str | None,
        typer.Option(
            "--oidc-client-id", help="The service's client id at the provider.", show_default=False
        ),
    ] = None,
    oidc_client_secret_file: Annotated[
        Path | None,
        typer.Option(
            "--oidc-client-secret-file",
            help="File holding the client secret (none: a public client, PKCE only).",
            show_default=False,
        ),
    ] = None,
    oidc_ca_file: Annotated[
        Path | None,
        typer.Option(
            "--oidc-ca-file",
            help="PEM file of the CA certificates to trust for the provider's HTTPS "
            "(discovery, token, keys) instead of the system's.",
            show_default=False,
        ),
    ] = None,
    oidc_group_role: Annotated[
        list[str] | None,
        typer.Option(
            "--oidc-group-role",
            help="GROUP=ROLE (viewer, operator or admin), repeatable: the roles the groups "
            "claim grants (default: stackyard-viewers, stackyard-operators, stackyard-admins).",
            show_default=False,
        ),
    ] = None,
    session_secret_file: Annotated[
        Path | None,
        typer.Option(
            "--session-secret-file",
            help="File holding the secret that signs session cookies (default: "
            "session-secret in the data directory, made on first start).",
            show_default=False,
        ),
    ] = None,
    public_url: Annotated[
        str | None,
        typer.Option(
            "--public-url",
            help="The service's address as browsers reach it (behind a proxy): the sign-in "
            "redirect URI and whether cookies are Secure follow it.",
            show_default=False,
        ),
    ] = None,
    insecure_no_auth: Annotated[
        bool,
        typer.Option(
            "--insecure-no-auth",
            help="Serve a non-loopback address without sign-in: every caller an operator.",
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            help="Processes answering requests, sharing the port and the store as replicas "
            "do (one per core the service may use).",
            min=1,
            max=64,
        ),
    ] = 1,
) -> int:
    """Serve the fleet: its web dashboard and the /api/v1 API (until interrupted)."""
    return serve_command(
        host=host,
        port=port,
        database_url=database_url,
        data_dir=data_dir,
        oidc_issuer=oidc_issuer,
        oidc_client_id=oidc_client_id,
        oidc_client_secret_file=oidc_client_secret_file,
        oidc_ca_file=oidc_ca_file,
        oidc_group_roles=oidc_group_role or [],
        session_secret_file=session_secret_file,
        public_url=public_url,
        insecure_no_auth=insecure_no_auth,
        workers=workers,
    )


token_app = command_group(
    app, "token", "API tokens of the fleet service, made and revoked on its store directly."
)
TokenNameArgument = Annotated[
    str, typer.Argument(metavar="NAME", help="The token's name.", show_default=False)
]


@token_app.command("create", cls=Command)
@exit_codes
def token_create(
    name: TokenNameArgument,
    scope: Annotated[
        TokenScope,
        typer.Option("--scope", help="What the token's caller may do.", show_default=False),
    ],
    expires: Annotated[
        str,
        typer.Option(
            "--expires", help="How long it lives: 12h, 30d, 4w (365d at most).", show_default=False
        ),
    ],
    owner: Annotated[
        str | None,
        typer.Option(
            "--owner",
            help="The person it acts for (default: your login name).",
            show_default=False,
        ),
    ] = None,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    output: OutputOption = OutputFormat.text,
) -> int:
    """Create an API token and print it: the only time it is ever shown."""
    store = StoreOptions(database_url, data_dir)
    return token_create_command(name, scope, expires, owner, store, output)


@token_app.command("list", cls=Command)
@exit_codes
def token_list(
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    output: OutputOption = OutputFormat.text,
) -> int:
    """List the API tokens: name, scope, owner, expiry (never a secret)."""
    return token_list_command(StoreOptions(database_url, data_dir), output)


@token_app.command("revoke", cls=Command)
@exit_codes
def token_revoke(
    name: TokenNameArgument,
    data_dir: DataDirOption = None,
    database_url: DatabaseUrlOption = None,
    output: OutputOption = OutputFormat.text,
) -> int:
    """Revoke an API token: it stops working at once."""
    return token_revoke_command(name, StoreOptions(database_url, data_dir), output)


@command("catalog")
@exit_codes
def catalog(output: OutputOption = OutputFormat.text) -> int:
    """List the components Stackyard can plan, with placement and upstream status."""
    return catalog_command(output)


@command("version")
@exit_codes
def version() -> int:
    """Print the Stackyard version."""
    typer.echo(__version__)
    return OK


def run() -> None:
    """Console-script entry point (also ``python -m stackyard``, under the same name)."""
    app(prog_name="stackyard")
