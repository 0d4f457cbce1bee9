"""EC2 instance type facts: vCPUs, memory and CPU architecture, from AWS's specifications.

The table (``facts/aws-instance-types.yaml``) names its source; it covers the current
general purpose, compute and memory optimized families. Nothing here guesses a type it
does not list: :func:`instance_type` returns None for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import yaml

Arch = Literal["amd64", "arm64"]


@dataclass(frozen=True)
class InstanceType:
    """One EC2 instance type."""

    name: str
    vcpu: int
    memory_gib: int
    arch: Arch


@cache
def _table() -> dict[str, InstanceType]:
    text = resources.files("stackyard.catalog").joinpath("facts/aws-instance-types.yaml")
    data = yaml.safe_load(text.read_text(encoding="utf-8"))
    return {
        name: InstanceType(name, int(row["vcpu"]), int(row["memoryGiB"]), row["arch"])
        for name, row in data["instanceTypes"].items()
    }


def instance_type(name: str) -> InstanceType | None:
    """The facts of instance type ``name``, if the table lists it."""
    return _table().get(name)
