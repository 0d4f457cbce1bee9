"""Safe, position-aware YAML reading shared by every layer."""

from stackyard.yamlio.loader import (
    LocatedDocument,
    iter_yaml_documents,
    load_yaml_documents,
    load_yaml_text,
    read_text_file,
    read_yaml_document,
    read_yaml_file,
)
from stackyard.yamlio.models import field_path, type_at, validate_document

__all__ = [
    "LocatedDocument",
    "field_path",
    "iter_yaml_documents",
    "load_yaml_documents",
    "load_yaml_text",
    "read_text_file",
    "read_yaml_document",
    "read_yaml_file",
    "type_at",
    "validate_document",
]
