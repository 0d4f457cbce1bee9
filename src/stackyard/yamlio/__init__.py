"""Safe, position-aware YAML reading shared by every layer."""

from stackyard.yamlio.loader import (
    LocatedDocument,
    iter_yaml_documents,
    load_yaml_documents,
    load_yaml_text,
    read_yaml_file,
)

__all__ = [
    "LocatedDocument",
    "iter_yaml_documents",
    "load_yaml_documents",
    "load_yaml_text",
    "read_yaml_file",
]
