"""Render a plan into an Argo CD GitOps repository (and node bootstrap files)."""

from stackyard.render.tree import RenderedTree
from stackyard.render.write import write_tree

__all__ = ["RenderedTree", "write_tree"]
