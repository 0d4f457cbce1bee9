"""How the encryption-at-rest key is rotated: the README section of every cluster's nodes.

Plan check SY952 asks for ``keyRotation`` and names the mechanism; this writes the
procedure, with its commands, where the people running the nodes read (``nodes/<cluster>/
README.md``), for the cluster's distribution and provider. It is written whether or not
``keyRotation`` is set: a key that may have leaked is rotated now, not on a schedule.

- RKE2 ``builtin``: ``rke2 secrets-encrypt rotate-keys`` (a new key, every Secret
  rewritten, the old key dropped, in one command) on RKE2 newer than v1.30.1+rke2r1; the
  classic ``prepare``, ``rotate``, ``reencrypt`` with server restarts between them on
  older ones (https://docs.rke2.io/security/secrets_encryption). The RKE2 version is the
  spec's Kubernetes version: a minor alone installs its newest patch.
- kubeadm ``builtin``: Kubernetes' own procedure for a local key
  (https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/#rotating-a-decryption-key):
  a new key second on every control-plane node, the API servers restarted, the new key
  first, restarted again, every Secret rewritten, the old key removed.
- ``vault-kms``: Vault's Transit engine rotates the key itself (``auto_rotate_period``);
  KMS v2 sees the new key version as a new key id and wraps new data keys with it, old
  versions still decrypt (https://developer.hashicorp.com/vault/api-docs/secret/transit).
- ``aws-kms``: AWS KMS automatic key rotation (``enable-key-rotation``); the key id stays,
  so nothing changes on the nodes
  (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html).
"""

from __future__ import annotations

from stackyard.plan import ClusterPlan
from stackyard.render.bootstrap.hardening import hardening
from stackyard.render.context import RenderContext
from stackyard.spec.units import parse_duration

ENCRYPTION_DOCS = "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/"
RKE2_DOCS = "https://docs.rke2.io/security/secrets_encryption"
RKE2_ROTATE_KEYS = (1, 30, 2)
"""The first RKE2 release after v1.30.1+rke2r1, from which RKE2's docs recommend ``rotate-keys``."""
TRANSIT_MOUNT = "transit"
DAY = 24 * 3600
HOUR = 3600


def _cadence(context: RenderContext) -> str:
    spec = hardening(context)
    rotation = None if spec is None else spec.encryptionAtRest.keyRotation
    if rotation is None:
        return "No `keyRotation` is set (plan check SY952): rotate when a key may have leaked."
    return f"Every {rotation} (`keyRotation`), and whenever a key may have leaked."


def rke2_uses_rotate_keys(context: RenderContext) -> bool:
    """Whether the cluster's RKE2 has ``secrets-encrypt rotate-keys`` (see module docs)."""
    kubernetes = context.platform.kubernetes
    patch = tuple(int(part) for part in kubernetes.semver.split("."))
    if kubernetes.version.removeprefix("v").count(".") < 2:
        patch = (*kubernetes.minor, 999)  # a minor alone: its newest patch
    return patch >= RKE2_ROTATE_KEYS


def _rke2_builtin(context: RenderContext, cluster: ClusterPlan) -> list[str]:
    several = cluster.cluster.control_plane_nodes > 1
    lines = [
        "Take an etcd snapshot first (`rke2 etcd-snapshot save`): a rotation that stops",
        f"half way can leave Secrets unreadable ({RKE2_DOCS}).",
        "On one server:",
        "",
        "```sh",
    ]
    if rke2_uses_rotate_keys(context):
        lines += [
            "rke2 secrets-encrypt rotate-keys",
            "rke2 secrets-encrypt status   # until: Current Rotation Stage: reencrypt_finished",
            "```",
        ]
        if several:
            lines += [
                "",
                "then restart the servers one at a time, each after the previous one is back:",
                "`systemctl restart rke2-server` on every server, this one first.",
            ]
        return lines
    restart = (
        "# systemctl restart rke2-server on every server in turn, this one first"
        if several
        else "systemctl restart rke2-server"
    )
    return [
        *lines,
        "rke2 secrets-encrypt prepare",
        restart,
        "rke2 secrets-encrypt rotate",
        restart,
        "rke2 secrets-encrypt reencrypt",
        *([restart] if several else []),
        "rke2 secrets-encrypt status   # Current Rotation Stage: reencrypt_finished",
        "```",
        "",
        f"(RKE2 {context.platform.kubernetes.version} predates",
        "`rke2 secrets-encrypt rotate-keys`, which does all of it in one command from v1.30.2.)",
    ]


