"""Cluster API: the app clusters on AWS as objects on the mgmt cluster.

``providers`` renders what installs Cluster API itself (the operator's provider objects);
``machines`` a cluster's infrastructure and worker machines; ``controlplane`` its control
plane and bootstrap configuration per distribution; ``registration`` how Argo CD learns
the new cluster. ``clusterapi_manifests`` places all of them with the operator's
Application on mgmt.
"""

from stackyard.render.clusterapi.build import (
    OPERATOR,
    clusterapi_manifests,
    provisioned,
)
from stackyard.render.clusterapi.registration import registers_through_external_secrets

__all__ = [
    "OPERATOR",
    "clusterapi_manifests",
    "provisioned",
    "registers_through_external_secrets",
]
