"""What each API of the spec resolves to, for every renderer that serves, secures or lists it.

An API (spec ``apis``) is served by the Envoy Gateway of every cluster that runs both its
tenant and the ``envoy-gateway`` component, at ``https://<host><pathPrefix>`` (default
host ``api.<domain>``, default prefix ``/<name>``), in front of one port (default: the
first) of a declared service of its tenant. Its tokens are issued by the Keycloak realm
``auth.realm``: ``platform`` or a tenant's own realm, whose issuer and JWKS are public
URLs of Keycloak (:func:`stackyard.render.addresses.realm_issuer`).

Each consumer is a confidential Keycloak client whose id is the consumer's name; a token
it obtains with the client-credentials grant carries that id in ``azp``, which the
gateway copies into :data:`CONSUMER_HEADER` so rate limits and quotas can count per
consumer. A consumer named in several APIs of one realm is one client.

The manifest and value renderers import this module (never each other), so the gateway,
the realm, the Backstage catalog and the dashboards agree on every name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from stackyard.render.addresses import KEYCLOAK_REALM
from stackyard.render.context import RenderContext
from stackyard.render.tree import RenderError
from stackyard.spec import Api, ApiPlan

GATEWAY_COMPONENT = "envoy-gateway"
GATEWAY_CLASS = "envoy-gateway"
GATEWAY_CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"
GATEWAY = "apis"
JWT_PROVIDER = "keycloak"
# The Backend Envoy fetches Keycloak's keys through: the platform CA signs Keycloak's
# public certificate, and a remote JWKS is otherwise checked against Envoy's system roots.
JWKS_BACKEND = "keycloak-jwks"
# The header the JWT filter fills from the token's ``azp`` (the Keycloak client id). It
# replaces whatever the caller sent: Envoy's jwt_authn sets claim headers after verifying.
CONSUMER_HEADER = "x-api-consumer"
CONSUMER_CLAIM = "azp"
ROLES_CLAIM = "realm_access.roles"
CATALOG_FOLDER = "catalog"
# The Redis-protocol store Envoy Gateway's global rate limit service counts in.
RATE_LIMIT_STORE = "ratelimit-redis"
RATE_LIMIT_STORE_PORT = 6379


@dataclass(frozen=True)
class Consumer:
    """One consumer of an API: its Keycloak client id and its plan."""

    client_id: str
    plan: ApiPlan | None


@dataclass(frozen=True)
class ResolvedApi:
    """An API with every default filled in."""

    spec: Api
    namespace: str
    service: str
    port: int
    host: str
    path_prefix: str
    realm: str
    clusters: tuple[str, ...]
    consumers: tuple[Consumer, ...]

    @property
    def name(self) -> str:
        """The API's name (unique in the spec)."""
        return self.spec.name

    @property
    def tenant(self) -> str:
        """The owning tenant."""
        return self.spec.tenant

    @property
    def route(self) -> str:
        """The name of its HTTPRoute and of the policies attached to it."""
        return f"api-{self.spec.name}"

    @property
    def envoy_cluster(self) -> str:
        """The Envoy cluster Envoy Gateway builds for the route's one rule (metrics label)."""
        return f"httproute/{self.namespace}/{self.route}/rule/0"


def resolved_apis(context: RenderContext) -> list[ResolvedApi]:
    """Every API of the spec, resolved once per render (in spec order)."""
    return context.derived(_resolve_all)


def apis_on(context: RenderContext, cluster: str) -> list[ResolvedApi]:
    """The APIs the Envoy Gateway of ``cluster`` serves."""
    return [api for api in resolved_apis(context) if cluster in api.clusters]


def limited_consumers(api: ResolvedApi) -> list[Consumer]:
    """The consumers of ``api`` whose plan sets a rate limit or a quota, by client id."""
    limited = [c for c in api.consumers if c.plan and (c.plan.rateLimit or c.plan.quota)]
    return sorted(limited, key=lambda c: c.client_id)


def counts_requests(context: RenderContext, cluster: str) -> bool:
    """Whether ``cluster``'s gateway enforces some limit (and so needs its counter store)."""
    return any(limited_consumers(api) for api in apis_on(context, cluster))


def rate_limit_store_url(context: RenderContext) -> str:
    """``host:port`` of the counter store, as Envoy Gateway's ``rateLimit.backend.redis.url``."""
    namespace = context.component(GATEWAY_COMPONENT).namespace
    return f"{RATE_LIMIT_STORE}.{namespace}.svc.cluster.local:{RATE_LIMIT_STORE_PORT}"


def realm_of(context: RenderContext, realm: str) -> list[ResolvedApi]:
    """The APIs whose tokens realm ``realm`` issues."""
    return [api for api in resolved_apis(context) if api.realm == realm]


def tenant_realms(context: RenderContext) -> list[str]:
    """The tenant realms some API names (``auth.realm`` other than ``platform``), sorted."""
    return sorted({a.realm for a in resolved_apis(context) if a.realm != KEYCLOAK_REALM})


def realm_configmap_name(realm: str) -> str:
    """The ConfigMap holding realm ``realm``'s import file (``keycloak-realm-<realm>``)."""
    return f"keycloak-realm-{realm}"


def realm_file(realm: str) -> str:
    """The realm's import file name inside its ConfigMap (``<realm>-realm.json``)."""
    return f"{realm}-realm.json"


def openapi_file(api: ResolvedApi) -> str:
    """Where the rendered tree keeps the API's OpenAPI document (a copy of the spec's)."""
    suffix = ".json" if PurePosixPath(api.spec.openapi).suffix == ".json" else ".yaml"
    return f"{CATALOG_FOLDER}/apis/{api.name}.openapi{suffix}"


def openapi_text(context: RenderContext, api: ResolvedApi) -> str:
    """The OpenAPI document of ``api`` as the spec's loader read and checked it.

    Raises:
        RenderError: the spec was loaded without its documents (a bug of the caller).
    """
    document = context.plan.spec.openapi.get(api.name)
    if document is None:
        raise RenderError(f"API {api.name}: its OpenAPI document was not read with the spec")
    return document.text


def _resolve_all(context: RenderContext) -> list[ResolvedApi]:
    platform = context.platform
    serving = {c.name for c in context.clusters_running(GATEWAY_COMPONENT)}
    tenants = {t.name: t for t in platform.tenants}
    services = {(s.tenant, s.name): s for s in platform.services}
    resolved = []
    for api in platform.apis:
        tenant = tenants.get(api.tenant)
        service = services.get((api.tenant, api.service))
        if tenant is None or service is None:  # the spec's own checks refuse both first
            raise RenderError(f"API {api.name}: no service {api.tenant}/{api.service}")
        port = next((p for p in service.ports if p.name == api.port), service.ports[0])
        resolved.append(
            ResolvedApi(
                spec=api,
                namespace=service.namespace or (tenant.namespaces or [tenant.name])[0],
                service=service.name,
                port=port.port,
                host=api.host_name(platform.domain),
                path_prefix=api.path_prefix,
                realm=api.auth.realm,
                clusters=tuple(c for c in tenant.clusters if c in serving),
                consumers=tuple(Consumer(c.name, api.plan_of(c)) for c in api.consumers),
            )
        )
    return resolved
