"""Schemas of configuration files that a program reads from disk, where Stackyard has one.

Kubernetes publishes no OpenAPI schema for the files its components read from disk
(``objects.CONFIGURATION_GROUPS``), so such files are reported as not checked unless
they are listed here. These are checked against a JSON Schema in ``data/config/``,
written from the upstream Go types at the targeted Kubernetes version (each schema's
``$comment`` names the Go type file and version, and every field's ``$comment`` its Go
field and tag), with every field and enum of the type and no constraint the component
does not apply itself.

Unknown fields are refused everywhere. The API server decodes its own files strictly and
refuses to start on one; the kubelet and kubeadm only log a warning and drop the field,
which leaves the setting it was meant to make silently unapplied. Either way the
rendered file is wrong, so either way it is an error here.

A configuration can embed another: an ``AdmissionConfiguration`` plugin carries its own
configuration object (the ``PodSecurity`` plugin's ``PodSecurityConfiguration``), which
the plugin decodes itself. An embedded object whose kind has a schema here is checked
against it, and its problems are reported at their path in the outer file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

from stackyard.validate.schemaerrors import SchemaProblem, path_text, problems_from

SCHEMAS: Mapping[tuple[str, str], str] = {
    ("audit.k8s.io/v1", "Policy"): "audit-policy-v1.json",
    ("apiserver.config.k8s.io/v1", "EncryptionConfiguration"): "encryption-configuration-v1.json",
    ("apiserver.config.k8s.io/v1", "AdmissionConfiguration"): "admission-configuration-v1.json",
    (
        "pod-security.admission.config.k8s.io/v1",
        "PodSecurityConfiguration",
    ): "pod-security-configuration-v1.json",
    (
        "kubelet.config.k8s.io/v1beta1",
        "KubeletConfiguration",
    ): "kubelet-configuration-v1beta1.json",
    ("kubeadm.k8s.io/v1beta4", "InitConfiguration"): "kubeadm-init-configuration-v1beta4.json",
    (
        "kubeadm.k8s.io/v1beta4",
        "ClusterConfiguration",
    ): "kubeadm-cluster-configuration-v1beta4.json",
    ("kubeadm.k8s.io/v1beta4", "JoinConfiguration"): "kubeadm-join-configuration-v1beta4.json",
}


@cache
def _validator(name: str) -> Draft202012Validator:
    folder = resources.files("stackyard.validate") / "data" / "config"
    return Draft202012Validator(json.loads((folder / name).read_text(encoding="utf-8")))


def has_schema(data: Mapping[str, Any]) -> bool:
    """Whether ``data`` is a configuration file with a schema here."""
    return (str(data.get("apiVersion")), str(data.get("kind"))) in SCHEMAS


def check_configuration(data: Mapping[str, Any]) -> list[SchemaProblem]:
    """The problems of a configuration file that :func:`has_schema` accepts.

    Embedded configuration objects with a schema of their own are checked too; their
    problems carry the full path from the outer file's root.
    """
    name = SCHEMAS[(str(data.get("apiVersion")), str(data.get("kind")))]
    problems = problems_from(_validator(name).iter_errors(dict(data)))
    for where, inner in _embedded(data):
        prefix = path_text(where)
        for problem in check_configuration(inner):
            joiner = "" if not problem.path or problem.path.startswith("[") else "."
            problems.append(SchemaProblem(prefix + joiner + problem.path, problem.message))
    return sorted(problems)


def _embedded(data: Mapping[str, Any]) -> Iterator[tuple[tuple[str | int, ...], Mapping[str, Any]]]:
    """Configuration objects inside ``data`` that have a schema here, with their path.

    Only an ``AdmissionConfiguration`` embeds any: each plugin's ``configuration``
    (``runtime.Unknown``), decoded by that plugin as an object of its own kind.
    """
    if (data.get("apiVersion"), data.get("kind")) != (
        "apiserver.config.k8s.io/v1",
        "AdmissionConfiguration",
    ):
        return
    plugins = data.get("plugins")
    if not isinstance(plugins, list):
        return
    for index, plugin in enumerate(plugins):
        inner = plugin.get("configuration") if isinstance(plugin, Mapping) else None
        if isinstance(inner, Mapping) and has_schema(inner):
            yield ("plugins", index, "configuration"), inner
