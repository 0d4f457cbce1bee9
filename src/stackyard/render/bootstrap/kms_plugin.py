"""The KMS v2 plugin as a static Pod on every control-plane node (``vault-kms``, ``aws-kms``).

With a KMS provider the API server encrypts each Secret with a data key and asks a plugin,
over the Unix socket the ``EncryptionConfiguration`` names (``KMS_SOCKET``), to wrap that
key with the key encryption key held in Vault Transit or AWS KMS. The API server cannot
start without the plugin, and no pod network exists yet when it starts, so the plugin is
a static Pod the kubelet runs from its manifest folder on every server (RKE2:
``/var/lib/rancher/rke2/agent/pod-manifests/``; kubeadm: ``/etc/kubernetes/manifests/``),
on the host network, with ``priorityClassName: system-node-critical``, the socket folder
a ``hostPath`` the API server mounts too.

- ``vault-kms``: vault-kubernetes-kms v1.4.0
  (https://github.com/FalcoSuessgott/vault-kubernetes-kms, flags from ``cmd/plugin.go``
  and ``docs/configuration.md`` at that tag), image ``ghcr.io/falcosuessgott/
  vault-kubernetes-kms:v1.4.0`` (the release's multi-arch manifest, ``.goreleaser.yml``).
  Authentication is Vault's ``cert`` method with a client certificate and key read from
  files on the node (``/etc/kmsplugin/vault/``). Kubernetes auth cannot work: it needs a
  service-account token the API server issues, and the API server waits for this plugin;
  the plugin dropped it for that reason (its issue #81). Token and AppRole credentials are
  flags or environment variables only, and a static Pod's command and environment are
  visible to anyone who may read Pods in ``kube-system`` (through its mirror Pod), so a
  token or secret-id there would leak; a certificate file stays on the node. Vault is
  the spec's ``vaultAddress`` (a Vault outside the platform), else the platform's own at
  its public address (the host network has no cluster DNS); the CA that signs Vault's
  certificate is a file beside the client certificate. KMS v1 is switched off.
- ``aws-kms``: aws-encryption-provider (https://github.com/kubernetes-sigs/
  aws-encryption-provider, flags from ``cmd/server/main.go``), serving KMS v1 and v2 on
  one socket; ``--health-kms-version=v2`` makes its health check use the v2 API the API
  server uses. AWS credentials come from the control-plane instance profile (``kms:Encrypt``,
  ``kms:Decrypt``, ``kms:DescribeKey`` on the key); nothing is rendered.

Both: the health port moves off 8080 to ``HEALTH_PORT`` (the upstream README's advice on
the host network). The liveness probe is a TCP connect to that port: the HTTP health
checks do a round trip to Vault or AWS KMS, and a plugin restarted because the KMS is
unreachable comes back no better; readiness uses the HTTP check. A crashed plugin leaves
its socket behind, so the Vault plugin overwrites it (``-force-socket-overwrite``; the
folder holds nothing else).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stackyard.plan import ClusterPlan
from stackyard.render.addresses import public_host
from stackyard.render.bootstrap.base import NodeFile, header, yaml_file
from stackyard.render.bootstrap.hardening import KMS_SOCKET, KMS_SOCKET_DIR, hardening
from stackyard.render.context import LABEL_PREFIX, RenderContext
from stackyard.render.tree import RenderError
from stackyard.spec.hardening import EncryptionAtRest

POD_NAME = "kms-plugin"
NAMESPACE = "kube-system"
HEALTH_PORT = 8083
VAULT_IMAGE = "ghcr.io/falcosuessgott/vault-kubernetes-kms:v1.4.0"
AWS_IMAGE = "registry.k8s.io/aws-encryption-provider/aws-encryption-provider:v1.36.0"
VAULT_CREDENTIALS_DIR = "/etc/kmsplugin/vault"
VAULT_CLIENT_CERT = f"{VAULT_CREDENTIALS_DIR}/client.crt"
VAULT_CLIENT_KEY = f"{VAULT_CREDENTIALS_DIR}/client.key"
VAULT_CA_CERT = f"{VAULT_CREDENTIALS_DIR}/vault-ca.crt"
EXEMPTIONS = {
    "polaris.fairwinds.com/hostNetworkSet-exempt": "true",
    "polaris.fairwinds.com/runAsRootAllowed-exempt": "true",
    f"{LABEL_PREFIX}/exemption-reason": (
        "the API server waits for the plugin before it serves, so the plugin starts before "
        "the CNI and needs the host network; it writes its socket into a root-owned host "
        "folder the API server reads, and its upstream image runs as root"
    ),
}
# cloud-init (provider local) writes the credentials from these placeholders, each the
# base64 of its file, which the provisioning script substitutes like the join token.
VAULT_CREDENTIALS = (
    ("VAULT_KMS_CLIENT_CERT", VAULT_CLIENT_CERT),
    ("VAULT_KMS_CLIENT_KEY", VAULT_CLIENT_KEY),
    ("VAULT_KMS_CA_CERT", VAULT_CA_CERT),
)
VAULT_CERT_ROLE = "kubernetes-kms"
VAULT_POLICY = "kubernetes-kms"
VAULT_TRANSIT_MOUNT = "transit"
VAULT = "vault"
RESOURCES = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}}


@dataclass(frozen=True)
class KmsPlugin:
    """What one provider's plugin is: its image, container name, command and probe path."""

    name: str
    image: str
    command: list[str]
    health_path: str
    mounts: list[tuple[str, str, bool, str]]  # volume name, host folder, read-only, type


