"""WL005 and WL006 judge probes per pod, over the containers that run for its life."""

from __future__ import annotations

from tests.assess.conftest import findings_for

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: shop, namespace: web}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: shop}}}}
  template:
    metadata: {{labels: {{app: shop}}}}
    spec:
{init}
      containers:
        - name: storefront
          image: registry.example.com/storefront:5.1
{probes}
        - name: log-shipper
          image: registry.example.com/shipper:1.0
"""

BOTH = """\
          readinessProbe: {httpGet: {path: /ready, port: 8080}}
          livenessProbe: {httpGet: {path: /alive, port: 8080}}"""


def probe_findings(probes: str, init: str = "") -> dict[str, str]:
    text = DEPLOYMENT.format(probes=probes, init=init)
    return {f.check: f.message for f in findings_for(text) if f.check in {"WL005", "WL006"}}


def test_probes_on_the_serving_container_cover_the_pod() -> None:
    # The sidecar has none: the pod is Ready only when both are, and the sidecar counts
    # as ready once started, so the storefront's probe gates the pod's traffic.
    assert probe_findings(BOTH) == {}


def test_a_pod_without_any_probe_gets_one_finding_per_probe_naming_its_containers() -> None:
    found = probe_findings("")
    assert found == {
        "WL005": "Deployment/web/shop: no container has a livenessProbe (storefront, log-shipper)",
        "WL006": "Deployment/web/shop: no container has a readinessProbe (storefront, log-shipper)",
    }


def test_a_native_sidecar_may_carry_the_probe() -> None:
    sidecar = """\
      initContainers:
        - name: proxy
          image: registry.example.com/proxy:2.0
          restartPolicy: Always
          readinessProbe: {tcpSocket: {port: 15021}}
          livenessProbe: {tcpSocket: {port: 15021}}"""
    assert probe_findings("", init=sidecar) == {}


def test_an_init_container_that_runs_to_completion_does_not_count() -> None:
    setup = """\
      initContainers:
        - name: migrate
          image: registry.example.com/migrate:5.1
          readinessProbe: {exec: {command: [true]}}
          livenessProbe: {exec: {command: [true]}}"""
    assert set(probe_findings("", init=setup)) == {"WL005", "WL006"}
