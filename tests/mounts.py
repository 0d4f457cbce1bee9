"""A private file system for the full-disk tests: a tmpfs in a user and mount namespace.

A small tmpfs fills in a few writes, without root and without touching the machine's
disks; ``unshare -rm`` gives the test its own mount namespace for it.
:func:`run_in_private_mount` runs a test's shell script there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest


def require_private_mounts() -> None:
    """Skip the calling test where this machine cannot mount a private tmpfs."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not installed: cannot mount a private file system")
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip(f"this machine does not allow private mounts: {probe.stderr.decode()[:80]}")


def run_in_private_mount(script: str, *, timeout: int = 60) -> subprocess.CompletedProcess[str]:
    """Run the shell ``script`` (``sh -e``) in a user and mount namespace of its own.

    The script mounts what it needs itself; ``$PYTHON`` names this interpreter, to run
    Stackyard there. Skips the calling test where private mounts are not allowed.
    """
    require_private_mounts()
    return subprocess.run(
        ["unshare", "-rm", "sh", "-ec", script],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env={**os.environ, "PYTHON": sys.executable},
    )
