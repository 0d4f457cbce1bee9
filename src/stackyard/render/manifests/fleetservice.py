"""The fleet service (``stackyard serve``) on the cluster the plan runs it on (mgmt).

The platform renders its own fleet service as one more component: its objects sync with
the ``stackyard-fleet`` Application; the namespace (Pod Security ``restricted``), the
route at ``https://fleet.<domain>`` and the network policy (default deny, ingress from the
gateway, egress to the world for the Git remotes, the database and the OIDC issuer) come
from the catalog entry like every other component's.

The Deployment runs the image tagged with Stackyard's own version, as user 10001 with a
read-only root file system, no privilege escalation, every capability dropped and the
runtime's seccomp profile, so it passes Pod Security ``restricted`` and the workload
checks of ``stackyard assess``. Probes ask ``/healthz``, the route the service answers
without a login or a store query.

Storage. On SQLite (the default) the store and the platforms' work trees live on one
ReadWriteOnce volume: one replica, and the ``Recreate`` strategy, because a rolling update
would start the new pod while the old one still holds the volume (a ReadWriteOnce volume
attaches to one node) and two processes would write one SQLite file. On PostgreSQL two
replicas share the database (the service's platform lock is a database lock that works
across replicas) and the work trees live on a ReadWriteMany volume they both mount.

Secrets. None is in Git: where External Secrets runs on the cluster, an ExternalSecret
reads the session secret, the database URL (PostgreSQL) and the OIDC client's secret from
Vault (the spec says where) into one Secret the pod mounts as files or reads as an
environment variable. Without External Secrets (Community) the service makes its session
secret on its volume on first start; a PostgreSQL URL or a client secret then cannot be
delivered, which plan check SY980 refuses.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard import __version__
from stackyard.catalog import Component
from stackyard.catalog.model import ManifestInstall, UserInterface
from stackyard.plan import ClusterPlan, signs_in_through_realm
from stackyard.render.addresses import oidc_client_id, oidc_issuer
from stackyard.render.context import RenderContext
from stackyard.render.manifests.base import BEFORE_CHART, Placed, in_wave
from stackyard.render.manifests.endpoints import public_url
from stackyard.render.manifests.secrets import VaultProperty, vault_external_secret
from stackyard.render.tree import Manifest, RenderError
from stackyard.spec.fleet import FleetService, VaultKey

COMPONENT = "stackyard-fleet"
SECRET = "stackyard-fleet"
DATA_VOLUME = "stackyard-fleet-data"
DATA_DIR = "/var/lib/stackyard"
SECRETS_DIR = "/etc/stackyard"
USER = 10001
PORT_NAME = "http"
HEALTH_PATH = "/healthz"
DATABASE_URL_ENV = "STACKYARD_DATABASE_URL"
SESSION_SECRET_KEY = "session-secret"
CLIENT_SECRET_KEY = "oidc-client-secret"
DATABASE_URL_KEY = "database-url"
KEYCLOAK_CLIENT_SECRETS = "keycloak/clients"
"""Where the operator stores each platform-realm client's generated secret (``identity``)."""


def _ui(component: Component) -> UserInterface:
    if component.ui is None:
        raise RenderError(f"catalog entry {component.name} names no ui (host and port)")
    return component.ui


def _image(context: RenderContext, component: Component) -> str:
    """The spec's repository, else the catalog's, tagged with Stackyard's version."""
    install = component.install
    catalog = install.image if isinstance(install, ManifestInstall) else None
    repository = context.platform.fleet.service.image or catalog
    if repository is None:
        raise RenderError(f"catalog entry {component.name} names no image")
    return f"{repository}:{__version__}"


def replicas(service: FleetService) -> int:
    """One replica on SQLite (one writer of its file), two sharing PostgreSQL."""
    return 1 if service.database == "sqlite" else 2


def _labels(component: Component) -> dict[str, str]:
    # app and version: the labels the platform's workload policy asks every pod for.
    return {
        "app": component.name,
        "version": __version__,
        "app.kubernetes.io/name": component.name,
        "app.kubernetes.io/version": __version__,
    }


def _selector(component: Component) -> dict[str, str]:
    return {"app.kubernetes.io/name": component.name}


