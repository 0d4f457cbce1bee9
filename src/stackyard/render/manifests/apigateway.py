"""The API gateway: Envoy Gateway's class, the Gateway ``apis``, a route and policy per API.

Where a cluster serves APIs (:func:`stackyard.render.apis.apis_on`), the ``envoy-gateway``
Application carries:

- the GatewayClass ``envoy-gateway`` (controller ``gateway.envoyproxy.io/gatewayclass-controller``,
  the chart's default ``config.envoyGateway.gateway.controllerName``);
- the Gateway ``apis`` in Envoy Gateway's namespace: one HTTPS listener per API host, TLS
  terminated with a certificate cert-manager's gateway-shim issues from the platform issuer
  (the ``cert-manager.io/cluster-issuer`` annotation, as on the platform Gateway) into
  ``apis-<host>-tls``. There is no plain-HTTP listener: API clients send bearer tokens;
- per API, in its service's namespace: an HTTPRoute ``api-<name>`` from
  ``<host><pathPrefix>`` to the service's port, and a SecurityPolicy that validates JWTs
  against the realm's issuer and remote JWKS, copies ``azp`` (the consumer's client id)
  into ``x-api-consumer`` for the rate limits, and, when the API names scopes, roles or
  consumers, denies every request whose token does not carry them all (``authorization``
  with ``principal.jwt``: scopes from the ``scope`` claim, roles from Keycloak's
  ``realm_access.roles``, the client from ``azp``).

Keycloak's keys are fetched from its public URL, whose certificate the platform CA signs,
while Envoy checks a remote JWKS against its system roots unless the JWKS is reached
through a Backend with its own trust ("Connect to a remote JWKS with Self-Signed
Certificate" in the JWT task). So each serving cluster gets a Backend ``keycloak-jwks``
(``keycloak.<domain>:443``, trusting the Secret ``platform-ca-bundle``, key ``ca.crt``, in
Envoy Gateway's namespace, supplied at bootstrap like the other namespaces' copies), a
ReferenceGrant letting the APIs' SecurityPolicies use it, and the Backend API switched on
(``config.envoyGateway.extensionApis.enableBackend``, off by default upstream because a
Backend can point anywhere; only the platform's own manifests create one here).

Envoy Gateway documents both: https://gateway.envoyproxy.io/docs/tasks/security/jwt-authentication/
and https://gateway.envoyproxy.io/docs/tasks/security/jwt-claim-authorization/.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.plan import ClusterPlan
from stackyard.render.addresses import (
    CA_BUNDLE_SECRET,
    public_host,
    realm_issuer,
    realm_jwks_uri,
)
from stackyard.render.apis import (
    CONSUMER_CLAIM,
    CONSUMER_HEADER,
    GATEWAY,
    GATEWAY_CLASS,
    GATEWAY_COMPONENT,
    GATEWAY_CONTROLLER,
    JWKS_BACKEND,
    JWT_PROVIDER,
    ROLES_CLAIM,
    ResolvedApi,
    apis_on,
)
from stackyard.render.context import RenderContext
from stackyard.render.manifests.base import AFTER_CHART, Placed, in_wave
from stackyard.render.manifests.pki import platform_issuer
from stackyard.render.tree import Manifest

GATEWAY_API_GROUP = "gateway.networking.k8s.io"
ENVOY_GATEWAY_API = "gateway.envoyproxy.io/v1alpha1"


def listener_name(host: str) -> str:
    """The Gateway listener of ``host``: ``https-`` and its labels joined by dashes."""
    return "https-" + host.replace(".", "-")


def tls_secret(host: str) -> str:
    """The Secret cert-manager issues ``host``'s certificate into."""
    return f"{GATEWAY}-{host.replace('.', '-')}-tls"


def gateway_class() -> Manifest:
    """The GatewayClass Envoy Gateway's controller accepts."""
    return {
        "apiVersion": f"{GATEWAY_API_GROUP}/v1",
        "kind": "GatewayClass",
        "metadata": {"name": GATEWAY_CLASS},
        "spec": {"controllerName": GATEWAY_CONTROLLER},
    }


def api_gateway(context: RenderContext, cluster: ClusterPlan, apis: list[ResolvedApi]) -> Manifest:
    """The Gateway ``apis``: one HTTPS listener per API host, routes from any namespace."""
    listeners = [
        {
            "name": listener_name(host),
            "hostname": host,
            "port": 443,
            "protocol": "HTTPS",
            "tls": {
                "mode": "Terminate",
                "certificateRefs": [{"group": "", "kind": "Secret", "name": tls_secret(host)}],
            },
            "allowedRoutes": {"namespaces": {"from": "All"}, "kinds": [{"kind": "HTTPRoute"}]},
        }
        for host in sorted({api.host for api in apis})
    ]
    return {
        "apiVersion": f"{GATEWAY_API_GROUP}/v1",
        "kind": "Gateway",
        "metadata": {
            "name": GATEWAY,
            "namespace": context.component(GATEWAY_COMPONENT).namespace,
            "annotations": {"cert-manager.io/cluster-issuer": platform_issuer(context, cluster)},
        },
        "spec": {"gatewayClassName": GATEWAY_CLASS, "listeners": listeners},
    }


