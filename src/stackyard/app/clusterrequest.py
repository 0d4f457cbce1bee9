"""What a cluster registration asks for: the cluster as its spec entry will hold it.

A shell builds a :class:`ClusterRegistration` from its own input — the command line's
options, a request body of the fleet service — and :func:`parse_node_pool` and
:func:`parse_labels` read the compact ``key=value`` forms both accept. Values are not
judged here: the spec model checks them, located in the edited spec, when the
registration is planned (:mod:`stackyard.app.registration`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stackyard.errors import COMMAND_LINE, InputError, Problem
from stackyard.spec import Role


@dataclass(frozen=True)
class ClusterAddresses:
    """A new cluster's address plan, as ``clusters[].network`` of the spec holds it."""

    node_range: str
    service_cidr: str
    pod_cidr: str | None = None
    node_subnet: str | None = None
    load_balancer_pool: str | None = None

    def as_spec(self) -> dict[str, str]:
        """The ``network`` mapping, in the order the spec's examples write it."""
        written = {
            "nodeSubnet": self.node_subnet,
            "nodeRange": self.node_range,
            "podCIDR": self.pod_cidr,
            "serviceCIDR": self.service_cidr,
            "loadBalancerPool": self.load_balancer_pool,
        }
        return {key: value for key, value in written.items() if value is not None}


@dataclass(frozen=True)
class ClusterRegistration:
    """A cluster to add to a platform: what ``clusters[]`` of its spec will hold."""

    name: str
    role: Role
    network: ClusterAddresses
    node_pools: tuple[Mapping[str, Any], ...]
    """Each pool as the spec writes it: ``{"name": "cp", "role": "control-plane", ...}``."""
    labels: Mapping[str, str] = field(default_factory=dict)
    policy_template: str | None = None
    """The named policy set the cluster carries (``clusters[].policyTemplate``)."""

    def as_spec(self) -> dict[str, Any]:
        """The cluster's mapping under ``clusters``, in the spec's key order."""
        cluster: dict[str, Any] = {
            "name": self.name,
            "role": self.role,
            "nodePools": [dict(pool) for pool in self.node_pools],
            "network": self.network.as_spec(),
        }
        if self.labels:
            cluster["labels"] = dict(self.labels)
        if self.policy_template is not None:
            cluster["policyTemplate"] = self.policy_template
        return cluster


def _option_error(option: str, text: str, message: str) -> InputError:
    return InputError([Problem(COMMAND_LINE, option, f"{text!r}: {message}")])


def _scalar(value: str) -> Any:
    """A value as YAML would read it when written plainly: 3 is a number, true a flag."""
    if re.fullmatch(r"[0-9]+", value):
        return int(value)
    if value in ("true", "false"):
        return value == "true"
    return value


def parse_node_pool(text: str, option: str = "--node-pool") -> dict[str, Any]:
    """``name=cp,role=control-plane,count=3,cpu=4,memory=8Gi`` as a node pool mapping.

    Keys are the spec's (``clusters[].nodePools[]``): the spec model checks them and
    their values when the registration is planned.

    Raises:
        InputError: an item is not ``key=value``, a key repeats, or there is no name.
    """
    pool: dict[str, Any] = {}
    for item in text.split(","):
        key, equals, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not equals or not key or not value:
            raise _option_error(option, text, f"{item!r} is not key=value")
        if key in pool:
            raise _option_error(option, text, f"{key} is given twice")
        pool[key] = _scalar(value)
    if "name" not in pool:
        raise _option_error(option, text, "a node pool needs name=…")
    return pool


def parse_labels(items: tuple[str, ...], option: str = "--label") -> dict[str, str]:
    """``key=value`` items (kubectl's label syntax) as a mapping; the spec checks the names.

    Raises:
        InputError: an item is not ``key=value``, or a key repeats.
    """
    labels: dict[str, str] = {}
    for item in items:
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise _option_error(option, item, "not key=value")
        if key in labels:
            raise _option_error(option, item, f"label {key} is given twice")
        labels[key] = value
    return labels
