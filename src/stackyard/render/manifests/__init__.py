"""Per-cluster platform manifests, each kind of object built by a registered builder.

A builder returns :class:`Placed` groups: ``base`` files sync first through the
``platform-base`` ApplicationSet (namespaces, quotas, network policy); files grouped
under a component sync with that component's Application, after its CRDs exist.
The registry is the explicit tuple below.
"""

from stackyard.render.manifests.base import Placed, builders_output
from stackyard.render.manifests.namespaces import namespace_manifests

ALL_BUILDERS = (namespace_manifests,)

__all__ = ["ALL_BUILDERS", "Placed", "builders_output"]
