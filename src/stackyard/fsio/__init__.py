"""Safe file-system input and output shared by every layer.

Reading (``read``): only regular files are opened, and the byte cap is enforced while
reading, never trusted from ``st_size``. Writing (``write``): one writer for every
output path, which never replaces anything that is not a regular file.
"""

from stackyard.fsio.lock import exclusive_lock
from stackyard.fsio.read import file_kind, read_input_bytes, read_tree_file
from stackyard.fsio.write import make_folders, remove_file, write_bytes, write_text

__all__: list[str] = [
    "exclusive_lock",
    "file_kind",
    "make_folders",
    "read_input_bytes",
    "read_tree_file",
    "remove_file",
    "write_bytes",
    "write_text",
]
