"""Clusters registered in Argo CD by Secrets written in the repository.

Argo CD keeps each managed cluster in a Secret labelled
``argocd.argoproj.io/secret-type: cluster`` whose ``name`` and ``server`` fields name it
(https://argo-cd.readthedocs.io/en/stable/operator-manual/declarative-setup/#clusters).
The ApplicationSet cluster generator yields one parameter set per such Secret — its
name, server, project, labels and annotations — plus Argo CD's own cluster
(``in-cluster``) when no selector narrows the set and no Secret registers it
(https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/Generators-Cluster/).
``data`` is base64 as Kubernetes stores it; ``stringData`` is read as written.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from stackyard.assess.inputs.located import as_mapping
from stackyard.assess.inputs.objects import CLUSTER_SECRET_LABEL, KubeObject
from stackyard.assess.model import Evidence, noted

IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
IN_CLUSTER_NAME = "in-cluster"


@dataclass(frozen=True)
class ArgoCluster:
    """A cluster registered in Argo CD by a Secret."""

    name: str
    server: str
    project: str
    labels: Mapping[str, Any]
    annotations: Mapping[str, Any]
    evidence: Evidence


def registered_clusters(secrets: Iterable[KubeObject]) -> list[ArgoCluster]:
    """Clusters registered by the labelled Secrets among ``secrets``."""
    clusters = []
    for secret in secrets:
        if secret.kind != "Secret" or secret.labels().get(CLUSTER_SECRET_LABEL) != "cluster":
            continue
        fields = {**_decoded(secret.get("data")), **_strings(secret.get("stringData"))}
        path = "stringData" if isinstance(secret.get("stringData", "server"), str) else "data"
        name = fields.get("name", secret.name)
        clusters.append(
            ArgoCluster(
                name,
                fields.get("server", ""),
                fields.get("project", ""),
                secret.labels(),
                as_mapping(secret.get("metadata", "annotations")),
                _server_line(secret, path, name)
                if fields.get("server")
                else secret.evidence(text=f"cluster Secret {secret.name}"),
            )
        )
    return clusters


def _server_line(secret: KubeObject, path: str, name: str) -> Evidence:
    """The Secret's ``server:`` line quoted as written, the cluster's name as a note.

    The name may be on another line or base64 in ``data``; the server line is what a
    generator and a destination match on.
    """
    written = secret.evidence(path, "server")
    return Evidence(
        written.file, written.line, written.end_line, noted(written.quote, f"cluster {name}")
    )


def _strings(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in as_mapping(value).items() if isinstance(v, str)}


def _decoded(value: Any) -> dict[str, str]:
    decoded = {}
    for key, text in _strings(value).items():
        try:
            decoded[key] = base64.b64decode(text, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            continue
    return decoded
