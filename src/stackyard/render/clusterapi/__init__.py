"""Cluster API: the app clusters on AWS as objects on the mgmt cluster.

``providers`` renders what installs Cluster API itself (the operator's provider objects);
``machines`` a cluster's infrastructure and worker machines; ``controlplane`` its control
plane and bootstrap configuration per distribution; ``registration`` how Argo CD learns
the new cluster. ``clusterapi_manifests`` places the providers with the operator's
Application on mgmt, ``cluster_manifests`` one cluster's objects for its own Application.
"""

from stackyard.render.clusterapi.build import (
    OPERATOR,
    cluster_manifests,
    clusterapi_manifests,
    objects_folder,
    provisioned,
)
from stackyard.render.clusterapi.registration import registers_through_external_secrets

__all__ = [
    "OPERATOR",
    "cluster_manifests",
    "clusterapi_manifests",
    "objects_folder",
    "provisioned",
    "registers_through_external_secrets",
]
