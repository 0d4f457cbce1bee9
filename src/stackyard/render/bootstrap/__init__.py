"""Node bootstrap files per cluster: what must exist before Argo CD can run.

Builders return :class:`NodeFile` items under ``nodes/<cluster>/``; these files are
not synced by Argo CD (they configure the nodes that will run it).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from stackyard.plan import ClusterPlan
from stackyard.render.context import RenderContext


@dataclass(frozen=True)
class NodeFile:
    """One file under ``nodes/<cluster>/``."""

    path: str
    text: str


BootstrapBuilder = Callable[[RenderContext, ClusterPlan], Iterable[NodeFile]]

ALL_BOOTSTRAP: tuple[BootstrapBuilder, ...] = ()

__all__ = ["ALL_BOOTSTRAP", "BootstrapBuilder", "NodeFile"]
