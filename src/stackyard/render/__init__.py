"""Render a plan into an Argo CD GitOps repository (and node bootstrap files)."""

from stackyard.render.marker import RenderMarker, read_marker
from stackyard.render.metadata import RenderMetadata
from stackyard.render.tree import RenderedTree
from stackyard.render.write import Difference, WriteReport, check_tree, write_tree

__all__ = [
    "Difference",
    "RenderMarker",
    "RenderMetadata",
    "RenderedTree",
    "WriteReport",
    "check_tree",
    "read_marker",
    "write_tree",
]
