"""Safe file-system input and output shared by every layer.

Reading (``read``): only regular files are opened, and the byte cap is enforced while
reading, never trusted from ``st_size``. Writing (``write``): one writer for every
output path, which never replaces anything that is not a regular file.
"""

__all__: list[str] = []
