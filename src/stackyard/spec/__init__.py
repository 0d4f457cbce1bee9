"""The platform spec: ``platform.yaml`` as a typed, validated model."""

from stackyard.spec.load import LoadedSpec, load_spec, load_spec_text, validate_spec
from stackyard.spec.model import (
    API_VERSION,
    Cluster,
    ComponentOverride,
    Distribution,
    Edition,
    Platform,
    Provider,
    Role,
)
from stackyard.yamlio import field_path

__all__ = [
    "API_VERSION",
    "Cluster",
    "ComponentOverride",
    "Distribution",
    "Edition",
    "LoadedSpec",
    "Platform",
    "Provider",
    "Role",
    "field_path",
    "load_spec",
    "load_spec_text",
    "validate_spec",
]