def vault_address(context: RenderContext) -> str:
    """The Vault the plugin calls: the spec's ``vaultAddress``, else the platform's own.

    The platform's Vault is reached at its public address: the plugin runs on the host
    network, without cluster DNS. Plan check SY954 refuses that Vault for the clusters it
    runs on, which could not start again after a full outage.
    """
    spec = hardening(context)
    if spec is not None and spec.encryptionAtRest.vaultAddress is not None:
        return spec.encryptionAtRest.vaultAddress.rstrip("/")
    return f"https://{public_host(context, VAULT)}"


def aws_region(context: RenderContext, cluster: ClusterPlan) -> str:
    """The AWS region of ``cluster``'s KMS key (the cluster's, else the platform's)."""
    aws = cluster.cluster.aws
    if aws is not None and aws.region:
        return aws.region
    if context.platform.aws is None:
        raise RenderError(f"cluster {cluster.name}: aws-kms needs aws.region")
    return context.platform.aws.region


def _plugin(
    context: RenderContext, cluster: ClusterPlan, encryption: EncryptionAtRest
) -> KmsPlugin:
    socket = ("kms-socket", KMS_SOCKET_DIR, False, "DirectoryOrCreate")
    if encryption.provider == "vault-kms":
        return KmsPlugin(
            "vault-kubernetes-kms",
            VAULT_IMAGE,
            [
                "/vault-kubernetes-kms",
                f"-vault-address={vault_address(context)}",
                f"-vault-ca-cert={VAULT_CA_CERT}",
                "-auth-method=cert",
                f"-cert-role={VAULT_CERT_ROLE}",
                f"-cert-file={VAULT_CLIENT_CERT}",
                f"-cert-key={VAULT_CLIENT_KEY}",
                f"-transit-mount={VAULT_TRANSIT_MOUNT}",
                f"-transit-key={encryption.transit_key}",
                f"-socket={KMS_SOCKET}",
                "-force-socket-overwrite",
                f"-health-port={HEALTH_PORT}",
                "-disable-v1",
            ],
            "/health",
            [socket, ("vault-credentials", VAULT_CREDENTIALS_DIR, True, "Directory")],
        )
    return KmsPlugin(
        "aws-encryption-provider",
        AWS_IMAGE,
        [
            "/aws-encryption-provider",
            f"--key={encryption.key}",
            f"--region={aws_region(context, cluster)}",
            f"--listen={KMS_SOCKET.removeprefix('unix://')}",
            f"--health-port=:{HEALTH_PORT}",
            "--health-kms-version=v2",
        ],
        "/healthz",
        [socket],
    )


def kms_plugin_pod(context: RenderContext, cluster: ClusterPlan) -> dict[str, Any] | None:
    """The plugin's static Pod for ``cluster``; ``None`` without a KMS provider."""
    spec = hardening(context)
    if spec is None or spec.encryptionAtRest.provider == "builtin":
        return None
    plugin = _plugin(context, cluster, spec.encryptionAtRest)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": POD_NAME,
            "namespace": NAMESPACE,
            "labels": {"app.kubernetes.io/name": plugin.name, "tier": "control-plane"},
            "annotations": dict(EXEMPTIONS),
        },
        "spec": {
            "priorityClassName": "system-node-critical",
            "hostNetwork": True,
            "containers": [
                {
                    "name": plugin.name,
                    "image": plugin.image,
                    "imagePullPolicy": "IfNotPresent",
                    "command": plugin.command,
                    "ports": [{"name": "health", "containerPort": HEALTH_PORT}],
                    "livenessProbe": {
                        "tcpSocket": {"port": HEALTH_PORT},
                        "initialDelaySeconds": 10,
                        "periodSeconds": 20,
                        "failureThreshold": 3,
                    },
                    "readinessProbe": {
                        "httpGet": {"path": plugin.health_path, "port": HEALTH_PORT},
                        "periodSeconds": 10,
                        "timeoutSeconds": 5,
                    },
                    "resources": RESOURCES,
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "readOnlyRootFilesystem": True,
                        "capabilities": {"drop": ["ALL"]},
                    },
                    "volumeMounts": [
                        {"name": name, "mountPath": host, "readOnly": read_only}
                        for name, host, read_only, _ in plugin.mounts
                    ],
                }
            ],
            "volumes": [
                {"name": name, "hostPath": {"path": host, "type": kind}}
                for name, host, _, kind in plugin.mounts
            ],
        },
    }


