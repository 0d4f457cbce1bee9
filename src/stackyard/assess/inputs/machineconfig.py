"""Node settings of the structured configurations: Talos machine config, talhelper, kubeadm.

RKE2 and K3s settings are flat keys found line by line (``nodeconfig.py``). Talos and
kubeadm nest theirs, so they are read from the parsed document, each with the exact
lines of its key, and reported under the same setting names the detectors ask for:

- Talos machine configuration (``version: v1alpha1`` with ``machine``/``cluster``) and
  its patches (a document with ``machine`` or ``cluster`` in a file under a ``talos``
  folder), per the
  [v1alpha1 reference](https://www.talos.dev/v1.9/reference/configuration/v1alpha1/config/):
  ``cluster.network.cni.name`` (``none`` when a CNI chart is installed instead,
  ``flannel`` the default), ``cluster.apiServer.extraArgs`` (OIDC flags),
  ``cluster.apiServer.admissionControl`` (the PodSecurity defaults), ``auditPolicy``,
  ``secretboxEncryptionSecret`` / ``aescbcEncryptionSecret`` (encryption at rest),
  ``cluster.proxy.disabled`` and ``machine.features.kubernetesTalosAPIAccess``
  (``os:etcd:backup`` lets a CronJob such as talos-backup take etcd snapshots);
- Talos multi-document configuration (``apiVersion: v1alpha1`` with a ``kind``, the
  successors of those v1alpha1 fields, per the
  [document map](https://docs.siderolabs.com/talos/v1.14/reference/configuration/document-map)):
  ``KubeAPIServerConfig`` (``extraArgs``), ``KubeAuthenticationConfig`` (a ``jwt``
  issuer: the API server accepts OIDC tokens), ``KubeAuditPolicyConfig``,
  ``KubeEtcdEncryptionConfig``, ``KubeProxyConfig`` (``enabled: false``) and
  ``KubeTalosAPIAccessConfig`` (``allowedRoles``);
- talhelper's ``talconfig.yaml`` (``cniConfig.name``, ``clusterName`` with ``nodes``),
  its inline patches read as patches;
- kubeadm ``ClusterConfiguration``: ``apiServer.extraArgs`` as a map (``v1beta3``) or a
  list of ``name``/``value`` (``v1beta4``) — OIDC, ``admission-control-config-file``,
  ``encryption-provider-config``, ``audit-policy-file``, ``audit-log-path``,
  ``audit-webhook-config-file`` — and ``etcd.local.extraArgs``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from stackyard.assess.inputs.located import Located, as_list, as_mapping
from stackyard.assess.inputs.nodeconfig import NodeSetting
from stackyard.assess.model import Evidence
from stackyard.yamlio import LocatedDocument

# API server flags whose presence is a setting of its own (flag -> setting name).
API_SERVER_FLAGS = {
    "oidc-issuer-url": "oidc-issuer-url",
    "admission-control-config-file": "admission-control-config-file",
    "encryption-provider-config": "secrets-encryption",
    "audit-policy-file": "audit-policy",
    "audit-log-path": "audit-log-path",
    "audit-webhook-config-file": "audit-webhook",
    "profiling": "apiserver-profiling",  # CIS 1.2.15 wants it false
}
ETCD_BACKUP_ROLE = "os:etcd:backup"
PATCH_KEY = "$patch"  # a strategic merge patch directive
DELETED = "deleted"  # the value of a setting a patch removes


def structured_settings(document: LocatedDocument, file: str) -> Iterator[NodeSetting]:
    """The node settings of a Talos, talhelper or kubeadm document (none for others)."""
    data = document.data
    if not isinstance(data, Mapping):
        return
    api = str(data.get("apiVersion", ""))
    if api.startswith("kubeadm.k8s.io/") and data.get("kind") == "ClusterConfiguration":
        yield from _kubeadm(Located(document))
    elif api == "v1alpha1" and str(data.get("kind", "")) in TALOS_DOCUMENTS:
        yield from TALOS_DOCUMENTS[str(data["kind"])](Located(document))
    elif is_talhelper(data, file):
        yield from _talhelper(Located(document))
    elif is_talos(data, file):
        yield from _talos(Located(document))


def is_talos(data: Mapping[str, object], file: str) -> bool:
    """A Talos machine configuration, or a patch of one written in a ``talos`` folder."""
    if data.get("version") == "v1alpha1" and isinstance(data.get("machine"), Mapping):
        return True
    # Every document of the repository passes here: the folder test, the costliest,
    # comes last, and splits the POSIX path as a string (no path object per document).
    if "apiVersion" in data or not _has_machine_or_cluster(data):
        return False
    return "talos" in file.lower().split("/")[:-1]


def is_talhelper(data: Mapping[str, object], file: str) -> bool:
    """Talhelper's cluster file: ``talconfig.yaml``, or ``clusterName`` with ``nodes``."""
    if file.rpartition("/")[2] in ("talconfig.yaml", "talconfig.yml"):  # the POSIX basename
        return True
    return "clusterName" in data and isinstance(data.get("nodes"), list) and "talosVersion" in data


