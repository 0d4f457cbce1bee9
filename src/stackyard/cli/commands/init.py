"""``stackyard init``: write a commented starter spec that plans cleanly."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from stackyard.cli.errors import BAD_INPUT, OK
from stackyard.fsio.write import write_text
from stackyard.spec import Edition, Provider, load_spec_text
from stackyard.spec.starter import Topology, starter_spec


def init_command(
    edition: Edition, provider: Provider, topology: Topology, output: Path | None, force: bool
) -> int:
    """Write the starter spec to ``output`` (stdout when None); never clobber by accident."""
    text = starter_spec(edition, provider, topology)
    load_spec_text(text, "<starter>")  # a starter that does not load is a bug: fail loudly
    if output is None:
        sys.stdout.write(text)
        return OK
    if os.path.lexists(output) and not force:
        print(f"error: {output} exists; pass --force to overwrite it", file=sys.stderr)
        return BAD_INPUT
    write_text(output, text, option="--output")
    print(f"wrote {output}", file=sys.stderr)
    return OK