def jwks_backend(context: RenderContext) -> Manifest:
    """The Backend Envoy reaches Keycloak's public URL through, trusting the platform CA."""
    return {
        "apiVersion": ENVOY_GATEWAY_API,
        "kind": "Backend",
        "metadata": {
            "name": JWKS_BACKEND,
            "namespace": context.component(GATEWAY_COMPONENT).namespace,
        },
        "spec": {
            "endpoints": [{"fqdn": {"hostname": public_host(context, "keycloak"), "port": 443}}],
            "tls": {
                "caCertificateRefs": [{"group": "", "kind": "Secret", "name": CA_BUNDLE_SECRET}]
            },
        },
    }


def jwks_grant(context: RenderContext, apis: list[ResolvedApi]) -> Manifest:
    """Lets the SecurityPolicies in the APIs' namespaces refer to the JWKS Backend."""
    return {
        "apiVersion": f"{GATEWAY_API_GROUP}/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": {
            "name": JWKS_BACKEND,
            "namespace": context.component(GATEWAY_COMPONENT).namespace,
        },
        "spec": {
            "from": [
                {"group": "gateway.envoyproxy.io", "kind": "SecurityPolicy", "namespace": ns}
                for ns in sorted({api.namespace for api in apis})
            ],
            "to": [{"group": "gateway.envoyproxy.io", "kind": "Backend", "name": JWKS_BACKEND}],
        },
    }


def target(api: ResolvedApi) -> list[Manifest]:
    """A policy's ``targetRefs``: the API's HTTPRoute."""
    return [{"group": GATEWAY_API_GROUP, "kind": "HTTPRoute", "name": api.route}]


def http_route(context: RenderContext, api: ResolvedApi) -> Manifest:
    """The API's route: its host and path prefix to its service's port."""
    return {
        "apiVersion": f"{GATEWAY_API_GROUP}/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": api.route, "namespace": api.namespace},
        "spec": {
            "parentRefs": [
                {
                    "group": GATEWAY_API_GROUP,
                    "kind": "Gateway",
                    "name": GATEWAY,
                    "namespace": context.component(GATEWAY_COMPONENT).namespace,
                    "sectionName": listener_name(api.host),
                }
            ],
            "hostnames": [api.host],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": api.path_prefix}}],
                    "backendRefs": [{"name": api.service, "port": api.port}],
                }
            ],
        },
    }


def required_principal(api: ResolvedApi) -> Manifest | None:
    """What a token must carry to reach ``api``, or None when any valid token will do."""
    claims: list[Manifest] = []
    consumers = sorted({c.client_id for c in api.consumers})
    if consumers:
        claims.append({"name": CONSUMER_CLAIM, "valueType": "String", "values": consumers})
    # Every listed claim must match and a string-array claim matches when it holds one of
    # the values, so each required role is a claim of its own.
    claims.extend(
        {"name": ROLES_CLAIM, "valueType": "StringArray", "values": [role]}
        for role in api.spec.auth.roles
    )
    scopes = list(api.spec.auth.scopes)
    if not claims and not scopes:
        return None
    principal: Manifest = {"provider": JWT_PROVIDER}
    if claims:
        principal["claims"] = claims
    if scopes:
        principal["scopes"] = scopes
    return principal


def security_policy(context: RenderContext, api: ResolvedApi) -> Manifest:
    """JWT validation against the API's realm, the consumer header, and the required claims."""
    spec: Manifest = {
        "targetRefs": target(api),
        "jwt": {
            "providers": [
                {
                    "name": JWT_PROVIDER,
                    "issuer": realm_issuer(context, api.realm),
                    "remoteJWKS": {
                        "uri": realm_jwks_uri(context, api.realm),
                        "backendRefs": [
                            {
                                "group": "gateway.envoyproxy.io",
                                "kind": "Backend",
                                "name": JWKS_BACKEND,
                                "namespace": context.component(GATEWAY_COMPONENT).namespace,
                                "port": 443,
                            }
                        ],
                    },
                    "claimToHeaders": [{"claim": CONSUMER_CLAIM, "header": CONSUMER_HEADER}],
                }
            ]
        },
    }
    principal = required_principal(api)
    if principal is not None:
        spec["authorization"] = {
            "defaultAction": "Deny",
            "rules": [
                {"name": "required-claims", "action": "Allow", "principal": {"jwt": principal}}
            ],
        }
    return {
        "apiVersion": ENVOY_GATEWAY_API,
        "kind": "SecurityPolicy",
        "metadata": {"name": api.route, "namespace": api.namespace},
        "spec": spec,
    }


def apigateway_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """Class, Gateway, routes and security policies where the cluster serves APIs."""
    apis = apis_on(context, cluster.name)
    if not apis:
        return
    objects = [
        gateway_class(),
        api_gateway(context, cluster, apis),
        jwks_backend(context),
        jwks_grant(context, apis),
    ]
    for api in apis:
        objects += [http_route(context, api), security_policy(context, api)]
    yield Placed(GATEWAY_COMPONENT, "api-gateway.yaml", [in_wave(o, AFTER_CHART) for o in objects])
