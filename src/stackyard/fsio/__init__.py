"""Safe file-system input and output shared by every layer.

Reading (``read``): only regular files are opened, and the byte cap is enforced while
reading, never trusted from ``st_size``. Writing (``write``): one writer for every
output path, which never replaces anything that is not a regular file.
"""

from stackyard.fsio.read import file_kind, read_input_bytes, read_tree_file

__all__: list[str] = [
    "file_kind",
    "read_input_bytes",
    "read_tree_file",
]
