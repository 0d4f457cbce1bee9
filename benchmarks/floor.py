"""The parse floor of a tree: reading every YAML file and loading it with libyaml.

What any Python tool pays at least to read the same files; validate's time is measured
against it (``benchmarks/validate_compare.py``).
"""

from __future__ import annotations

import time
from pathlib import Path

import yaml


def parse_floor(root: Path) -> tuple[float, int]:
    """Wall seconds to read every ``.yaml``/``.yml`` under ``root`` and ``yaml.load_all``
    it with ``CSafeLoader`` (in this process, on one core), and the documents loaded."""
    started = time.perf_counter()
    documents = 0
    for path in sorted(root.rglob("*")):
        if path.suffix in (".yaml", ".yml") and path.is_file() and not path.is_symlink():
            documents += sum(1 for _ in yaml.load_all(path.read_bytes(), Loader=yaml.CSafeLoader))
    return time.perf_counter() - started, documents
