"""The reference data is as scripts/build_reference_data.py derived it, not edited by hand.

Files derived from upstream projects outside ../shared (``--extra-sources``) are kept as
they are by a build without those sources, so only the digests the build recorded in
``digests.json`` can tell a hand edit.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import stackyard.validate

DATA = Path(stackyard.validate.__file__).parent / "data"


def test_every_reference_file_has_the_digest_its_build_recorded() -> None:
    recorded: dict[str, str] = json.loads((DATA / "digests.json").read_text(encoding="utf-8"))
    on_disk = {
        p.relative_to(DATA).as_posix()
        for folder in ("charts", "crds", "backstage")
        for p in (DATA / folder).rglob("*.json")
    }
    assert on_disk == recorded.keys()
    edited = [
        name
        for name, digest in sorted(recorded.items())
        if hashlib.sha256((DATA / name).read_bytes()).hexdigest() != digest
    ]
    assert edited == []
