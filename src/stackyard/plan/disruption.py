"""Which spec changes disrupt, and why: one rule per field pattern, first match wins.

"Disruptive" means the change cannot be applied by an Argo CD sync and rolling updates
alone: it rebuilds clusters or nodes, deletes data or namespaces, moves addresses or
names clients use, or starts refusing what was admitted before. Everything else is
applied by the next sync. A field no rule names yet (one added to the spec later) is
treated as disruptive until someone writes its rule: ``diff --fail-on-disruptive`` is a
gate, and a gate must not wave through what nobody has judged.

Patterns are written as :func:`~stackyard.plan.fieldchanges.path_text` writes paths:
``*`` matches one segment (a field, a key or a ``[name]``), ``**`` any rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel

from stackyard.spec.units import parse_quantity

ChangeKind = Literal[
    "platform", "setting", "cluster", "network", "nodes", "component", "tenant", "slo"
]
Judge = Callable[[Any, Any, Any], tuple[bool, str]]
"""``(old, new, owner)``: the owner is the named item (node pool, tenant) holding the field."""


@dataclass(frozen=True)
class Rule:
    """How to judge changes of the fields ``pattern`` matches."""

    pattern: str
    judge: Judge


def calm(reason: str) -> Judge:
    """A change an Argo CD sync applies."""
    return lambda old, new, owner: (False, reason)


def disrupts(reason: str) -> Judge:
    """A change a sync cannot apply without harm."""
    return lambda old, new, owner: (True, reason)


def _added_or_removed(added: str, removed: str) -> Judge:
    def judge(old: Any, new: Any, owner: Any) -> tuple[bool, str]:
        return (True, removed) if new is None else (False, added)

    return judge


def _switched_on_or_off(on: str, off: str) -> Judge:
    def judge(old: Any, new: Any, owner: Any) -> tuple[bool, str]:
        return (False, on) if new else (True, off)

    return judge


def _list_members(removed: str, added: str) -> Judge:
    def judge(old: Any, new: Any, owner: Any) -> tuple[bool, str]:
        gone = set(old or ()) - set(new or ())
        return (True, removed) if gone else (False, added)

    return judge


_MFA_REACH = {"none": 0, "admins": 1, "everyone": 2}


def _mfa_required(old: Any, new: Any, owner: Any) -> tuple[bool, str]:
    if _MFA_REACH.get(str(new), 0) > _MFA_REACH.get(str(old), 0):
        return False, "more people set up a second factor at their next sign-in"
    return False, "fewer people are asked for a second factor (a weaker sign-in, no outage)"


_TEMPLATE_STRICTER = (
    "the cluster's policy template may be stricter: Pod Security and Kyverno start refusing "
    "pods (and evicting none, but blocking their restarts) that break the new rules"
)


def _policy_template(old: Any, new: Any, owner: Any) -> tuple[bool, str]:
    """Disruptive until shown otherwise.

    Only the two plans tell whether a cluster's template becomes stricter; the diff judges
    that per cluster (:func:`~stackyard.plan.diff.diff_plans`).
    """
    return True, _TEMPLATE_STRICTER


def _policy_mode(old: Any, new: Any, owner: Any) -> tuple[bool, str]:
    if new == "enforce":
        return True, "Kyverno starts refusing pods and changes that break a policy"
    return False, "Kyverno only reports policy violations (audit)"


def _control_plane(owner: Any) -> bool:
    return isinstance(owner, BaseModel) and getattr(owner, "role", None) == "control-plane"


def _node_pool(old: Any, new: Any, owner: Any) -> tuple[bool, str]:
    if new is not None:
        return False, "nodes are added"
    if _control_plane(owner):
        return True, "control-plane nodes and their etcd members are removed"
    return False, "workloads move as the nodes are drained"


def _node_count(old: Any, new: Any, owner: Any) -> tuple[bool, str]:
    if isinstance(old, int) and isinstance(new, int) and new < old:
        if _control_plane(owner):
            return True, "etcd members are removed"
        return False, "scaled in: workloads move as the nodes are drained"
    return False, "scaled"


def _pool_grows(old: Any, new: Any, owner: Any) -> tuple[bool, str]:
    grows = old is not None and new is not None and new.contains(old)
    if grows:
        return False, "the pool only grows"
    return True, "LoadBalancer services may get new addresses"


def _quota(old: Any, new: Any, owner: Any) -> tuple[bool, str]:
    if old is not None and new is not None and parse_quantity(new) < parse_quantity(old):
        return False, "the quota shrinks: running pods stay, new pods over it are refused"
    return False, "ResourceQuota updated by a sync"


def _requirements(what: str) -> Judge:
    """Scopes or roles a token must carry: asking for more refuses tokens admitted before."""

    def judge(old: Any, new: Any, owner: Any) -> tuple[bool, str]:
        more = set(new or ()) - set(old or ())
        if more:
            return True, f"tokens without the added {what} ({', '.join(sorted(more))}) are refused"
        return False, f"tokens need fewer {what}; nothing admitted before is refused"

    return judge


def _mtls(old: Any, new: Any, owner: Any) -> tuple[bool, str]:
    if new == "strict":
        return True, "mesh workloads start refusing plain-text connections from outside the mesh"
    return False, "mesh workloads also accept plain text; nothing admitted before is refused"


_VALUES = "values overlay: Argo CD syncs it and the chart rolls its pods"
_ENABLED = "turns the component on or off; what that adds or removes is listed per cluster"

RULES: tuple[Rule, ...] = (
    Rule(
        "name",
        disrupts(
            "the root Application, AppProject, cluster selector and bucket names carry the "
            "platform name; renaming recreates them"
        ),
    ),
    Rule(
        "kubernetes.cloudProvider",
        disrupts("the kubelet's --cloud-provider is set when a node joins; nodes are re-created"),
    ),
    Rule(
        "gitops.*",
        calm("re-apply bootstrap/root-app.yaml once; Argo CD then reads the new location"),
    ),
    Rule("domain", disrupts("public host names and their certificates change")),
    Rule(
        "observability.walRetention",
        calm("Prometheus Agent's WAL buffer: how long app clusters bridge a store outage"),
    ),
    Rule(
        "secrets.refreshInterval",
        calm("External Secrets' refresh interval: how long its cache bridges a Vault outage"),
    ),
    Rule("pki.bootstrap", calm("changes only how a new cluster's first certificates are issued")),
    Rule("policy.mode", _policy_mode),
    Rule("policy.templates**", _policy_template),
    Rule("policy.assignments**", _policy_template),
    Rule(
        "policy.signingKey",
        disrupts(
            "Kyverno verifies image signatures with another key (or with the one created at "
            "bootstrap): pods whose images are not signed with it are refused when created"
        ),
    ),
    Rule("slo.availability", calm("the burn-rate alert thresholds change")),
    Rule("slo.rpo", calm("backup and etcd snapshot schedules change")),
    Rule(
        "slo.rto",
        calm("the recovery-time objective simulate holds the platform to; no rendered file"),
    ),
    Rule(
        "tenants[*]",
        _added_or_removed(
            "the tenant's namespaces, quota and policies are created",
            "the tenant's namespaces and everything in them are deleted",
        ),
    ),
    Rule(
        "tenants[*].clusters",
        _list_members(
            "the tenant's namespaces on the clusters it leaves are deleted",
            "the tenant's namespaces are created on the new clusters",
        ),
    ),
    Rule(
        "tenants[*].namespaces",
        _list_members(
            "the namespaces the tenant gives up are deleted with their workloads",
            "the new namespaces are created",
        ),
    ),
    Rule("tenants[*].quota.*", _quota),
    Rule("host", calm("the capacity check reads the host; nothing is rendered from it")),
    Rule("host.*", calm("the capacity check reads the host; nothing is rendered from it")),
    Rule("aws", disrupts("clusters run in one region; another region means new clusters")),
    Rule("aws.region", disrupts("clusters run in one region; another region means new clusters")),
    Rule(
        "onprem.vsphere.credentialsRef",
        calm("External Secrets copies the account from the other key at its next refresh"),
    ),
    Rule(
        "onprem.vsphere.thumbprint",
        calm("the vSphere provider checks vCenter's certificate against the new fingerprint"),
    ),
    Rule(
        "onprem.vsphere.template",
        disrupts("Cluster API replaces every machine with a clone of the new template"),
    ),
    Rule(
        "onprem**",
        disrupts(
            "Cluster API replaces the machines in the other place of the vCenter, or "
            "stops or starts making the app clusters there"
        ),
    ),
    Rule(
        "aws.stateBucket",
        calm("Terraform's state moves with terraform init -migrate-state; nothing else changes"),
    ),
    Rule(
        "objectStorage.credentialsSecret",
        calm("the consumers read the other Secret at their next rollout"),
    ),
    Rule("objectStorage.pathStyle", calm("the consumers address the same buckets another way")),
    Rule(
        "objectStorage**",
        disrupts(
            "backups, logs, traces, metrics blocks and snapshots go to another store; "
            "what was written before stays in the old one"
        ),
    ),
    Rule("components.*.enabled", calm(_ENABLED)),
    Rule("components.*.values**", calm(_VALUES)),
    Rule("components.*", calm(_ENABLED)),
    Rule(
        "clusters[*]",
        _added_or_removed("a new cluster is added", "the cluster and everything on it is removed"),
    ),
    Rule("clusters[*].role", disrupts("platform services move between clusters")),
    Rule("clusters[*].network.loadBalancerPool", _pool_grows),
    Rule("clusters[*].network.*", disrupts("changing the address plan rebuilds the cluster")),
    Rule("clusters[*].nodePools[*]", _node_pool),
    Rule("clusters[*].nodePools[*].count", _node_count),
    Rule("clusters[*].nodePools[*].role", disrupts("changing a pool's role rebuilds it")),
    Rule("clusters[*].nodePools[*].cpu", calm("nodes are replaced one at a time")),
    Rule("clusters[*].nodePools[*].memory", calm("nodes are replaced one at a time")),
    Rule("clusters[*].nodePools[*].disk", calm("nodes are replaced one at a time")),
    Rule("clusters[*].nodePools[*].instanceType", calm("nodes are replaced one at a time")),
    Rule(
        "clusters[*].nodePools[*].schedulable",
        calm("platform pods are rescheduled onto the nodes that take them"),
    ),
    Rule(
        "clusters[*].labels**",
        calm(
            "labels of Argo CD's cluster Secret, for your own selectors; "
            "the rendered Applications name their cluster directly"
        ),
    ),
    Rule("clusters[*].components.*.enabled", calm(_ENABLED)),
    Rule("clusters[*].components.*.values**", calm(_VALUES)),
    Rule("clusters[*].components.*", calm(_ENABLED)),
    Rule("clusters[*].policyMode", _policy_mode),
    Rule("clusters[*].policyTemplate", _policy_template),
    Rule("clusters[*].aws.tags**", calm("EC2 tags; the controllers read them")),
    Rule(
        "clusters[*].aws.zones",
        disrupts("subnets move to other zones; the nodes in them are replaced"),
    ),
    Rule("clusters[*].aws**", disrupts("another region means a new cluster")),
    Rule(
        "clusters[*].vsphere**",
        disrupts("the API server's address changes: every node and client must follow"),
    ),
    Rule("clusters[*].ha", calm("replica counts change by a sync")),
    Rule(
        "clusters[*].provisioning",
        disrupts(
            "Cluster API creates the cluster anew on machines of its own, or stops managing "
            "the machines it made; the running cluster is not adopted"
        ),
    ),
    Rule(
        "clusters[*].serviceAccountJwks",
        calm(
            "Teleport's operator updates the agent's join token; an agent already joined "
            "keeps its certificates"
        ),
    ),
    # The service mesh. mesh.enabled and mesh.mode are settings, judged in plan.diff.
    Rule("mesh.mtls", _mtls),
    Rule(
        "mesh.tenants",
        disrupts(
            "namespaces join or leave the mesh: joining, their workloads get the mesh's mTLS "
            "and default-deny authorization, so undeclared callers are refused (in sidecar "
            "mode every pod restarts); leaving, they can no longer reach strict-mTLS services"
        ),
    ),
    Rule(
        "mesh.namespaces",
        disrupts(
            "namespaces join or leave the mesh: joining, their workloads get the mesh's mTLS "
            "and default-deny authorization, so undeclared callers are refused (in sidecar "
            "mode every pod restarts); leaving, they can no longer reach strict-mTLS services"
        ),
    ),
    Rule(
        "services[*]",
        _added_or_removed(
            "the service's routes and authorization policy are created",
            "the service's authorization policy goes, so the mesh's default-deny refuses "
            "its callers, and its routes are removed",
        ),
    ),
    Rule("services[*].tenant", disrupts("the service moves to another tenant's namespace")),
    Rule(
        "services[*].namespace",
        disrupts("the service moves namespace, so its address <name>.<namespace> changes"),
    ),
    Rule(
        "services[*].callers",
        _list_members(
            "the callers removed are refused by the service's authorization policy",
            "the new callers are allowed by a sync",
        ),
    ),
    Rule(
        "services[*].ports[*]",
        _added_or_removed(
            "the port is routed by a sync", "clients of the removed port are refused"
        ),
    ),
    Rule("services[*].ports[*].port", disrupts("clients address the service on the old port")),
    Rule(
        "services[*].ports[*].protocol",
        calm("the routes of the port are rewritten by a sync (tcp gets no L7 routing)"),
    ),
    Rule("services[*].versions**", calm("traffic moves between versions by a sync")),
    Rule("services[*].rollout", calm("Argo Rollouts takes over or hands back the weights")),
    Rule("services[*].timeout", calm("the route's timeout changes by a sync")),
    Rule("services[*].retries**", calm("the route's retry policy changes by a sync")),
    # APIs on the gateway.
    Rule(
        "apis[*]",
        _added_or_removed(
            "the API's route, policies and consumers' clients are created",
            "the API's route and its consumers' Keycloak clients are removed: its callers "
            "are refused",
        ),
    ),
    Rule("apis[*].tenant", disrupts("the API's route and policies move to another tenant")),
    Rule("apis[*].host", disrupts("clients call the API at its old host name")),
    Rule("apis[*].pathPrefix", disrupts("clients call the API under its old path")),
    Rule("apis[*].service", calm("requests go to another service after a sync")),
    Rule("apis[*].port", calm("requests go to another port after a sync")),
    Rule("apis[*].openapi", calm("the API's description in the developer portal changes")),
    Rule("apis[*].auth.realm", disrupts("tokens issued by the old realm are refused")),
    Rule("apis[*].auth.scopes", _requirements("scopes")),
    Rule("apis[*].auth.roles", _requirements("roles")),
    Rule("apis[*].plans**", calm("rate limits and quotas are applied by a sync")),
    Rule(
        "apis[*].consumers[*]",
        _added_or_removed(
            "a Keycloak client is created for the consumer",
            "the consumer's Keycloak client is deleted: its tokens are refused",
        ),
    ),
    Rule("apis[*].consumers[*].plan", calm("the consumer's limits change by a sync")),
    # Company directories Keycloak federates.
    Rule(
        "identity.directories[*]",
        _added_or_removed(
            "Keycloak federates the directory: its users can sign in (the realm is imported "
            "once: an existing realm gets the federation from its administrators)",
            "the directory's users can no longer sign in, and their imported accounts go",
        ),
    ),
    Rule("identity.directories[*].url", calm("Keycloak reaches the same directory elsewhere")),
    Rule("identity.directories[*].bindDN", calm("Keycloak binds with another service account")),
    Rule(
        "identity.directories[*].bindPassword**",
        calm("Keycloak reads the bind password from another Secret"),
    ),
    Rule("identity.directories[*].tls**", calm("Keycloak connects to the directory another way")),
    Rule(
        "identity.directories[*].editMode",
        disrupts(
            "Keycloak's federation changes how it keeps imported users: users imported "
            "under the old mode are dropped and imported again, losing what was kept in Keycloak"
        ),
    ),
    Rule(
        "identity.directories[*].type",
        disrupts("the user search changes its defaults; users may vanish or be imported anew"),
    ),
    Rule(
        "identity.directories[*].users**",
        disrupts(
            "the user search changes: users it no longer finds, or finds under another id, "
            "vanish from Keycloak with their roles"
        ),
    ),
    Rule(
        "identity.directories[*].groups**",
        disrupts(
            "the group search changes: groups it no longer finds take their members' "
            "access with them"
        ),
    ),
    # The second factor, groups and their roles, applications beyond the platform's own.
    Rule(
        "identity.mfa",
        _added_or_removed(
            "the people the policy covers set up a second factor at their next sign-in",
            "sign-in no longer asks for a second factor: a password alone opens every tool",
        ),
    ),
    Rule(
        "identity.mfa.methods",
        _list_members(
            "people who set up only a method that goes must set up another at their next sign-in",
            "another second factor is offered",
        ),
    ),
    Rule("identity.mfa.required", _mfa_required),
    Rule(
        "identity.groups[*]",
        _added_or_removed(
            "the group's members get its role",
            "the group's members lose its role's permissions at the next sync",
        ),
    ),
    Rule(
        "identity.groups[*].role",
        disrupts("the group's members lose the old role's permissions for the new one's"),
    ),
    Rule(
        "identity.groups[*].tenant",
        disrupts("the group's members lose their access to the old tenant's namespaces"),
    ),
    Rule(
        "identity.groups[*].clusters",
        _list_members(
            "the group's members lose the role on the clusters that go",
            "the group's members get the role on more clusters",
        ),
    ),
    Rule(
        "identity.groups[*].directory",
        disrupts(
            "the group's members come from elsewhere: people who are not in the new source "
            "lose the role"
        ),
    ),
    Rule(
        "identity.samlProviders[*]",
        _added_or_removed(
            "a SAML client is created for the provider",
            "the provider's SAML client is deleted: nobody can sign in to it",
        ),
    ),
    Rule(
        "identity.samlProviders[*].entityId",
        disrupts("the client's id changes: the provider must be set up with the new entity ID"),
    ),
    Rule("identity.samlProviders[*].acsUrl", calm("assertions are posted to the new address")),
    Rule(
        "identity.samlProviders[*].nameIdFormat",
        disrupts("the subject's NameID changes: the provider may not match existing accounts"),
    ),
    Rule(
        "identity.samlProviders[*].signAssertions",
        calm("the provider must accept assertions signed the new way (check its settings)"),
    ),
    Rule(
        "identity.oidcClients[*]",
        _added_or_removed(
            "a client is created for the application",
            "the application's client is deleted: its tokens are refused",
        ),
    ),
    Rule(
        "identity.oidcClients[*].redirectUris",
        _list_members(
            "sign-ins that return to a removed redirect URI are refused",
            "Keycloak may send people back to another address",
        ),
    ),
    Rule(
        "identity.oidcClients[*].public",
        disrupts(
            "the client changes between public and confidential: the application must "
            "change its sign-in settings (secret or PKCE) with it"
        ),
    ),
    # Hardening. hardening.cis is judged in plan.diff with the edition (auto: Enterprise).
    Rule(
        "hardening",
        _added_or_removed(
            "encryption at rest and the audit log are set up; the API servers restart one at "
            "a time",
            "the encryption key goes: Secrets encrypted at rest must be rewritten in plain "
            "first, or the API server cannot read them",
        ),
    ),
    Rule(
        "hardening.cis",
        calm("the CIS profile resolves the same either way (auto: on for Enterprise only)"),
    ),
    Rule(
        "hardening.encryptionAtRest.keyRotation",
        calm("the key rotation schedule changes"),
    ),
    Rule(
        "hardening.encryptionAtRest.vaultAddress",
        disrupts(
            "the KMS plugin on every control-plane node moves to another Vault: each API "
            "server restarts with it, and Secrets stay readable only if that Vault holds the "
            "same Transit key"
        ),
    ),
    Rule(
        "hardening.encryptionAtRest**",
        disrupts(
            "every Secret must be re-encrypted with the new key, and the old key stay "
            "readable until then"
        ),
    ),
    Rule(
        "hardening.audit**",
        calm("the audit policy and log rotation change; the API servers restart one at a time"),
    ),
    # The fleet service on mgmt. Its volume is pruned with it, and with it the SQLite
    # store: the audit log, the assessment history and the API tokens.
    Rule(
        "fleet.service.enabled",
        _switched_on_or_off(
            "the fleet service is deployed by a sync",
            "the fleet service is removed with its volume: a SQLite store (audit log, "
            "assessment history, API tokens) is deleted",
        ),
    ),
    Rule(
        "fleet.service.image",
        calm("the service's pods are replaced with the new image by a sync"),
    ),
    Rule(
        "fleet.service.database",
        disrupts(
            "the service starts on another store: what the old one holds (audit log, "
            "assessment history, API tokens) is not copied over"
        ),
    ),
    Rule(
        "fleet.service.databaseUrlRef**",
        disrupts(
            "the service reads its database URL from elsewhere in Vault: another database "
            "starts empty, and the pods see it only when they restart"
        ),
    ),
    Rule(
        "fleet.service.sessionSecretRef**",
        disrupts("sessions signed with the old secret end: everyone signs in again"),
    ),
    Rule(
        "fleet.service.oidc**",
        disrupts(
            "people sign in through another provider or client: sessions end, and whoever "
            "the new one puts in other groups gets other roles"
        ),
    ),
    # The air gap: where Argo CD and the nodes fetch from. Every change needs the node
    # files reinstalled and the new servers to hold everything already.
    Rule(
        "airgap**",
        disrupts(
            "Argo CD and every node fetch charts, images and Git from other servers: the "
            "node mirror files must be reinstalled on every node, and each chart, image and "
            "the repository must be on the new servers before the sync, or pulls fail"
        ),
    ),
)

UNJUDGED = (
    "no rule judges this field yet, so it counts as disruptive; "
    "review the rendered change with stackyard diff --manifests"
)


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    text = re.escape(pattern).replace(r"\*\*", ".*").replace(r"\*", r"[^.\[]+")
    # ``[*]`` written in a pattern is a list item whatever its name.
    text = text.replace(r"\[[^.\[]+\]", r"\[[^\]]+\]")
    return re.compile(text)


def judge(path: str, old: Any, new: Any, owner: Any = None) -> tuple[bool, str]:
    """Whether the change of the field at ``path`` disrupts, and why.

    Args:
        path: the field as :func:`~stackyard.plan.fieldchanges.path_text` writes it.
        old: its value before (None: added).
        new: its value after (None: removed).
        owner: the named item holding the field (a node pool, a tenant), if any.
    """
    rule = rule_for(path)
    if rule is None:
        return True, UNJUDGED
    return rule.judge(old, new, owner)


def rule_for(path: str) -> Rule | None:
    """The first rule whose pattern matches the field at ``path``, if any."""
    return next((rule for rule in RULES if _regex(rule.pattern).fullmatch(path)), None)


_CLUSTER_SECTIONS: dict[str, ChangeKind] = {
    "network": "network",
    "nodePools": "nodes",
    "components": "component",
}


def kind_of(path: str) -> ChangeKind:
    """Which part of the platform a spec path belongs to."""
    head = re.split(r"[.\[]", path, maxsplit=1)[0]
    if head == "clusters":
        rest = path.split("]", 1)[1] if "]" in path else ""
        return _CLUSTER_SECTIONS.get(re.split(r"[.\[]", rest.lstrip("."), maxsplit=1)[0], "cluster")
    if head in ("tenants", "services", "apis"):
        return "tenant"
    if head == "slo":
        return "slo"
    if head == "components":
        return "component"
    return "platform"
