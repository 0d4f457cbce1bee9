"""The component catalog: what can run, where, and what it needs, as data."""

from stackyard.catalog.load import Catalog, build_catalog, load_catalog
from stackyard.catalog.model import Component, ValuesData

__all__ = ["Catalog", "Component", "ValuesData", "build_catalog", "load_catalog"]
