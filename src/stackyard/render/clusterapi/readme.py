"""The rendered README's section on the clusters Cluster API creates (none: no section)."""

from __future__ import annotations

from stackyard.render.clusterapi.build import OPERATOR, provisioned
from stackyard.render.clusterapi.controlplane import ETCD_S3_CREDENTIALS
from stackyard.render.clusterapi.providers import CREDENTIALS_SECRET, providers
from stackyard.render.clusterapi.registration import registers_through_external_secrets
from stackyard.render.clusterapi.vsphere import (
    VARIABLES_SECRET,
    credentials_secret,
    credentials_through_external_secrets,
    on_vsphere,
)
from stackyard.render.context import RenderContext
from stackyard.render.etcd_copies import snapshot_copies
from stackyard.render.infrastructure import ROOT, renders_infrastructure


def _iam_step(context: RenderContext) -> list[str]:
    """Step 1: the IAM the providers use, from mgmt's Terraform where it is rendered."""
    mgmt = context.argocd_cluster
    if renders_infrastructure(context, mgmt):
        return [
            "1. mgmt's Terraform creates the AWS IAM roles and instance profiles the providers",
            f"   use, as clusterawsadm would (`{ROOT}/{mgmt.name}/modules/cluster-api-iam`).",
        ]
    return [
        "1. Create the AWS IAM roles and instance profiles the providers use, once per account:",
        "   `clusterawsadm bootstrap iam create-cloudformation-stack`.",
    ]


def clusterapi_section(context: RenderContext) -> str:
    """How the provisioned clusters come to exist and join Argo CD."""
    made = provisioned(context)
    if not made:
        return ""
    mgmt = context.argocd_cluster.name
    operator_namespace = context.component(OPERATOR).namespace
    names = ", ".join(f"`{c.name}`" for c in made)
    versions = ", ".join(f"{p.kind} `{p.name}` {p.version}" for p in providers(context))
    lines = [
        "",
        "## Clusters Cluster API creates",
        "",
        f"Cluster API on `{mgmt}` creates {names}: their objects are in",
        "`clusters/<cluster>/cluster-api/`, which the Application `cluster-api-<cluster>`",
        f"applies to `{mgmt}` in the namespace `cluster-<cluster>`. The operator installs the",
        f"providers (`manifests/{mgmt}/{OPERATOR}/providers.yaml`: {versions}).",
        "",
        *(
            _vsphere_steps(context, operator_namespace)
            if on_vsphere(context)
            else _aws_steps(context, operator_namespace)
        ),
        "3. The root app installs the operator, the providers and the clusters. Follow a",
        "   cluster with `kubectl get cluster,machines -n cluster-<cluster>`.",
    ]
    if registers_through_external_secrets(context):
        lines += [
            "4. Nothing to do for Argo CD: an ExternalSecret builds each cluster's Argo CD",
            "   Secret from the kubeconfig Cluster API writes, with the selection labels, and",
            "   the cluster's own Application `applications-<cluster>` (`apps/clusters/`)",
            "   syncs `clusters/<cluster>/applications/` once the cluster answers.",
        ]
    else:
        lines += [
            "4. Once a cluster answers, put its server and credentials into its Secret in",
            "   `apps/clusters/` from `clusterctl get kubeconfig <cluster> -n cluster-<cluster>`.",
        ]
    copies = [snapshot_copies(context, c) for c in made]
    if any(c is not None and c.credentials_secret is not None for c in copies):
        lines += [
            f"5. For the etcd snapshot copies, create the Secret `{ETCD_S3_CREDENTIALS}` in each",
            "   `cluster-<cluster>` with the object store's keys as `aws_access_key_id` and",
            "   `aws_secret_access_key`; the RKE2 provider hands them to the servers.",
        ]
    lines += [
        "",
        "While mgmt is down these clusters keep running their workloads, but none of them can",
        "scale, replace a failed machine or upgrade.",
    ]
    return "\n".join(lines) + "\n"


def _aws_steps(context: RenderContext, operator_namespace: str) -> list[str]:
    return [
        *_iam_step(context),
        f"2. Create the Secret `{CREDENTIALS_SECRET}` in `{operator_namespace}` with the key",
        "   `AWS_B64ENCODED_CREDENTIALS`: empty when mgmt's servers carry the provider's",
        "   controllers policy (mgmt's Terraform gives it to them), else the output of",
        "   `clusterawsadm bootstrap credentials encode-as-profile`.",
    ]


def _vsphere_steps(context: RenderContext, operator_namespace: str) -> list[str]:
    vsphere = context.platform.vsphere
    assert vsphere is not None
    lines = [
        f"1. In vCenter `{vsphere.server}`: the VM template `{vsphere.template}` (an image with",
        "   the distribution's binaries of this Kubernetes version, e.g. image-builder's OVA),",
        "   and an account allowed to clone it and manage VMs in the folder and resource pool.",
        "   Keep each cluster's `vsphere.apiVIP` out of the port group's DHCP range.",
    ]
    if credentials_through_external_secrets(context):
        lines += [
            "2. Put the account's `username` and `password` into Vault at",
            f"   `{vsphere.credentialsRef}` (KV engine `secret/`): External Secrets on mgmt",
            f"   writes them to `{operator_namespace}/{VARIABLES_SECRET}` and to each cluster's",
            "   `cluster-<cluster>/<cluster>-vsphere-credentials`.",
        ]
    else:
        names = ", ".join(
            f"`cluster-{c.name}/{credentials_secret(c)}`" for c in provisioned(context)
        )
        lines += [
            f"2. Create the Secret `{VARIABLES_SECRET}` in `{operator_namespace}` with the keys",
            "   `VSPHERE_USERNAME` and `VSPHERE_PASSWORD`, and " + names,
            "   with the keys `username` and `password` of the account.",
        ]
    return lines