def _has_machine_or_cluster(data: Mapping[str, object]) -> bool:
    return isinstance(data.get("machine"), Mapping) or isinstance(data.get("cluster"), Mapping)


def _talos(root: Located) -> Iterator[NodeSetting]:
    cni = root.hit("cluster", "network", "cni", "name")
    if cni is not None:
        yield NodeSetting("cni", str(cni.value), cni.evidence)
    args = as_mapping(root.get("cluster", "apiServer", "extraArgs"))
    for flag, setting in API_SERVER_FLAGS.items():
        if flag in args:
            hit = root.evidence("cluster", "apiServer", "extraArgs", flag)
            yield NodeSetting(setting, str(args[flag]), hit)
    yield from _admission_control(root)
    if root.get("cluster", "apiServer", "auditPolicy") is not None:
        yield NodeSetting(
            "audit-policy", "inline", root.evidence("cluster", "apiServer", "auditPolicy")
        )
    for key in ("secretboxEncryptionSecret", "aescbcEncryptionSecret"):
        if root.get("cluster", key):
            yield NodeSetting("secrets-encryption", key, root.evidence("cluster", key))
    disabled = root.hit("cluster", "proxy", "disabled")
    if disabled is not None and disabled.value is True:
        yield NodeSetting("kube-proxy-disabled", "true", disabled.evidence)
    access = ("machine", "features", "kubernetesTalosAPIAccess")
    roles = [str(r) for r in as_list(root.get(*access, "allowedRoles"))]
    if ETCD_BACKUP_ROLE in roles and root.get(*access, "enabled") is not False:
        role = (*access, "allowedRoles", roles.index(ETCD_BACKUP_ROLE))
        yield NodeSetting("talos-etcd-backup-role", ETCD_BACKUP_ROLE, root.evidence(*role))


def _admission_control(root: Located) -> Iterator[NodeSetting]:
    """The PodSecurity defaults a machine configuration or patch sets, or deletes.

    A strategic merge patch deletes a section with ``$patch: delete``
    (https://www.talos.dev/v1.9/talos-guides/configuration/patching/#strategic-merge-patches):
    on ``admissionControl`` it removes Talos' default PodSecurity plugin, on one list item
    that plugin alone. Either is reported as ``deleted``, so the default is not assumed.
    """
    where: tuple[str | int, ...] = ("cluster", "apiServer", "admissionControl")
    section = root.get(*where)
    if isinstance(section, Mapping) and section.get(PATCH_KEY) == "delete":
        yield NodeSetting("pod-security-enforce", DELETED, root.evidence(*where, PATCH_KEY))
        return
    for i, plugin in enumerate(as_list(section)):
        if not isinstance(plugin, Mapping) or plugin.get("name") != "PodSecurity":
            continue
        if plugin.get(PATCH_KEY) == "delete":
            yield NodeSetting("pod-security-enforce", DELETED, root.evidence(*where, i, PATCH_KEY))
            continue
        enforce = as_mapping(as_mapping(plugin.get("configuration")).get("defaults"))
        yield NodeSetting(
            "pod-security-enforce",
            str(enforce.get("enforce", "baseline")),
            root.evidence(*where, i, text=f"PodSecurity enforce: {enforce.get('enforce')}"),
        )