def client_secret_key(context: RenderContext) -> VaultKey | None:
    """Where Vault holds the OIDC client's secret, or None for a public client or no login."""
    service = context.platform.fleet.service
    if service.oidc is not None:
        return service.oidc.clientSecretRef
    if _signs_in_through_realm(context):
        client = oidc_client_id(context, COMPONENT)
        return VaultKey(key=f"{KEYCLOAK_CLIENT_SECRETS}/{client}", property="client-secret")
    return None


def _signs_in_through_realm(context: RenderContext) -> bool:
    """Whether the service signs in through the platform realm (``plan.realm``)."""
    return signs_in_through_realm(
        context.platform, context.plan.clusters, context.component(COMPONENT)
    )


def synced_secrets(context: RenderContext, cluster: ClusterPlan) -> dict[str, VaultKey]:
    """The Secret's keys External Secrets fills from Vault, or none where it does not run."""
    if not cluster.has("external-secrets"):
        return {}
    service = context.platform.fleet.service
    keys = {SESSION_SECRET_KEY: service.sessionSecretRef}
    if service.database == "postgresql":
        keys[DATABASE_URL_KEY] = service.databaseUrlRef
    client = client_secret_key(context)
    if client is not None:
        keys[CLIENT_SECRET_KEY] = client
    return keys


def external_secret(context: RenderContext, namespace: str, keys: dict[str, VaultKey]) -> Manifest:
    """The ExternalSecret that builds the service's Secret from Vault (values never in Git)."""
    data = {name: VaultProperty(ref.key, ref.property) for name, ref in keys.items()}
    return vault_external_secret(context, SECRET, namespace, data)


def _sign_in(context: RenderContext, keys: dict[str, VaultKey]) -> list[str]:
    """The serve options of the sign-in: the spec's provider, else the platform's Keycloak."""
    service = context.platform.fleet.service
    if service.oidc is not None:
        issuer, client = service.oidc.issuer, service.oidc.clientId
        roles: list[str] = []
    elif _signs_in_through_realm(context):
        oidc = context.component(COMPONENT).oidc
        issuer, client = oidc_issuer(context), oidc_client_id(context, COMPONENT)
        # The realm's groups and the roles they carry (catalog oidc.groupRoles).
        group_roles = oidc.groupRoles if oidc else {}
        roles = [f"{group}={role}" for group, role in group_roles.items()]
    else:
        return []
    options = ["--oidc-issuer", issuer, "--oidc-client-id", client]
    for role in roles:
        options += ["--oidc-group-role", role]
    if CLIENT_SECRET_KEY in keys:
        options += ["--oidc-client-secret-file", f"{SECRETS_DIR}/{CLIENT_SECRET_KEY}"]
    return options


def arguments(context: RenderContext, keys: dict[str, VaultKey]) -> list[str]:
    """``stackyard serve``'s options in the pod (the image's entry point is ``stackyard``)."""
    ui = _ui(context.component(COMPONENT))
    options = ["serve", "--host", "0.0.0.0", "--port", str(ui.port), "--data-dir", DATA_DIR]
    options += ["--public-url", public_url(context, ui.host)]
    options += _sign_in(context, keys)
    if SESSION_SECRET_KEY in keys:
        options += ["--session-secret-file", f"{SECRETS_DIR}/{SESSION_SECRET_KEY}"]
    return options


def _probe(**timing: int) -> Manifest:
    """A probe of the health route (a new mapping each time: YAML must not alias them)."""
    return {"httpGet": {"path": HEALTH_PATH, "port": PORT_NAME}, **timing}


