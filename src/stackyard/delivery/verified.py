"""The verification record: which blobs of a layout were checked, and the file each was in.

``bundle create`` must not copy a blob it has not checked against its digest, yet hashing
every byte costs as much as copying it. A blob ``images pull`` wrote was checked while it
streamed in; hashing it again at ``bundle create`` proves only that the file did not
change since. So the layout keeps a record, as Git's index, Bazel's digest cache and
rsync's quick check do: for each checked blob, the identity and state of the file it was
checked in, ``(st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns)``. A blob whose file
still has exactly that state is the file that was checked, unchanged; anything else is
hashed as before.

Why the key holds: the kernel sets a file's ``st_ctime`` to the current time on every
write, truncation, ``chmod``, rename or link count change, and no system call sets it to
a chosen value (``os.utime`` restores ``st_mtime``, never ``st_ctime``). A file replaced
by another (a rename over it, ``cp -a`` of the layout, a restore from a backup) has
another inode or device. The limit is the clock's tick: two changes within one tick of
the file system's clock leave the same ``st_ctime``. So an entry is kept only when the
blob's ``st_ctime`` is older than a reading of that clock (:func:`filesystem_clock`, the
time stamp of a file created in the layout) taken before the check began (``bundle
create``) or after the checked file was in place (``images pull``): any later change
then stamps a newer ``st_ctime``. Bit rot below the file system, which changes no time
stamp, is not caught here; ``bundle verify`` and the registry's check at push still
hash every byte.

Policy:

- The record lives in the layout, in :data:`RECORD_FOLDER` (the image-layout
  specification names what a layout must hold and forbids nothing else; skopeo reads
  and copies a layout holding it as any other, which the tests check). It is a hint,
  never an input: a missing, unreadable or malformed record is an empty one.
- It is written only under the layout's writer lock (:data:`WRITER_LOCK`, the one
  ``images pull`` holds), read, merged and replaced atomically (:func:`stackyard.fsio.
  write_bytes`: a temporary file, fsync, rename), so a writer killed half-way leaves the
  old record whole. Each write drops entries whose blob no longer matches, so the record
  never outgrows the layout, and removes the temporaries a killed writer left.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from stackyard.delivery.layout import is_sha256
from stackyard.errors import InputError
from stackyard.fsio import exclusive_lock, make_folders, write_bytes
from stackyard.fsio.write import TEMPORARY_MARK, is_temporary

WRITER_LOCK = ".stackyard-pull.lock"
"""The lock a writer of the layout holds in it; OCI tools ignore a file they do not know."""
RECORD_FOLDER = ".stackyard"
RECORD_FILE = "verified.json"
RECORD_VERSION = 1

FileKey = tuple[int, int, int, int, int]
"""``(st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns)`` of a blob's file."""


def file_key(status: os.stat_result) -> FileKey:
    """The state of a file that any change to it, or its replacement, alters."""
    return (
        status.st_dev,
        status.st_ino,
        status.st_size,
        status.st_mtime_ns,
        status.st_ctime_ns,
    )


def record_path(root: Path) -> Path:
    """Where the layout at ``root`` keeps its verification record."""
    return root / RECORD_FOLDER / RECORD_FILE


@dataclass(frozen=True)
class VerificationRecord:
    """The blobs of one layout checked against their digests, by the file each was in."""

    root: Path
    entries: Mapping[str, FileKey]

    @classmethod
    def read(cls, root: Path) -> VerificationRecord:
        """The layout's record; an empty one when it is missing or not one this reads."""
        try:
            document = json.loads(record_path(root).read_bytes())
            if document.get("version") != RECORD_VERSION:
                return cls(root, {})
            blobs = document["blobs"].items()
            entries = {digest: _key(values) for digest, values in blobs if is_sha256(digest)}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls(root, {})
        return cls(root, entries)

    def vouches_for(self, digest: str, status: os.stat_result) -> bool:
        """Whether the file ``status`` describes is the one ``digest`` was checked in, unchanged."""
        return self.entries.get(digest) == file_key(status)


def _key(values: object) -> FileKey:
    if not isinstance(values, list) or len(values) != 5:
        raise ValueError("not a file key")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise ValueError("not a file key")
    return (values[0], values[1], values[2], values[3], values[4])


def filesystem_clock(root: Path) -> int:
    """The layout's file-system clock now, in ns: the ``st_ctime`` a change would stamp.

    Read from a file created for it in the record's folder and removed again, so it has
    the file system's own tick and granularity.

    Raises:
        OSError: the layout cannot be written.
    """
    folder = root / RECORD_FOLDER
    folder.mkdir(exist_ok=True)
    handle, name = tempfile.mkstemp(dir=folder, prefix=f".clock{TEMPORARY_MARK}")
    try:
        return os.fstat(handle).st_ctime_ns
    finally:
        os.close(handle)
        with suppress(FileNotFoundError):  # a record writer took it for a leftover
            os.unlink(name)


def add_verified(root: Path, checked: Mapping[str, FileKey], clock: int) -> int:
    """Add blobs checked against their digests to the layout's record; the caller holds the lock.

    Args:
        root: the layout.
        checked: digest → the state of the blob's file while its bytes were checked.
        clock: :func:`filesystem_clock`, read before the check began or after the file
            was in place. A blob stamped at or after it could change again within the
            same tick unseen, so it is left out.

    Returns:
        How many blobs the record vouches for now.

    Raises:
        InputError: the record cannot be written.
    """
    kept = dict(VerificationRecord.read(root).entries)
    kept.update({d: k for d, k in checked.items() if k[4] < clock})
    current = {d: k for d, k in kept.items() if _state(root, d) == k}
    folder = root / RECORD_FOLDER
    make_folders(folder)
    for leftover in folder.iterdir():  # a writer killed mid-write left it; we hold the lock
        if is_temporary(leftover.name):
            with suppress(OSError):
                leftover.unlink()
    document = {
        "version": RECORD_VERSION,
        "blobs": {d: list(k) for d, k in sorted(current.items())},
    }
    write_bytes(record_path(root), json.dumps(document, separators=(",", ":")).encode())
    return len(current)


def _state(root: Path, digest: str) -> FileKey | None:
    try:
        return file_key(os.stat(root / "blobs" / "sha256" / digest.split(":", 1)[1]))
    except OSError:
        return None


def add_verified_if_free(root: Path, checked: Mapping[str, FileKey], clock: int) -> bool:
    """:func:`add_verified` under the layout's writer lock, unless another writer holds it.

    ``bundle create`` only reads a layout: it records what it hashed when it can do so at
    once, and otherwise leaves the record as it is (the next create hashes those blobs
    again), rather than wait for a pull or fail a bundle that was written whole.

    Returns:
        Whether the record was written.
    """
    try:
        with exclusive_lock(root / WRITER_LOCK, timeout=0.0, busy="busy"):
            add_verified(root, checked, clock)
    except (InputError, OSError):  # held by a pull, or a layout this user cannot write
        return False
    return True
