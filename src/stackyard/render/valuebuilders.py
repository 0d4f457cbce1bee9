"""Values that depend on the cluster and the plan, computed per component.

Static defaults belong in ``values_data/<component>.yaml``; only what must be
derived from the spec or plan (cluster names and ids, addresses, remote-write URLs,
routing modes) is computed here. The registry maps component name to builder.
"""

from __future__ import annotations

from stackyard.render.values import ValueBuilder

VALUE_BUILDERS: dict[str, ValueBuilder] = {}
