"""Service mesh and APIs: mesh mTLS, traffic-weighted canaries, API gateways with auth and limits.

Each detector reads the objects as their projects document them:

- Istio: ``PeerAuthentication`` with ``mtls.mode: STRICT`` mesh-wide (no selector, in the
  root namespace, ``istio-system`` unless ``meshConfig.rootNamespace`` says otherwise) or
  per namespace; without one, Istio's default is PERMISSIVE: sidecars and ztunnel use
  mTLS between themselves but still accept plain text
  (https://istio.io/latest/docs/concepts/security/#peer-authentication).
  ``RequestAuthentication`` validates a JWT only when one is sent; a request without a
  token is rejected only by an ``AuthorizationPolicy`` asking for ``requestPrincipals``
  (https://istio.io/latest/docs/tasks/security/authentication/authn-policy/#end-user-authentication).
- Linkerd: mTLS is on by default for every meshed (injected) pod
  (https://linkerd.io/2/features/automatic-mtls/); a namespace joins with the
  ``linkerd.io/inject: enabled`` annotation.
- Cilium mutual authentication: SPIRE enabled in the agent's values, enforced only for
  the policy rules that set ``authentication.mode: required``
  (https://docs.cilium.io/en/stable/network/servicemesh/mutual-authentication/mutual-authentication/).
- Canary routing: Argo Rollouts canaries with ``trafficRouting`` (istio, nginx, alb, smi,
  the Gateway API plugin...), Flagger ``Canary`` objects of a routing provider (the
  ``kubernetes`` provider only does blue/green), Gateway API routes and Istio
  ``VirtualService`` routes that split one rule between weighted backends.
- API gateways: Envoy Gateway ``SecurityPolicy`` (``jwt``, ``oidc``) and
  ``BackendTrafficPolicy`` ``rateLimit``; Kong plugins (``jwt``, ``openid-connect``,
  ``oauth2``; ``rate-limiting``, ``rate-limiting-advanced``) as ``KongPlugin`` /
  ``KongClusterPlugin`` objects or in the chart's declarative configuration; Istio
  ``RequestAuthentication`` with ``AuthorizationPolicy``, and ``EnvoyFilter`` local rate
  limits.
- The API catalog: Backstage ``kind: API`` entities with their definition.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace

from stackyard.assess.detectors.base import (
    Detector,
    DetectorResult,
    FunctionDetector,
    achieved,
    component,
    first_set,
    in_terms,
    line_in_string,
    missing,
    partial,
    truthy,
)
from stackyard.assess.inputs import RepositoryIndex
from stackyard.assess.inputs.objects import KubeObject
from stackyard.assess.model import Evidence, noted
from stackyard.wording import counted

ISTIO_CHARTS = ("istiod", "istio-base", "istio-cni", "ztunnel")
LINKERD_CHARTS = ("linkerd-control-plane", "linkerd2")
ENVOY_GATEWAY = "gateway.envoyproxy.io"
KONG = "configuration.konghq.com"
AUTH_PLUGINS = frozenset({"jwt", "openid-connect", "oauth2"})
KEY_PLUGINS = frozenset({"key-auth", "basic-auth", "hmac-auth"})
LIMIT_PLUGINS = frozenset({"rate-limiting", "rate-limiting-advanced", "response-ratelimiting"})
ISTIO_MESH_LABELS = ("istio-injection", "istio.io/rev", "istio.io/dataplane-mode")
ISTIO_ROOT = "istio-system"


def _istio(index: RepositoryIndex) -> list[Evidence]:
    found = component(index, charts=ISTIO_CHARTS, groups=("install.istio.io",))
    return found + [o.evidence() for o in index.of_kind("PeerAuthentication")]


def _linkerd_namespaces(index: RepositoryIndex) -> list[KubeObject]:
    return [
        ns
        for ns in index.of_kind("Namespace")
        if ns.get("metadata", "annotations", "linkerd.io/inject") == "enabled"
    ]


def _cilium_mutual(index: RepositoryIndex) -> list[Evidence]:
    return [
        h.evidence
        for h in first_set(index.values("cilium"), ("authentication", "mutual", "spire", "enabled"))
        if truthy(h.value)
    ]


def _noted(evidence: Evidence, note: str) -> Evidence:
    """``evidence`` quoting its lines as before, with ``note`` after the quote."""
    return replace(evidence, text=noted(evidence.text, note))


def _service_mesh(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    istio, linkerd = _istio(index), index.chart_uses(*LINKERD_CHARTS)
    cilium = _cilium_mutual(index)
    meshes = [name for name, e in (("Istio", istio), ("Linkerd", linkerd), ("Cilium", cilium)) if e]
    if not meshes:
        return missing(looks_for)
    return achieved(istio + linkerd + cilium, f"service mesh: {', '.join(meshes)}")


def _api_gateway(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    envoy = component(index, charts=("gateway-helm",), groups=(ENVOY_GATEWAY,))
    kong = component(index, charts=("kong",), groups=(KONG,))
    istio = component(index, charts=("istio-gateway",))
    istio += [
        g.evidence(text=f"Gateway {g.name}")
        for g in index.of_kind("Gateway")
        if g.group == "networking.istio.io"
        or (g.group == "gateway.networking.k8s.io" and g.get("spec", "gatewayClassName") == "istio")
    ]
    found = (("Envoy Gateway", envoy), ("Kong", kong), ("Istio's gateway", istio))
    names = [n for n, e in found if e]
    if not names:
        return missing(looks_for)
    return achieved(envoy + kong + istio, f"API gateway: {', '.join(names)}")


def _mode(policy: KubeObject) -> str:
    return str(policy.get("spec", "mtls", "mode") or "").upper()


def _root_namespace(index: RepositoryIndex) -> str:
    for hit in first_set(index.values("istiod"), ("meshConfig", "rootNamespace")):
        return str(hit.value)
    return ISTIO_ROOT


def _mesh_mtls(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    root = _root_namespace(index)
    wide = [p for p in index.of_kind("PeerAuthentication") if not p.get("spec", "selector")]
    strict = [p for p in wide if _mode(p) == "STRICT"]
    mesh_wide = [p for p in strict if p.namespace == root]
    cited = [_noted(p.evidence("spec", "mtls", "mode"), p.namespace or root) for p in strict]
    linkerd = index.chart_uses(*LINKERD_CHARTS)
    injected = _linkerd_namespaces(index)
    cilium = _cilium_mutual(index)
    required = list(_cilium_auth_required(index))
    evidence: list[Evidence] = []
    notes: list[str] = []
    gaps: list[Evidence] = []
    if mesh_wide:
        evidence += cited
        notes.append(f"Istio STRICT mTLS mesh-wide ({root})")
    elif strict:
        covered = {p.namespace for p in strict}
        joined = [
            ns
            for ns in index.of_kind("Namespace")
            if any(label in ns.labels() for label in ISTIO_MESH_LABELS)
        ]
        # A gateway's namespace joins the mesh to call its services, but its proxies take
        # plain text from outside the mesh: STRICT there would refuse every request.
        gateways = _gateway_namespaces(index)
        open_namespaces = [ns for ns in joined if ns.name not in covered | gateways]
        evidence += cited
        gaps += [_noted(ns.evidence(), "no STRICT mTLS") for ns in open_namespaces]
        notes.append(
            f"Istio STRICT mTLS in {counted(len(covered), 'namespace')}"
            + (
                f", not in {', '.join(ns.name for ns in open_namespaces)}"
                if open_namespaces
                else ""
            )
        )
    if linkerd and injected:
        evidence += linkerd + [
            _noted(ns.evidence("metadata", "annotations", "linkerd.io/inject"), ns.name)
            for ns in injected
        ]
        notes.append(f"Linkerd mTLS in {counted(len(injected), 'injected namespace')}")
    if cilium and required:
        evidence += cilium + required
        notes.append(
            f"Cilium mutual authentication required by {counted(len(required), 'policy rule')}"
        )
    if evidence and not gaps:
        return achieved(evidence, "; ".join(notes))
    if evidence:
        return partial(evidence, "; ".join(notes), looks_for, gaps=gaps)
    started = _istio(index) + linkerd + cilium
    if started:
        permissive = [
            p.evidence("spec", "mtls", "mode")
            for p in wide
            if _mode(p) in ("PERMISSIVE", "DISABLE")
        ]
        return partial(
            started,
            "a mesh runs, but mutual TLS is not required: Istio accepts plain text "
            "(PERMISSIVE) without a STRICT PeerAuthentication, Linkerd meshes only "
            "injected namespaces, Cilium authenticates only rules that require it",
            looks_for,
            gaps=permissive,
        )
    return missing(looks_for)


def _gateway_namespaces(index: RepositoryIndex) -> set[str]:
    """Namespaces holding an ingress Gateway (a waypoint is a proxy inside the mesh)."""
    return {
        g.namespace
        for g in index.of_kind("Gateway")
        if g.group in ("gateway.networking.k8s.io", "networking.istio.io")
        and g.get("spec", "gatewayClassName") != "istio-waypoint"
    }


def _cilium_auth_required(index: RepositoryIndex) -> Iterator[Evidence]:
    for policy in index.of_kind("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"):
        for i, rule in enumerate(policy.get("spec", "ingress") or []):
            if isinstance(rule, dict) and (rule.get("authentication") or {}).get("mode") == (
                "required"
            ):
                yield policy.evidence("spec", "ingress", i, "authentication")


def _weighted(refs: object) -> bool:
    """Two or more backends of one rule, at least one given a weight."""
    if not isinstance(refs, list) or len(refs) < 2:
        return False
    return any(isinstance(r, dict) and "weight" in r for r in refs)


def _weighted_routes(index: RepositoryIndex) -> Iterator[Evidence]:
    for route in index.of_kind("HTTPRoute", "GRPCRoute", group="gateway.networking.k8s.io"):
        for i, rule in enumerate(route.get("spec", "rules") or []):
            if isinstance(rule, dict) and _weighted(rule.get("backendRefs")):
                cited = route.evidence("spec", "rules", i, "backendRefs")
                yield _noted(cited, f"{route.kind} {route.name}, weighted")
    for service in index.of_kind("VirtualService", group="networking.istio.io"):
        for i, rule in enumerate(service.get("spec", "http") or []):
            if isinstance(rule, dict) and _weighted(rule.get("route")):
                cited = service.evidence("spec", "http", i, "route")
                yield _noted(cited, f"VirtualService {service.name}, weighted")


def _canary_routing(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    looks_for = in_terms(
        index,
        looks_for,
        argocd="Argo Rollouts canaries with trafficRouting, or weighted HTTPRoute backends",
        flux="Flagger Canary objects, or weighted HTTPRoute backends",
    )
    routed, replica_only = [], []
    for rollout in index.of_kind("Rollout", group="argoproj.io"):
        if rollout.get("spec", "strategy", "canary", "trafficRouting"):
            cited = rollout.evidence("spec", "strategy", "canary", "trafficRouting")
            routed.append(_noted(cited, f"Rollout {rollout.name}"))
        elif rollout.get("spec", "strategy", "canary") is not None:
            replica_only.append(rollout.evidence(text=f"Rollout {rollout.name}: no trafficRouting"))
    routed += [
        c.evidence(text=f"Canary {c.name}")
        for c in index.of_kind("Canary", group="flagger.app")
        if c.get("spec", "provider") != "kubernetes"
    ]
    routes = list(_weighted_routes(index))
    if routed or routes:
        parts = [f"{counted(len(routed), 'canary', 'canaries')} shifting traffic"] if routed else []
        parts += [counted(len(routes), "weighted route")] if routes else []
        return achieved(routed + routes, ", ".join(parts), gaps=replica_only)
    if replica_only:
        return partial(
            [],
            "canaries scale replicas but shift no traffic by weight (no trafficRouting)",
            looks_for,
            gaps=replica_only,
        )
    return missing(looks_for)


def _plugins(index: RepositoryIndex, names: Iterable[str]) -> list[Evidence]:
    wanted = set(names)
    found = [
        _noted(p.evidence("plugin"), f"{p.kind} {p.name}")
        for p in index.of_kind("KongPlugin", "KongClusterPlugin")
        if p.get("plugin") in wanted
    ]
    # DB-less declarative configuration in the values (dblessConfig.config), as YAML
    # written in the values or as one string of it.
    pattern = re.compile(rf"^\s*-?\s*name:\s*['\"]?({'|'.join(map(re.escape, wanted))})['\"]?\s*$")
    for stack in index.values("kong"):
        for layer, path, value in stack.walk():
            if "dblessConfig" not in path:
                continue
            if path[-1] == "name" and value in wanted and "plugins" in path:
                found.append(layer.evidence(*path, text=f"Kong plugin {value}"))
            elif isinstance(value, str):
                hit = line_in_string(layer, path, pattern)
                if hit is not None:
                    found.append(hit)
    return found


def _api_auth(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    envoy = [
        _noted(p.evidence("spec", key, text=f"{key}:"), f"SecurityPolicy {p.name}")
        for p in index.of_kind("SecurityPolicy", group=ENVOY_GATEWAY)
        for key in ("jwt", "oidc")
        if p.get("spec", key)
    ]
    kong = _plugins(index, AUTH_PLUGINS)
    requests = [o.evidence() for o in index.of_kind("RequestAuthentication")]
    required = [
        _noted(p.evidence("spec", "rules", text="rules:"), f"AuthorizationPolicy {p.name}")
        for p in index.of_kind("AuthorizationPolicy", group="security.istio.io")
        if "requestPrincipals" in str(p.get("spec", "rules"))
        or "request.auth" in str(p.get("spec"))
    ]
    istio = requests + required if requests and required else []
    found = envoy + kong + istio
    if found:
        policies = counted(len(found), "API authentication policy", "API authentication policies")
        return achieved(found, f"{policies} (JWT/OIDC)")
    keys = [
        _noted(p.evidence("spec", key, text=f"{key}:"), f"SecurityPolicy {p.name}")
        for p in index.of_kind("SecurityPolicy", group=ENVOY_GATEWAY)
        for key in ("apiKeyAuth", "basicAuth")
        if p.get("spec", key)
    ] + _plugins(index, KEY_PLUGINS)
    if requests or keys:
        notes = []
        if requests:
            notes.append(
                "RequestAuthentication validates tokens that are sent, but no AuthorizationPolicy "
                "requires one (requestPrincipals), so requests without a token pass"
            )
        if keys:
            notes.append(
                "APIs take static keys or passwords, not tokens from the identity provider "
                "(no expiry, scopes or per-client revocation there)"
            )
        return partial(requests + keys, "; ".join(notes), looks_for)
    return missing(looks_for)


def _api_limits(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    envoy = [
        _noted(p.evidence("spec", "rateLimit", text="rateLimit:"), f"BackendTrafficPolicy {p.name}")
        for p in index.of_kind("BackendTrafficPolicy", group=ENVOY_GATEWAY)
        if p.get("spec", "rateLimit")
    ]
    kong = _plugins(index, LIMIT_PLUGINS)
    istio = [
        _noted(f.evidence(), "local rate limit")
        for f in index.of_kind("EnvoyFilter", group="networking.istio.io")
        if "local_ratelimit" in str(f.get("spec"))
    ]
    found = envoy + kong + istio
    if found:
        return achieved(found, counted(len(found), "rate limit policy", "rate limit policies"))
    return missing(looks_for)


def _api_catalog(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    apis = index.of_kind("API", group="backstage.io")
    defined = [a for a in apis if a.get("spec", "definition")]
    bare = [a.evidence(text=f"API {a.name}: no definition") for a in apis if a not in defined]
    evidence = [
        _noted(a.evidence("spec", "definition", text="definition:"), f"API {a.name}")
        for a in defined
    ]
    if defined and not bare:
        return achieved(
            evidence, f"{counted(len(defined), 'API')} in the catalog, each with its definition"
        )
    if apis:
        return partial(
            evidence,
            f"{len(defined)} of {len(apis)} catalog APIs carry their definition",
            looks_for,
            gaps=bare,
        )
    return missing(looks_for)


def _mesh_authorization(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = [
        p.evidence(text=f"AuthorizationPolicy {p.namespace}/{p.name}".replace(" /", " "))
        for p in index.of_kind("AuthorizationPolicy")
    ]
    found += [o.evidence() for o in index.of_kind("ServerAuthorization", "MeshTLSAuthentication")]
    return (
        achieved(
            found, counted(len(found), "mesh authorization policy", "mesh authorization policies")
        )
        if found
        else missing(looks_for)
    )


DETECTORS: tuple[Detector, ...] = (
    FunctionDetector(
        "service-mesh",
        "Istio (istiod, ztunnel, IstioOperator), Linkerd or Cilium mutual authentication",
        _service_mesh,
    ),
    FunctionDetector(
        "api-gateway",
        "Envoy Gateway, Kong or Istio's gateway (their charts, custom resources or Gateways)",
        _api_gateway,
    ),
    FunctionDetector(
        "mesh-mtls",
        "Istio PeerAuthentication STRICT (mesh-wide or per namespace), Linkerd injected "
        "namespaces, or Cilium policies requiring mutual authentication",
        _mesh_mtls,
    ),
    FunctionDetector(
        "canary-routing",
        "Argo Rollouts canaries with trafficRouting, Flagger Canaries, or weighted "
        "HTTPRoute / VirtualService backends",
        _canary_routing,
    ),
    FunctionDetector(
        "api-auth",
        "Envoy Gateway SecurityPolicy jwt/oidc, Kong jwt/openid-connect/oauth2 plugins, or "
        "Istio RequestAuthentication with an AuthorizationPolicy requiring requestPrincipals",
        _api_auth,
    ),
    FunctionDetector(
        "api-rate-limits",
        "Envoy Gateway BackendTrafficPolicy rateLimit, Kong rate-limiting plugins, or an "
        "Istio EnvoyFilter local rate limit",
        _api_limits,
    ),
    FunctionDetector(
        "api-catalog", "Backstage API entities (kind: API) with their definition", _api_catalog
    ),
    FunctionDetector(
        "mesh-authorization",
        "Istio AuthorizationPolicy or Linkerd AuthorizationPolicy / ServerAuthorization",
        _mesh_authorization,
    ),
)