def _api_server_document(root: Located) -> Iterator[NodeSetting]:
    args = as_mapping(root.get("extraArgs"))
    for flag, setting in API_SERVER_FLAGS.items():
        if flag in args:
            yield NodeSetting(setting, str(args[flag]), root.evidence("extraArgs", flag))


def _authentication_document(root: Located) -> Iterator[NodeSetting]:
    for i, authenticator in enumerate(as_list(root.get("configuration", "jwt"))):
        issuer = as_mapping(as_mapping(authenticator).get("issuer"))
        if issuer.get("url"):
            hit = root.evidence("configuration", "jwt", i, "issuer", "url")
            yield NodeSetting("oidc-issuer-url", str(issuer["url"]), hit)


def _audit_document(root: Located) -> Iterator[NodeSetting]:
    if root.get("configuration") is not None:
        hit = root.evidence("configuration", text="KubeAuditPolicyConfig")
        yield NodeSetting("audit-policy", "KubeAuditPolicyConfig", hit)


def _encryption_document(root: Located) -> Iterator[NodeSetting]:
    if root.get("config") is not None:
        hit = root.evidence("config", text="KubeEtcdEncryptionConfig")
        yield NodeSetting("secrets-encryption", "KubeEtcdEncryptionConfig", hit)


def _proxy_document(root: Located) -> Iterator[NodeSetting]:
    if root.get("enabled") is False:
        hit = root.evidence("enabled", text="KubeProxyConfig enabled: false")
        yield NodeSetting("kube-proxy-disabled", "true", hit)


def _talos_api_access_document(root: Located) -> Iterator[NodeSetting]:
    roles = [str(r) for r in as_list(root.get("allowedRoles"))]
    if ETCD_BACKUP_ROLE in roles:
        hit = root.evidence("allowedRoles", roles.index(ETCD_BACKUP_ROLE))
        yield NodeSetting("talos-etcd-backup-role", ETCD_BACKUP_ROLE, hit)


# Talos multi-document kinds read for settings (kind -> reader).
TALOS_DOCUMENTS: dict[str, Callable[[Located], Iterator[NodeSetting]]] = {
    "KubeAPIServerConfig": _api_server_document,
    "KubeAuthenticationConfig": _authentication_document,
    "KubeAuditPolicyConfig": _audit_document,
    "KubeEtcdEncryptionConfig": _encryption_document,
    "KubeProxyConfig": _proxy_document,
    "KubeTalosAPIAccessConfig": _talos_api_access_document,
}


def _talhelper(root: Located) -> Iterator[NodeSetting]:
    cni = root.hit("cniConfig", "name")
    if cni is not None:
        yield NodeSetting("cni", str(cni.value), cni.evidence)
    for group in ((), ("controlPlane",), ("worker",)):
        for i, patch in enumerate(as_list(root.get(*group, "patches"))):
            if isinstance(patch, Mapping):
                yield from _talos(root.child(*group, "patches", i))


def _kubeadm(root: Located) -> Iterator[NodeSetting]:
    for flag, value, evidence in _extra_args(root, ("apiServer", "extraArgs")):
        if flag in API_SERVER_FLAGS:
            yield NodeSetting(API_SERVER_FLAGS[flag], value, evidence)
    for flag, value, evidence in _extra_args(root, ("etcd", "local", "extraArgs")):
        yield NodeSetting(f"etcd-{flag}", value, evidence)


def _extra_args(root: Located, path: tuple[str, ...]) -> Iterator[tuple[str, str, Evidence]]:
    args = root.get(*path)
    if isinstance(args, Mapping):  # kubeadm v1beta3: a map
        for flag, value in args.items():
            yield str(flag), str(value), root.evidence(*path, str(flag))
    for i, item in enumerate(as_list(args)):  # kubeadm v1beta4: a list of name/value
        if isinstance(item, Mapping) and item.get("name"):
            name, value = str(item["name"]), str(item.get("value", ""))
            yield name, value, root.evidence(*path, i, text=f"{name}: {value}")
