"""``stackyard schema``: the JSON Schema of platform.yaml, for editor completion."""

from __future__ import annotations

import json
import sys
from typing import Any

from stackyard.cli.errors import OK
from stackyard.spec import Platform

SCHEMA_ID = "https://stackyard.dev/schemas/platform-v1alpha1.json"


def platform_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the platform spec."""
    schema = Platform.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def schema_command() -> int:
    """Print the schema."""
    sys.stdout.write(json.dumps(platform_schema(), indent=2, sort_keys=True) + "\n")
    return OK
