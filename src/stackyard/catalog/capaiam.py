"""The IAM Cluster API's AWS provider expects, as clusterawsadm's default stack makes it.

``facts/capa-iam.yaml`` is derived from the provider's own fixture of that stack
(``scripts/derive_capa_iam.py``, release and path in its ``source``), never typed by hand:
three EC2 roles (``control-plane``, ``nodes``, ``controllers``), each with an instance
profile of the same name (``<role>.cluster-api-provider-aws.sigs.k8s.io``, the names the
provider's machine templates default to), and the managed policies attached to them:
the cloud controller's on the control plane and nodes, the controllers' own on
``controllers`` and ``control-plane``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class CapaRole:
    """One role with its instance profile."""

    key: str
    name: str
    instance_profile: str
    assume_role_policy: dict[str, Any]


@dataclass(frozen=True)
class CapaPolicy:
    """One managed policy and the roles (by key) it is attached to."""

    key: str
    name: str
    description: str
    roles: tuple[str, ...]
    document: dict[str, Any]


@dataclass(frozen=True)
class CapaIam:
    """Every role and policy of the stack, and where they come from."""

    source: dict[str, str]
    roles: tuple[CapaRole, ...]
    policies: tuple[CapaPolicy, ...]

    def policy(self, key: str) -> CapaPolicy:
        """The policy ``key`` (``control-plane``, ``nodes`` or ``controllers``)."""
        return next(p for p in self.policies if p.key == key)


@cache
def capa_iam() -> CapaIam:
    """The derived table (see module docs)."""
    text = resources.files("stackyard.catalog").joinpath("facts/capa-iam.yaml")
    data = yaml.safe_load(text.read_text(encoding="utf-8"))
    return CapaIam(
        source=dict(data["source"]),
        roles=tuple(
            CapaRole(key, row["name"], row["instanceProfile"], row["assumeRolePolicy"])
            for key, row in data["roles"].items()
        ),
        policies=tuple(
            CapaPolicy(key, row["name"], row["description"], tuple(row["roles"]), row["document"])
            for key, row in data["policies"].items()
        ),
    )
