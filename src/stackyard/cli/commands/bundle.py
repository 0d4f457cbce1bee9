"""``stackyard bundle``: create, verify and sign air-gap bundles; print what was done."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

from stackyard.app import (
    BundleResult,
    check_bundle,
    make_bundle,
    make_signing_keys,
    push_bundle,
)
from stackyard.cli.output import OutputFormat, console, line_printer, notice, print_json, warn
from stackyard.cli.progress import progress_display
from stackyard.cli.pushes import say_git_pushed, say_images_pushed
from stackyard.cli.results import exit_status


def bundle_create_command(
    rendered: Path,
    target: Path,
    output: OutputFormat,
    *,
    key: Path,
    charts: Path | None,
    images: tuple[Path, ...],
    since: Path | None,
    platforms: tuple[str, ...] = (),
    rehash: bool = False,
) -> int:
    """Write the bundle; list what it holds."""
    with progress_display() as progress:
        result = make_bundle(
            rendered,
            target,
            key=key,
            charts=charts,
            images=images,
            since=since,
            platforms=platforms,
            rehash=rehash,
            progress=progress,
        )
    _print(result, output)
    return exit_status(result)


def bundle_verify_command(
    bundle: Path, output: OutputFormat, *, key: Path, unpack: Path | None
) -> int:
    """Verify the bundle (exit 2 at the first problem); list what it holds."""
    with progress_display() as progress:
        result = check_bundle(bundle, key=key, unpack=unpack, progress=progress)
    _print(result, output)
    if unpack is not None:
        notice(f"unpacked as an OCI image layout into {unpack}")
    return exit_status(result)


def bundle_push_command(
    bundle: Path,
    output: OutputFormat,
    *,
    key: Path,
    registry: str,
    git_url: str,
    ca_file: Path | None,
) -> int:
    """Verify the bundle, then push its images, charts and GitOps repository; exit 2 on a fault."""
    with progress_display() as progress:
        result = push_bundle(
            bundle, key=key, registry=registry, git_url=git_url, ca_file=ca_file, progress=progress
        )
    if output is OutputFormat.json:
        print_json(result.as_dict())
        return 0
    notice(f"bundle {bundle} verified: manifest {result.verified.manifest_digest}")
    say_images_pushed(result.images)
    say_git_pushed(result.git)
    return 0


def bundle_keygen_command(private: Path) -> int:
    """Write a key pair; print where, and the public key's fingerprint (never the key)."""
    pair = make_signing_keys(private)
    say = line_printer(console())
    say(escape(f"private key: {pair.private} (keep it secret; it signs bundles)"))
    say(escape(f"public key: {pair.public} (give it to whoever verifies bundles)"))
    say(escape(f"fingerprint: {pair.fingerprint}"))
    return 0


def _print(result: BundleResult, output: OutputFormat) -> None:
    for image in result.missing_images:
        warn(f"warning: the platform runs {image}, which the bundle does not carry")
    for gap in result.not_inspected:
        warn(
            f"warning: {gap.where}: {gap.kind} {gap.name} not inspected, {gap.reason}: "
            "the bundle may lack its images"
        )
    if output is OutputFormat.json:
        print_json(result.as_dict())
        return
    say = line_printer(console())
    for artifact in result.artifacts:
        platforms = f" ({', '.join(artifact['platforms'])})" if artifact["platforms"] else ""
        say(escape(f"{artifact['kind']}: {artifact['reference']}{platforms} {artifact['digest']}"))
    base = f", {result.blobs_in_base} in base {result.base}" if result.base else ""
    checked = (
        f" ({result.blobs_hashed} hashed, {result.blobs_trusted} unchanged since verified)"
        if result.action == "created"
        else ""
    )
    notice(
        f"bundle {result.path} {result.action}: {len(result.artifacts)} artifacts, "
        f"{result.blobs_stored} blobs stored{checked}{base}, {result.size} bytes, "
        f"manifest {result.manifest_digest}"
    )