def kms_plugin_files(
    context: RenderContext, cluster: ClusterPlan, path: str, install: str
) -> list[NodeFile]:
    """The plugin's static Pod as a node file at ``path`` (none without a KMS provider)."""
    plugin = kms_plugin_pod(context, cluster)
    if plugin is None:
        return []
    return [yaml_file(path, [plugin], header(cluster, f"Static Pod: {install}"))]


def vault_credential_placeholders(context: RenderContext) -> list[str]:
    """The placeholders of the Vault plugin's credential files; none without ``vault-kms``."""
    spec = hardening(context)
    if spec is None or spec.encryptionAtRest.provider != "vault-kms":
        return []
    return [name for name, _ in VAULT_CREDENTIALS]


def vault_credential_files(context: RenderContext) -> list[dict[str, Any]]:
    """cloud-init ``write_files`` entries for the Vault plugin's credentials (placeholders)."""
    if not vault_credential_placeholders(context):
        return []
    return [
        {"path": path, "permissions": "0600", "encoding": "b64", "content": "${" + name + "}"}
        for name, path in VAULT_CREDENTIALS
    ]


def kms_plugin_readme(context: RenderContext, manifest: str) -> list[str]:
    """How to run the plugin and what it needs (both distributions; rotation: ``key_rotation``)."""
    spec = hardening(context)
    if spec is None or spec.encryptionAtRest.provider == "builtin":
        return []
    encryption = spec.encryptionAtRest
    if encryption.provider == "vault-kms":
        key = encryption.transit_key
        lines = [
            "- Secrets are encrypted at rest through KMS v2 with Vault's Transit engine",
            f"  (key `{key}`). The plugin (vault-kubernetes-kms) runs as the static Pod",
            f"  `{manifest}` on every server and listens on `{KMS_SOCKET_DIR}/socket.sock`.",
            "  Before the first server starts, in Vault:",
            "",
            "  ```sh",
            f"  vault secrets enable {VAULT_TRANSIT_MOUNT}",
            f"  vault write -f {VAULT_TRANSIT_MOUNT}/keys/{key}",
            f"  vault policy write {VAULT_POLICY} - <<'EOF'",
            f'  path "{VAULT_TRANSIT_MOUNT}/encrypt/{key}" {{ capabilities = ["update"] }}',
            f'  path "{VAULT_TRANSIT_MOUNT}/decrypt/{key}" {{ capabilities = ["update"] }}',
            f'  path "{VAULT_TRANSIT_MOUNT}/keys/{key}" {{ capabilities = ["read"] }}',
            "  EOF",
            "  vault auth enable cert",
            f"  vault write auth/cert/certs/{VAULT_CERT_ROLE} certificate=@kms-client-ca.crt \\",
            f"    token_policies={VAULT_POLICY}",
            "  ```",
            "",
            f"  and on every server `{VAULT_CLIENT_CERT}` and `{VAULT_CLIENT_KEY}` (mode 0600),",
            "  a client certificate signed by `kms-client-ca.crt`, plus `" + VAULT_CA_CERT + "`,",
            f"  the CA of Vault's certificate at {vault_address(context)}. Vault's Kubernetes",
            "  auth cannot work here: the API server waits for this plugin before it issues",
            "  any token. Keep Vault's Transit key backed up: without it no Secret decrypts.",
        ]
        return lines
    lines = [
        "- Secrets are encrypted at rest through KMS v2 with AWS KMS (key",
        f"  `{encryption.key}`). The plugin (aws-encryption-provider) runs as the static Pod",
        f"  `{manifest}` on every server and listens on `{KMS_SOCKET_DIR}/socket.sock`.",
        "  Allow the server instance profile `kms:Encrypt`, `kms:Decrypt` and",
        "  `kms:DescribeKey` on the key. Prefer the key's ARN to an alias: an alias moved",
        "  to another key leaves every Secret written before unreadable.",
    ]
    return lines
