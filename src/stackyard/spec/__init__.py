"""The platform spec: ``platform.yaml`` as a typed, validated model."""

from stackyard.spec.airgap import Airgap
from stackyard.spec.apis import Api, ApiAuth, ApiConsumer, ApiPlan, Limit
from stackyard.spec.directorycas import DirectoryCa
from stackyard.spec.hardening import Audit, EncryptionAtRest, Hardening
from stackyard.spec.identity import Directory, Identity
from stackyard.spec.load import LoadedSpec, load_spec, load_spec_text, validate_spec
from stackyard.spec.mesh import Mesh, MeshMode, Service, ServicePort, ServiceVersion
from stackyard.spec.model import (
    API_VERSION,
    Cluster,
    ComponentOverride,
    Distribution,
    Edition,
    Platform,
    Provider,
    Role,
    Tenant,
)
from stackyard.spec.openapi import OpenApiDocument
from stackyard.yamlio import field_path

__all__ = [
    "API_VERSION",
    "Airgap",
    "Api",
    "ApiAuth",
    "ApiConsumer",
    "ApiPlan",
    "Audit",
    "Cluster",
    "ComponentOverride",
    "Directory",
    "DirectoryCa",
    "Distribution",
    "Edition",
    "EncryptionAtRest",
    "Hardening",
    "Identity",
    "Limit",
    "LoadedSpec",
    "Mesh",
    "MeshMode",
    "OpenApiDocument",
    "Platform",
    "Provider",
    "Role",
    "Service",
    "ServicePort",
    "ServiceVersion",
    "Tenant",
    "field_path",
    "load_spec",
    "load_spec_text",
    "validate_spec",
]
