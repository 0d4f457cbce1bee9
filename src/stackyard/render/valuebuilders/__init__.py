"""Values that depend on the cluster and the plan, computed per component.

Static defaults belong in the component's values file ``catalog/values/<component>.yaml``;
only what must be derived from the spec or plan (cluster names and ids, addresses,
remote-write URLs, routing modes, sizes from the catalog) is computed here. The registry
maps builder name to builder; a catalog entry names its builder (``values.builder``),
and rendering an entry whose builder is not registered is a catalog error.

Policy for addresses, so every component agrees with every other:

- Public names are made by :func:`stackyard.render.addresses.public_host` only:
  ``<name>.<platform.domain>``, or ``<name>.<cluster>.<domain>`` for per-cluster
  endpoints. The gateway or ingress routes for them are rendered as manifests.
- A consumer reaches a platform service through
  :func:`stackyard.render.addresses.endpoint_url`: the in-cluster Service when the
  service runs on the consumer's own cluster, else the public ``https://`` name of the
  service on mgmt. The catalog entries' ``endpoints`` list every such service.
- Secrets are never values: components name existing Secrets (``existingSecret``,
  ``secretKeyRef``); the Secrets come from Vault through External Secrets or from the
  operator.

The builders live in one module per subject (networking, storage, identity,
observability, policy, mesh), each registering its builders by name in its own ``BUILDERS``;
``provider`` answers what they all ask of the infrastructure provider.
:data:`VALUE_BUILDERS` joins the subject registries.
"""

from __future__ import annotations

from stackyard.render.valuebuilders import (
    apis,
    identity,
    mesh,
    networking,
    observability,
    policy,
    storage,
)
from stackyard.render.values import ValueBuilder

# Each builder is registered by exactly one subject module, under the name catalog
# entries use; sorted by name.
VALUE_BUILDERS: dict[str, ValueBuilder] = dict(
    sorted(
        {
            **apis.BUILDERS,
            **identity.BUILDERS,
            **mesh.BUILDERS,
            **networking.BUILDERS,
            **observability.BUILDERS,
            **policy.BUILDERS,
            **storage.BUILDERS,
        }.items()
    )
)

__all__ = ["VALUE_BUILDERS"]