def _kubeadm_builtin(config: str) -> list[str]:
    restart = "crictl stop $(crictl ps --name kube-apiserver -q)"
    return [
        f"Kubernetes' procedure ({ENCRYPTION_DOCS}#rotating-a-decryption-key),",
        f"on the file `{config}` of every control-plane node:",
        "",
        "1. Generate a key, `NEW_KEY=$(head -c 32 /dev/urandom | base64)`, and add it",
        "   second under `secretbox.keys` with a new name (`- {name: key2, secret: <NEW_KEY>}`)",
        "   on every node. Then restart each API server in turn (the kubelet starts it again):",
        f"   `{restart}`. Every server must read the new key before",
        "   any server writes with it.",
        "2. Move the new key first on every node and restart the API servers again.",
        "3. Rewrite every Secret with the new key:",
        "   `kubectl get secrets -A -o json | kubectl replace -f -`.",
        "4. Remove the old key on every node and restart the API servers once more.",
        "",
        "Keep the new key as `${ENCRYPTION_KEY}` in your secret store. A control-plane node",
        "added later needs the file as it is now on the others (its key name included),",
        "copied from a running one: the rendered file names the first key `key1`.",
    ]


def _vault_kms(key: str, rotation: str | None) -> list[str]:
    period = f"{int(parse_duration(rotation) // HOUR)}h" if rotation is not None else "<period>"
    return [
        "Vault's Transit engine rotates the key; nothing changes on the nodes. Once:",
        "",
        "```sh",
        f"vault write {TRANSIT_MOUNT}/keys/{key}/config auto_rotate_period={period}",
        f"vault write -f {TRANSIT_MOUNT}/keys/{key}/rotate   # now, e.g. after a leak",
        "```",
        "",
        "KMS v2 sees the new key version as a new key id and wraps new data keys with it;",
        "Secrets written before stay readable while Vault keeps the old version",
        "(`min_decryption_version`). To re-encrypt them all with the new version:",
        "`kubectl get secrets -A -o json | kubectl replace -f -`. Never delete or trim",
        "the old versions before that: Secrets still wrapped by them would not decrypt.",
    ]


def _aws_kms(key: str, rotation: str | None) -> list[str]:
    days = str(round(parse_duration(rotation) / DAY)) if rotation is not None else "<days>"
    # Rotation takes a key id or key ARN, never an alias: resolve one first.
    alias = key.startswith("alias/") or ":alias/" in key
    lookup = (
        [f"KEY_ID=$(aws kms describe-key --key-id {key} --query KeyMetadata.KeyId --output text)"]
        if alias
        else []
    )
    target = "$KEY_ID" if alias else key
    return [
        "AWS KMS rotates the key material itself; the key id stays, so nothing changes on",
        "the nodes. Once:",
        "",
        "```sh",
        *lookup,
        f"aws kms enable-key-rotation --key-id {target} --rotation-period-in-days {days}",
        f"aws kms rotate-key-on-demand --key-id {target}   # now, e.g. after a leak",
        "```",
        "",
        "Old key material stays with the key, so every Secret written before stays",
        "readable (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html).",
        "A move to a different key is Kubernetes' add, promote, rewrite, remove procedure",
        f"({ENCRYPTION_DOCS}) with a second plugin on its own socket.",
    ]


def key_rotation_readme(context: RenderContext, cluster: ClusterPlan, config: str) -> list[str]:
    """The README section on rotating ``cluster``'s encryption key.

    Args:
        context: the render context.
        cluster: the cluster whose README this is (its number of servers).
        config: the ``EncryptionConfiguration`` path on the nodes (kubeadm ``builtin``).
    """
    spec = hardening(context)
    if spec is None:
        return []
    encryption = spec.encryptionAtRest
    lines = ["", "### Rotating the encryption key", "", _cadence(context), ""]
    if encryption.provider == "vault-kms":
        return lines + _vault_kms(encryption.transit_key, encryption.keyRotation)
    if encryption.provider == "aws-kms":
        return lines + _aws_kms(encryption.key or "", encryption.keyRotation)
    if context.platform.kubernetes.distribution == "rke2":
        return lines + _rke2_builtin(context, cluster)
    return lines + _kubeadm_builtin(config)
