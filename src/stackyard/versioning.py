"""The one schema-version field every JSON output carries.

It sits in the bottom layer so that every package (assess, which may not import
``stackyard.app``, included) names its JSON shape the same way; ``stackyard.app``
re-exports :func:`schema_id`.
"""

from __future__ import annotations

SCHEMA_HOST = "stackyard.dev"


def schema_id(name: str, version: int = 1) -> str:
    """The versioned name of a JSON shape: ``stackyard.dev/<name>/v<version>``.

    It is the value of the ``"schema"`` key that opens every JSON output, and the
    ``$id`` of its JSON Schema in ``docs/schemas/<name>.v<version>.json``: a reader checks
    it before trusting any other field (``assess --compare`` does).
    """
    return f"{SCHEMA_HOST}/{name}/v{version}"
