"""``stackyard init [FILE]``: write a commented starter spec that plans cleanly."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

from stackyard.app import Edition, Provider, Topology, init
from stackyard.cli.output import notice, print_json
from stackyard.cli.results import exit_status


class StarterFormat(StrEnum):
    """How ``init`` prints: the commented spec itself, or a JSON document holding it.

    ``text`` is the same as ``yaml``: the commented spec is init's text output, and
    ``-o text`` works here as on every other command (it is not a file named ``text``).
    """

    yaml = "yaml"
    text = "text"
    json = "json"


def init_command(
    edition: Edition,
    provider: Provider,
    topology: Topology,
    output: Path | None,
    force: bool,
    output_format: StarterFormat = StarterFormat.yaml,
) -> int:
    """Write the starter spec to ``output`` (stdout when None); never clobber by accident."""
    starter = init(edition, provider, topology, output, force=force)
    if output_format is StarterFormat.json:
        print_json(starter.as_dict())
    elif starter.path is None:
        sys.stdout.write(starter.text)
    if starter.path is not None:
        notice(f"wrote {starter.path}")
    return exit_status(starter)
