"""How many clusters one Cilium Cluster Mesh connects, and the ids its clusters take.

Cilium numbers each cluster of a mesh with an id that must be unique across the mesh and
at most the mesh's ``clustermesh.maxConnectedClusters``: 255 by default, 511 at most (the
only two values Cilium supports; 511 takes one bit from the cluster-local security
identities, halving them). Every cluster of a mesh must carry the same maximum, and it
cannot be changed on a running cluster. An agent whose id is above the maximum refuses
to start, mesh or no mesh. See https://docs.cilium.io/en/stable/network/clustermesh/.
"""

from __future__ import annotations

DEFAULT_MAX_CLUSTERS = 255
"""Cilium's default ``clustermesh.maxConnectedClusters``."""

LARGEST_MAX_CLUSTERS = 511
"""The largest ``clustermesh.maxConnectedClusters`` Cilium supports."""


def max_connected_clusters(clusters: int) -> int:
    """The smallest maximum Cilium supports that numbers ``clusters`` meshed clusters."""
    return DEFAULT_MAX_CLUSTERS if clusters <= DEFAULT_MAX_CLUSTERS else LARGEST_MAX_CLUSTERS


def cluster_id(index: int, meshed: bool) -> int:
    """Cilium's ``cluster.id`` for the cluster at ``index`` of the spec's clusters.

    The spec order keeps ids stable as long as clusters are only appended. Outside a
    mesh an id only has to be valid, not unique, so a cluster past Cilium's default
    maximum takes 0, the id of a cluster in no mesh; the plan keeps a mesh within
    :data:`LARGEST_MAX_CLUSTERS`.
    """
    number = index + 1
    return number if meshed or number <= DEFAULT_MAX_CLUSTERS else 0
