"""Charts common in Flux repositories, and what they set when their values say nothing.

podinfo requests cpu 1m / memory 16Mi and sets no limits; Envoy Gateway's
``gateway-helm`` chart (from an OCIRepository) gives its controller requests and a memory
limit; bjw-s' ``app-template`` sets nothing, so its apps count only what they write.
"""

from __future__ import annotations

from stackyard.assess import assess_directory
from tests.assess.maturity.conftest import WriteTree, control

PODINFO = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: podinfo
spec:
  interval: 50m
  chart:
    spec:
      chart: podinfo
      version: 6.14.1
      sourceRef:
        kind: HelmRepository
        name: podinfo
  values:
    replicaCount: 2
"""

ENVOY_GATEWAY = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: gateway-helm
  namespace: envoy-gateway-system
spec:
  interval: 24h
  url: oci://docker.io/envoyproxy/gateway-helm
  ref:
    tag: v1.9.0
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: envoy-gateway
  namespace: envoy-gateway-system
spec:
  interval: 12h
  chartRef:
    kind: OCIRepository
    name: gateway-helm
"""

APP_TEMPLATE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: echo
  namespace: default
spec:
  interval: 1h
  chart:
    spec:
      chart: app-template
      version: 4.1.1
      sourceRef:
        kind: HelmRepository
        name: bjw-s
  values:
    controllers:
      echo:
        containers:
          app:
            image:
              repository: ghcr.io/mendhak/http-https-echo
              tag: "37"
"""


def test_podinfo_and_envoy_gateway_request_resources_by_chart_default(
    write_tree: WriteTree,
) -> None:
    root = write_tree({"apps/podinfo.yaml": PODINFO, "infra/envoy-gateway.yaml": ENVOY_GATEWAY})
    assessment = assess_directory(root)
    requests = control(assessment, "RM-REQUESTS-ALL")
    assert requests.status == "achieved", requests
    assert requests.detail == "requests on 2 of 2 applications"
    assert sorted(e.text for e in requests.evidence) == [
        "envoy-gateway: requests and limits by chart default (gateway-helm v1.9.0)",
        "podinfo: requests by chart default (podinfo 6.14.1)",
    ]
    # podinfo sets no limits by default: one of two.
    assert control(assessment, "RM-LIMITS-ALL").detail == "limits on 1 of 2 applications"


def test_app_template_sets_no_requests_by_default(write_tree: WriteTree) -> None:
    root = write_tree({"apps/podinfo.yaml": PODINFO, "apps/echo.yaml": APP_TEMPLATE})
    requests = control(assess_directory(root), "RM-REQUESTS-ALL")
    assert requests.detail == "requests on 1 of 2 applications"
    assert [u.name for u in requests.units if not u.counted] == ["echo"]
