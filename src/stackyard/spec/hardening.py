"""How hard the clusters are, as ``platform.yaml`` declares it: CIS, encryption, audit.

The ``hardening`` section is optional, and a spec without it renders exactly what it
rendered before the section existed. With it, three things are declared:

- ``cis``: the node configuration follows the CIS Kubernetes Benchmark where a
  generator can set it (RKE2's ``profile: cis``; the matching kubelet, API server,
  controller-manager and scheduler settings on kubeadm). ``auto`` turns it on for the
  Enterprise edition only: that is the edition sold to regulated customers, with
  compliance (audit, policy, isolation) part of the bundle, while Community is a
  proof of concept and Standard's compliance is SSO and Vault. The CIS profile
  enforces the restricted Pod Security Standard, so it is a deliberate choice.
- ``encryptionAtRest``: how Secrets are encrypted in etcd. ``builtin`` is a local
  key the control plane generates at bootstrap (never in Git); ``vault-kms`` and
  ``aws-kms`` are KMS v2 envelope encryption, the key encryption key held in Vault's
  Transit engine or in AWS KMS. ``keyRotation`` is how often the key is rotated.
  ``vaultAddress`` names a Vault outside the platform for ``vault-kms``: the API server
  cannot start without the plugin and the plugin cannot work without Vault, so a Vault
  running on the cluster whose Secrets it protects never comes back after a full outage
  (plan check SY954). The Vault CA and client certificate stay files on the nodes.
- ``audit``: the API server's audit policy level and how long its log files are kept
  on the control-plane nodes before the log agent has shipped them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from stackyard.spec.base import SpecModel
from stackyard.spec.text import Text
from stackyard.spec.units import Count, PositiveDuration

EncryptionProvider = Literal["builtin", "vault-kms", "aws-kms"]
AuditLevel = Literal["None", "Metadata", "Request", "RequestResponse"]

VAULT_TRANSIT_KEY = "kubernetes-secrets"
"""The Vault Transit key ``vault-kms`` uses unless ``key`` names another."""


class EncryptionAtRest(SpecModel):
    """How the API server encrypts Secrets before they reach etcd."""

    provider: EncryptionProvider = Field(
        default="builtin",
        description=(
            "builtin (a local AES key generated on the control plane at bootstrap), "
            "vault-kms (KMS v2, the key in Vault's Transit engine) or aws-kms (KMS v2, "
            "the key in AWS KMS)."
        ),
    )
    keyRotation: PositiveDuration | None = Field(
        default=None,
        description="How often the key is rotated, e.g. 90d; unset means never.",
    )
    key: Text | None = Field(
        default=None,
        min_length=1,
        max_length=2048,
        description=(
            "aws-kms: the KMS key's ARN or alias (required). vault-kms: the Transit key "
            f"name (default {VAULT_TRANSIT_KEY}). builtin: not used."
        ),
    )

    vaultAddress: Text | None = Field(
        default=None,
        pattern=r"^https://[^\s/@:]+(:[0-9]{1,5})?/?$",
        description=(
            "vault-kms: the https URL of a Vault outside the clusters it protects, e.g. "
            "https://vault.corp.example:8200; default: the platform's own Vault."
        ),
    )

    @model_validator(mode="after")
    def _key_fits_provider(self) -> EncryptionAtRest:
        if self.provider == "aws-kms" and self.key is None:
            raise ValueError(
                "provider aws-kms needs key: the ARN or alias of the AWS KMS key, "
                "e.g. alias/kubernetes-secrets"
            )
        if self.provider == "builtin" and self.key is not None:
            raise ValueError(
                "provider builtin takes no key: the control plane generates it at bootstrap, "
                "so it never appears in Git"
            )
        if self.vaultAddress is not None and self.provider != "vault-kms":
            raise ValueError(
                f"vaultAddress is the Vault of provider vault-kms; provider {self.provider} "
                "does not use it"
            )
        return self

    @property
    def transit_key(self) -> str:
        """The Vault Transit key name of ``vault-kms``."""
        return self.key or VAULT_TRANSIT_KEY


class Audit(SpecModel):
    """The API server's audit log: what it records and how long files stay on the node."""

    level: AuditLevel = Field(
        default="Metadata",
        description=(
            "What the audit policy records of each request: None, Metadata (who, what, "
            "when), Request (plus the request body) or RequestResponse (plus the response). "
            "Secrets, tokens and reviews are only ever recorded at Metadata."
        ),
    )
    maxAge: Count = Field(default=30, ge=1, le=3650, description="Days a log file is kept.")
    maxBackups: Count = Field(default=10, ge=1, le=1000, description="Rotated files kept.")
    maxSize: Count = Field(
        default=100, ge=1, le=10000, description="Megabytes before a file is rotated."
    )


class Hardening(SpecModel):
    """CIS hardening of the nodes, encryption of Secrets at rest, and the API audit log."""

    cis: bool | Literal["auto"] = Field(
        default="auto",
        description="Follow the CIS Kubernetes Benchmark on every node; auto: Enterprise only.",
    )
    encryptionAtRest: EncryptionAtRest = Field(
        default_factory=EncryptionAtRest, description="Encryption of Secrets in etcd."
    )
    audit: Audit = Field(default_factory=Audit, description="The API server's audit log.")

    def cis_on(self, edition: str) -> bool:
        """Whether the CIS settings apply to a platform of ``edition``."""
        if self.cis == "auto":
            return edition == "enterprise"
        return self.cis
