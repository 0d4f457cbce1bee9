"""Safe, position-aware YAML reading shared by every layer."""

from stackyard.yamlio.loader import (
    LocatedDocument,
    load_yaml_documents,
    load_yaml_text,
    read_yaml_file,
)

__all__ = ["LocatedDocument", "load_yaml_documents", "load_yaml_text", "read_yaml_file"]