def _container(context: RenderContext, keys: dict[str, VaultKey]) -> Manifest:
    component = context.component(COMPONENT)
    mounts: list[Manifest] = [
        {"name": "data", "mountPath": DATA_DIR},
        {"name": "tmp", "mountPath": "/tmp"},
    ]
    files = [k for k in keys if k != DATABASE_URL_KEY]
    if files:
        mounts.append({"name": "secrets", "mountPath": SECRETS_DIR, "readOnly": True})
    container: Manifest = {
        "name": "stackyard",
        "image": _image(context, component),
        # Always: a node asks the registry, so a revoked pull secret is noticed (WL016).
        "imagePullPolicy": "Always",
        "args": arguments(context, keys),
        "ports": [{"name": PORT_NAME, "containerPort": _ui(component).port, "protocol": "TCP"}],
        # Git keeps its configuration under HOME; the root file system is read-only.
        "env": [{"name": "HOME", "value": DATA_DIR}],
        # Started within two minutes (the store is migrated first), then asked often.
        "startupProbe": _probe(periodSeconds=5, failureThreshold=24),
        "readinessProbe": _probe(periodSeconds=10),
        "livenessProbe": _probe(periodSeconds=20, failureThreshold=3),
        "resources": component.resources.model_dump(include={"requests", "limits"})
        if component.resources
        else {},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": USER,
            "runAsGroup": USER,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": mounts,
    }
    if DATABASE_URL_KEY in keys:
        container["env"].append(
            {
                "name": DATABASE_URL_ENV,
                "valueFrom": {"secretKeyRef": {"name": SECRET, "key": DATABASE_URL_KEY}},
            }
        )
    return container


def deployment(context: RenderContext, namespace: str, keys: dict[str, VaultKey]) -> Manifest:
    """The service's Deployment: one replica on SQLite (Recreate), two on PostgreSQL."""
    component = context.component(COMPONENT)
    service = context.platform.fleet.service
    volumes: list[Manifest] = [
        {"name": "data", "persistentVolumeClaim": {"claimName": DATA_VOLUME}},
        {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}},
    ]
    files = [k for k in keys if k != DATABASE_URL_KEY]
    if files:
        items = [{"key": k, "path": k} for k in files]
        volumes.append(
            {
                "name": "secrets",
                "secret": {"secretName": SECRET, "items": items, "defaultMode": 0o440},
            }
        )
    sqlite = service.database == "sqlite"
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": component.name, "namespace": namespace, "labels": _labels(component)},
        "spec": {
            "replicas": replicas(service),
            # SQLite: the old pod must let go of the ReadWriteOnce volume and the database
            # file before the new one starts; a rolling update would run both at once.
            "strategy": {"type": "Recreate"} if sqlite else {"type": "RollingUpdate"},
            "selector": {"matchLabels": _selector(component)},
            "template": {
                "metadata": {"labels": _labels(component)},
                "spec": {
                    "serviceAccountName": component.name,
                    "automountServiceAccountToken": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": USER,
                        "runAsGroup": USER,
                        "fsGroup": USER,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [_container(context, keys)],
                    "volumes": volumes,
                },
            },
        },
    }


def data_claim(context: RenderContext, namespace: str) -> Manifest:
    """The volume of the store (SQLite) and the platforms' work trees."""
    component = context.component(COMPONENT)
    sqlite = context.platform.fleet.service.database == "sqlite"
    claim: Manifest = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": DATA_VOLUME, "namespace": namespace, "labels": _labels(component)},
        "spec": {
            # Replicas on PostgreSQL share the work trees, so their volume must be shared.
            "accessModes": ["ReadWriteOnce" if sqlite else "ReadWriteMany"],
            "resources": {"requests": {"storage": component.storage or "10Gi"}},
        },
    }
    return in_wave(claim, BEFORE_CHART)


def fleet_service_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """The service's objects on the cluster that runs it."""
    if not cluster.has(COMPONENT):
        return
    component = context.component(COMPONENT)
    namespace = component.namespace
    keys = synced_secrets(context, cluster)
    objects: list[Manifest] = [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": component.name, "namespace": namespace},
            "automountServiceAccountToken": False,
        },
        data_claim(context, namespace),
    ]
    if keys:
        objects.append(in_wave(external_secret(context, namespace, keys), BEFORE_CHART))
    objects += [
        deployment(context, namespace, keys),
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": component.name,
                "namespace": namespace,
                "labels": _labels(component),
            },
            "spec": {
                "selector": _selector(component),
                "ports": [
                    {"name": PORT_NAME, "port": _ui(component).port, "targetPort": PORT_NAME}
                ],
            },
        },
    ]
    yield Placed(COMPONENT, "fleet-service.yaml", objects)
