"""The inbound ports of kubeadm's own components, as Kubernetes documents them.

``facts/kubeadm-ports.yaml`` keeps Kubernetes' "Ports and Protocols" table
(https://kubernetes.io/docs/reference/networking/ports-and-protocols/) as the security
group rules of a kubeadm cluster on AWS: which group opens a port, to whom, and why (the
file's comments say which documented ports need no rule). The render adds the CNI's
rules to these (``render/infrastructure/ports.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal, cast, get_args

import yaml

Group = Literal["nodes", "servers", "api"]
Source = Literal["nodes", "servers", "api", "vpc"]
Protocol = Literal["tcp", "udp"]


@dataclass(frozen=True)
class KubeadmPort:
    """One documented port range, opened in ``group`` to ``source``."""

    group: Group
    source: Source
    protocol: Protocol
    from_port: int
    to_port: int
    description: str


@dataclass(frozen=True)
class KubeadmPorts:
    """Every rule of the table, and the page it comes from."""

    source: str
    rules: tuple[KubeadmPort, ...]


def _one_of(value: object, allowed: object, field: str) -> str:
    choices = get_args(allowed)
    if value not in choices:
        raise ValueError(f"facts/kubeadm-ports.yaml: {field} {value!r} is not one of {choices}")
    return cast(str, value)


@cache
def kubeadm_ports() -> KubeadmPorts:
    """The shipped table (see module docs).

    Raises:
        ValueError: a rule names a group, source or protocol the security groups lack.
    """
    text = resources.files("stackyard.catalog").joinpath("facts/kubeadm-ports.yaml")
    data = yaml.safe_load(text.read_text(encoding="utf-8"))
    return KubeadmPorts(
        source=str(data["source"]),
        rules=tuple(
            KubeadmPort(
                cast(Group, _one_of(row["group"], Group, "group")),
                cast(Source, _one_of(row["source"], Source, "source")),
                cast(Protocol, _one_of(row["protocol"], Protocol, "protocol")),
                int(row["from"]),
                int(row["to"]),
                str(row["description"]),
            )
            for row in data["rules"]
        ),
    )
