"""The AWS cloud-controller-manager as an RKE2 static manifest, out of the CCM bootstrap deadlock.

Kubernetes has no in-tree AWS provider, so an external CCM must initialise every node,
but nodes keep the ``node.cloudprovider.kubernetes.io/uninitialized`` taint until it runs
and it is itself a pod. The fix is to ship it in ``/var/lib/rancher/rke2/server/manifests``
(RKE2 applies that folder itself, with no Argo CD and no scheduler decision pending) and
to let it tolerate the taint.

Source: what ``helm template`` renders from chart ``aws-cloud-controller-manager`` 0.0.11
(app v1.35.0, kubernetes/cloud-provider-aws ``charts/aws-cloud-controller-manager``,
templates serviceaccount, clusterrole, cluserrolebinding, rolebinding and daemonset at
commit 63ec440c) with the chart's RBAC rules verbatim, empty fields left out, and these
values changed:

- ``args``: the chart's ``--v=2 --cloud-provider=aws`` plus ``--configure-cloud-routes=false``
  (the route controller is no fix for an overlay and VPC route tables cap
  at 50 routes), ``--cluster-name=<cluster>`` (it must match the EC2 tag
  ``kubernetes.io/cluster/<cluster>`` exactly) and, unless ``aws-ccm-load-balancer`` is
  planned, ``--controllers=*,-service`` so the CCM leaves LoadBalancer Services to the
  AWS Load Balancer Controller;
- ``hostNetworking: true`` (the upstream example manifest's choice: the CCM must work
  before the CNI is up and without pod networking);
- ``nodeSelector``: RKE2 labels servers ``node-role.kubernetes.io/control-plane: "true"``,
  not the ``""`` kubeadm uses and the chart defaults to, which would match no RKE2 node;
  kubeadm's clusters keep ``""`` (:func:`control_plane_selector`);
- ``tolerations``: the chart's three plus ``CriticalAddonsOnly``, the taint RKE2 servers
  carry when the control plane is kept free of workloads;
- ``resources``: the catalog's numbers for the component.

- ``securityContext``: ``allowPrivilegeEscalation: false`` (the chart sets none; the CCM
  execs no setuid program, so it loses nothing).

The host network is a need, declared on the DaemonSet in the annotation Polaris reads
(``polaris.fairwinds.com/hostNetworkSet-exempt``) with its reason, and so is root: the
upstream image (``go-runner``) runs as root and neither the chart nor upstream runs the
CCM as another user, so Stackyard does not either. ``stackyard assess`` lists both as
accepted with their reason (docs/assessment-workloads.md).

The CCM's AWS credentials come from the control-plane instance profile; nothing secret is
rendered. Its providerID is ``aws:///<zone>/<instance-id>``: the RKE2 renderer writes a
script that sets it on the kubelet from instance metadata.
"""

from __future__ import annotations

import copy
from typing import Any

from stackyard.plan import ClusterPlan
from stackyard.render.context import LABEL_PREFIX, RenderContext
from stackyard.render.tree import Manifest

CCM = "aws-cloud-controller-manager"
LOAD_BALANCER_FEATURE = "aws-ccm-load-balancer"
CHART = "aws-cloud-controller-manager"
INSTANCE_FROM_METADATA = """\
imds=http://169.254.169.254/latest
token=$(curl -sSf -X PUT "$imds/api/token" -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
metadata() {{
  curl -sSf -H "X-aws-ec2-metadata-token: $token" "$imds/meta-data/$1"
}}
zone=$(metadata placement/availability-zone)
id=$(metadata instance-id)
"""
"""Shell lines setting ``$zone`` and ``$id`` of the EC2 instance they run on (IMDSv2): the
providerID ``aws:///<zone>/<id>`` the CCM maps a node by, written by each distribution's
provider-id script its own way. Braces doubled: the scripts are ``str.format`` templates."""
CHART_VERSION = "0.0.11"
IMAGE = "registry.k8s.io/provider-aws/cloud-controller-manager:v1.35.0"
UNINITIALIZED_TAINT = "node.cloudprovider.kubernetes.io/uninitialized"
SERVICE_ACCOUNT = "cloud-controller-manager"
CLUSTER_ROLE = "system:cloud-controller-manager"
ROLE_BINDING = "cloud-controller-manager:apiserver-authentication-reader"
AUTH_READER_ROLE = "extension-apiserver-authentication-reader"
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"


def control_plane_selector(context: RenderContext) -> dict[str, str]:
    """The nodeSelector of the platform's control-plane nodes.

    RKE2 labels its servers ``control-plane: "true"``, kubeadm its control-plane nodes
    ``control-plane: ""``: either selector matches no node of the other distribution.
    """
    rke2 = context.platform.kubernetes.distribution == "rke2"
    return {CONTROL_PLANE_LABEL: "true" if rke2 else ""}


