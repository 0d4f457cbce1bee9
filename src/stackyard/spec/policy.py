"""The ``policy`` section: the Kyverno failure action and the policy templates clusters carry.

A policy template is a named set of rules for a cluster's workloads: the Pod Security
Admission levels of its workload namespaces (tenants' and the mesh's own) and which of
the Kyverno policies Stackyard renders apply there, each enforced, audited or following
the cluster's mode. Stackyard ships ``baseline``, ``restricted`` and ``regulated`` (and
``default``, what ``policy.mode`` alone has always meant); ``policy.templates`` adds more
or replaces a shipped one by name, in the same shape. A cluster picks one with
``clusters[].policyTemplate``, or the first of ``policy.assignments`` whose labels match
its ``labels`` picks it; a cluster nothing picks carries ``default``.

Which rule names exist is a catalog fact, so an unknown rule or template name is a plan
finding (it names the spec line), not a load error here.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from stackyard.spec.base import DNS_LABEL, Edition, refuse_bad_labels, refuse_duplicates
from stackyard.spec.base import SpecModel as _Spec
from stackyard.spec.text import Text

PodSecurityLevel = Literal["privileged", "baseline", "restricted"]
PolicyAction = Literal["enforce", "audit", "mode"]
DEFAULT_TEMPLATE = "default"
"""The template of a cluster that nothing picks: what ``policy.mode`` implies."""


class PodSecurityLevels(_Spec):
    """Pod Security Admission levels of the workload namespaces (tenants', the mesh's own)."""

    enforce: PodSecurityLevel = Field(description="Pods breaking this level are refused.")
    audit: PodSecurityLevel = Field(
        default="restricted", description="Breaking this level is written to the audit log."
    )
    warn: PodSecurityLevel = Field(
        default="restricted", description="Breaking this level warns whoever applies the pod."
    )


class PolicyRule(_Spec):
    """One Kyverno policy of a template and how it acts."""

    name: Text = Field(
        pattern=DNS_LABEL,
        description="A Kyverno policy Stackyard renders (docs/policy.md lists them).",
    )
    action: PolicyAction = Field(
        default="mode",
        description=(
            "enforce refuses what breaks it, audit only reports; mode follows the cluster's "
            "policyMode, else policy.mode."
        ),
    )
    editions: list[Edition] | None = Field(
        default=None, description="Only in these editions; default: every edition."
    )


class PolicyTemplate(_Spec):
    """A named policy set a cluster can carry."""

    description: Text = Field(default="", description="What the template is for.")
    podSecurity: PodSecurityLevels = Field(
        description="Pod Security Admission levels of the cluster's workload namespaces."
    )
    policies: list[PolicyRule] = Field(
        default_factory=list, description="The Kyverno policies that apply, in render order."
    )

    @field_validator("policies")
    @classmethod
    def _unique_rules(cls, rules: list[PolicyRule]) -> list[PolicyRule]:
        refuse_duplicates([r.name for r in rules], "policy")
        return rules


class PolicyAssignment(_Spec):
    """Clusters whose labels match carry ``template``."""

    matchLabels: dict[Text, Text] = Field(
        description="Labels a cluster must all carry (clusters[].labels); {} matches every one."
    )
    template: Text = Field(description="The policy template those clusters carry.")

    @field_validator("matchLabels")
    @classmethod
    def _kubernetes_labels(cls, labels: dict[str, str]) -> dict[str, str]:
        return refuse_bad_labels(labels)

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether a cluster with ``labels`` matches."""
        return all(labels.get(key) == value for key, value in self.matchLabels.items())


class Policy(_Spec):
    """Policy-as-code settings."""

    mode: Literal["enforce", "audit"] = Field(
        default="enforce", description="Kyverno failure action on app clusters."
    )
    templates: dict[Text, PolicyTemplate] = Field(
        default_factory=dict,
        description="Policy templates by name: new ones, or a shipped one replaced.",
    )
    assignments: list[PolicyAssignment] = Field(
        default_factory=list,
        description="Templates by cluster labels; the first match wins over the default.",
    )
    signingKey: Text | None = Field(
        default=None,
        min_length=1,
        max_length=1024,
        description=(
            "PEM file of the Cosign public key the platform's images are signed with, "
            "relative to the spec's folder; rendered as the ConfigMap cosign-public-key the "
            "verify-image-signatures policy reads. Without it that ConfigMap is created at "
            "bootstrap (the README lists it). A public key only, never cosign.key."
        ),
    )

    @field_validator("templates")
    @classmethod
    def _template_names(cls, templates: dict[str, PolicyTemplate]) -> dict[str, PolicyTemplate]:
        for name in templates:
            if len(name) > 63 or not re.match(DNS_LABEL, name):
                raise ValueError(f"template name {name!r} is not a DNS label")
        return templates
