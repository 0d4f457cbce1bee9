"""``stackyard schema``: the JSON Schema of platform.yaml, for editor completion."""

from __future__ import annotations

import json
import sys

from stackyard.app import platform_schema
from stackyard.cli.errors import OK


def schema_command() -> int:
    """Print the schema."""
    sys.stdout.write(json.dumps(platform_schema(), indent=2, sort_keys=True) + "\n")
    return OK