EXEMPTIONS = {
    "polaris.fairwinds.com/hostNetworkSet-exempt": "true",
    "polaris.fairwinds.com/runAsRootAllowed-exempt": "true",
    f"{LABEL_PREFIX}/exemption-reason": (
        "the CCM initialises nodes before the CNI runs, so it needs the host network; "
        "its upstream image runs as root and upstream runs it as no other user"
    ),
}

_CORE = ""


def _rule(group: str, resources: str, verbs: list[str]) -> dict[str, Any]:
    return {"apiGroups": [group], "resources": [resources], "verbs": verbs}


# The chart's clusterRoleRules, in its order.
CLUSTER_ROLE_RULES = [
    _rule(_CORE, "events", ["create", "patch", "update"]),
    _rule(_CORE, "nodes", ["*"]),
    _rule(_CORE, "nodes/status", ["patch"]),
    _rule(_CORE, "services", ["list", "patch", "update", "watch"]),
    _rule(_CORE, "services/status", ["list", "patch", "update", "watch"]),
    _rule(_CORE, "serviceaccounts", ["create"]),
    _rule(_CORE, "persistentvolumes", ["get", "list", "update", "watch"]),
    _rule(_CORE, "endpoints", ["create", "get", "list", "watch", "update"]),
    _rule("coordination.k8s.io", "leases", ["create", "get", "list", "watch", "update"]),
    _rule(_CORE, "serviceaccounts/token", ["create"]),
    _rule("authentication.k8s.io", "tokenreviews", ["create"]),
    _rule("authorization.k8s.io", "subjectaccessreviews", ["create"]),
]

TOLERATIONS = [
    {"key": UNINITIALIZED_TAINT, "value": "true", "effect": "NoSchedule"},
    {"key": "node-role.kubernetes.io/master", "effect": "NoSchedule"},
    {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"},
    {"key": "CriticalAddonsOnly", "operator": "Exists"},
]


def ccm_args(cluster: ClusterPlan) -> list[str]:
    """The CCM's command-line arguments on ``cluster``."""
    args = [
        "--v=2",
        "--cloud-provider=aws",
        "--configure-cloud-routes=false",
        f"--cluster-name={cluster.name}",
    ]
    if not cluster.has(LOAD_BALANCER_FEATURE):
        args.append("--controllers=*,-service")
    return args


def _chart_labels() -> dict[str, str]:
    return {"helm.sh/chart": f"{CHART}-{CHART_VERSION}"}


def ccm_manifests(context: RenderContext, cluster: ClusterPlan) -> list[Manifest]:
    """ServiceAccount, RBAC and DaemonSet of the CCM, in Helm's install order."""
    component = context.component(CCM)
    namespace = component.namespace

    def subject() -> dict[str, str]:
        return {
            "apiGroup": "",
            "kind": "ServiceAccount",
            "name": SERVICE_ACCOUNT,
            "namespace": namespace,
        }

    resources: dict[str, Any] = {}
    if component.resources is not None:
        requests, limits = component.resources.requests, component.resources.limits
        resources = {
            "requests": {"cpu": requests.cpu, "memory": requests.memory},
            "limits": {"cpu": limits.cpu, "memory": limits.memory},
        }

    def app_label() -> dict[str, str]:
        return {"k8s-app": CCM}  # a fresh map each time: shared ones dump as YAML anchors

    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {
                "name": SERVICE_ACCOUNT,
                "namespace": namespace,
                "labels": _chart_labels(),
            },
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": CLUSTER_ROLE, "labels": _chart_labels()},
            "rules": copy.deepcopy(CLUSTER_ROLE_RULES),
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": CLUSTER_ROLE, "labels": _chart_labels()},
            "roleRef": {
                "kind": "ClusterRole",
                "name": CLUSTER_ROLE,
                "apiGroup": "rbac.authorization.k8s.io",
            },
            "subjects": [subject()],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": ROLE_BINDING, "namespace": namespace, "labels": _chart_labels()},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": AUTH_READER_ROLE,
            },
            "subjects": [subject()],
        },
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {
                "name": CCM,
                "labels": {**app_label(), **_chart_labels()},
                "namespace": namespace,
                "annotations": dict(EXEMPTIONS),
            },
            "spec": {
                "selector": {"matchLabels": app_label()},
                "updateStrategy": {"type": "RollingUpdate"},
                "template": {
                    "metadata": {"name": CCM, "labels": app_label()},
                    "spec": {
                        "tolerations": copy.deepcopy(TOLERATIONS),
                        "nodeSelector": control_plane_selector(context),
                        "dnsPolicy": "Default",
                        "priorityClassName": "system-node-critical",
                        "serviceAccountName": SERVICE_ACCOUNT,
                        "hostNetwork": True,
                        "containers": [
                            {
                                "name": CHART,
                                "image": IMAGE,
                                "args": ccm_args(cluster),
                                "resources": resources,
                                "securityContext": {"allowPrivilegeEscalation": False},
                            }
                        ],
                    },
                },
            },
        },
    ]
