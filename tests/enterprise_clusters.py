"""The Enterprise example split into a management cluster and two app clusters.

``examples/aws-enterprise.yaml`` runs one standalone cluster; what only a platform of
several clusters has (Teleport agents registering app clusters with mgmt's Teleport) is
tested on this variant: ``mgmt`` runs the platform services, ``prod`` (the example's
cluster, with its tenants) and ``prod-b`` run workloads. The app clusters are made by
hand (``provisioning: manual``), as the example's cluster is: on AWS they would otherwise
be Cluster API's, which ``tests/render/test_clusterapi.py`` covers.
"""

from __future__ import annotations

from tests.conftest import EXAMPLES

MGMT = """\
  - name: mgmt
    role: mgmt
    nodePools:
      - {name: server, role: control-plane, count: 3, cpu: 4, memory: 16Gi, disk: 100Gi,
         instanceType: m6i.xlarge}
      - {name: agent, role: worker, count: 4, cpu: 8, memory: 32Gi, disk: 200Gi,
         instanceType: m6i.2xlarge}
    network:
      nodeRange: 10.1.0.0/16
      serviceCIDR: 10.43.0.0/16
    aws:
      tags:
        kubernetes.io/cluster/mgmt: owned
"""
SECOND_APP = """\
  - name: prod-b
    role: app
    provisioning: manual
    nodePools:
      - {name: server, role: control-plane, count: 3, cpu: 4, memory: 16Gi, disk: 100Gi,
         instanceType: m6i.xlarge}
      - {name: agent, role: worker, count: 3, cpu: 8, memory: 32Gi, disk: 200Gi,
         instanceType: m6i.2xlarge}
    network:
      nodeRange: 10.2.0.0/16
      serviceCIDR: 10.43.0.0/16
    aws:
      tags:
        kubernetes.io/cluster/prod-b: owned
"""
APP_CLUSTERS = ("prod", "prod-b")
JWKS = '{"keys": [{"kty": "RSA", "use": "sig", "kid": "k1", "n": "AQAB", "e": "AQAB"}]}'


def enterprise_with_app_clusters(text: str | None = None) -> str:
    """``text`` (default: the aws-enterprise example) with mgmt, prod and prod-b."""
    text = text if text is not None else (EXAMPLES / "aws-enterprise.yaml").read_text("utf-8")
    standalone = "clusters:\n  - name: prod\n    role: standalone\n"
    if standalone not in text:
        raise ValueError("the aws-enterprise example no longer starts with its prod cluster")
    text = text.replace(
        standalone,
        "clusters:\n" + MGMT + "  - name: prod\n    role: app\n    provisioning: manual\n",
    )
    return text.replace("\ntenants:", "\n" + SECOND_APP.rstrip("\n") + "\ntenants:", 1)


def with_jwks(text: str, cluster: str, jwks: str = JWKS) -> str:
    """``text`` with ``cluster``'s service-account keys declared."""
    head = f"  - name: {cluster}\n"
    if head not in text:
        raise ValueError(f"no cluster {cluster}")
    return text.replace(head, f"{head}    serviceAccountJwks: '{jwks}'\n", 1)
