"""Validation of what Stackyard writes against upstream reference data, offline.

Helm values are checked against the pinned chart's keys and ``values.schema.json``;
custom resources against their CRD's OpenAPI schema. The reference data ships in
``validate/data`` (built by ``scripts/build_reference_data.py``).
"""

from stackyard.validate.chartkeys import (
    ChartKeys,
    KeyTree,
    NoKeyTree,
    UnknownKey,
    chart_defaults,
    chart_keys,
    coalesce,
    pinned_charts,
    unknown_keys,
    values_schema_problems,
)
from stackyard.validate.crdschemas import (
    CrdCheck,
    CrdInfo,
    check_resource,
    find_crd,
    json_schema,
    known_crds,
    openapi_to_jsonschema,
    served_versions,
)
from stackyard.validate.schemaerrors import SchemaProblem

__all__ = [
    "ChartKeys",
    "CrdCheck",
    "CrdInfo",
    "KeyTree",
    "NoKeyTree",
    "SchemaProblem",
    "UnknownKey",
    "chart_defaults",
    "chart_keys",
    "check_resource",
    "coalesce",
    "find_crd",
    "json_schema",
    "known_crds",
    "openapi_to_jsonschema",
    "pinned_charts",
    "served_versions",
    "unknown_keys",
    "values_schema_problems",
]
