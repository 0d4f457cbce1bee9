"""The cloud-init user-data of a kubeadm cluster's EC2 instances: its kubeadm files, joined.

The node bootstrap (``render/bootstrap/kubeadm.py``) writes the kubeadm configuration of
``nodes/<cluster>/kubeadm/`` with the join credentials as ``${...}`` placeholders. On AWS
Terraform starts the machines, so each kind of node gets a ``#cloud-config`` whose
``write_files`` carry its kubeadm file byte for byte as
``/etc/kubernetes/kubeadm/config.yaml`` (``server-init``: ``init-config.yaml``;
``server-join``: ``join-control-plane-config.yaml``; ``agent``: ``join-config.yaml``),
the hardening files, the containerd mirrors and the providerID script; ``runcmd`` sets up
the host with the local VMs' own steps (``render/bootstrap/cloudinit.py``), installs
containerd, the Kubernetes packages and the AWS CLI (air-gapped: the golden image carries
them, nothing is downloaded), then:

1. ``kubeadm-credentials.sh`` fills the placeholders. The first control-plane node
   generates the bootstrap token and certificate key (and the encryption key of
   ``encryptionAtRest.provider: builtin``) and writes them to SSM Parameter Store as
   SecureStrings under ``/stackyard/<cluster>/kubeadm/``; every other node waits until
   the first has published the CA certificate hash there (after ``kubeadm init``
   succeeded) and reads what it needs, the workers only the token and the hash. No
   credential is in Terraform's state, the user-data or Git, and a first node started
   again for a cluster that exists refuses to initialise a second one.
2. ``kubeadm init`` (with ``--upload-certs`` for several control-plane nodes) or
   ``kubeadm join``.
3. On the first node: the CA hash published, the AWS cloud controller applied (nodes stay
   tainted uninitialised until it runs).

The bootstrap token and uploaded certificates expire after two hours (kubeadm's
defaults); a machine that joins later needs fresh ones in the same parameters (see
docs/provisioning.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stackyard.plan import ClusterPlan
from stackyard.render.bootstrap.aws_ccm import CCM
from stackyard.render.bootstrap.base import NodeFile, header
from stackyard.render.bootstrap.cloudinit import (
    HOST_SETUP,
    KUBEADM_FILE,
    containerd_and_kubelet,
    kernel_files,
    kubernetes_packages,
)
from stackyard.render.bootstrap.kubeadm import (
    CCM_FILE,
    PLACEHOLDERS,
    PROVIDER_ID_FILE,
    init_command,
)
from stackyard.render.bootstrap.kubeadm_hardening import (
    after_kubeadm,
    node_files,
    secret_placeholders,
    uses_encryption_key,
)
from stackyard.render.bootstrap.mirrors import cloud_init_mirror_files
from stackyard.render.context import RenderContext
from stackyard.render.infrastructure.userdata import SCRIPTS, Kind
from stackyard.render.yamlout import dump_yaml

CREDENTIALS = f"{SCRIPTS}/kubeadm-credentials.sh"
PROVIDER_ID = f"{SCRIPTS}/aws-provider-id.sh"
CCM_MANIFEST = "/etc/kubernetes/kubeadm/aws-ccm.yaml"
CONFIG_FILES: dict[Kind, str] = {
    "server-init": "kubeadm/init-config.yaml",
    "server-join": "kubeadm/join-control-plane-config.yaml",
    "agent": "kubeadm/join-config.yaml",
}
JOIN_WAIT_MINUTES = 60


def parameter_prefix(cluster: ClusterPlan) -> str:
    """Where the first node keeps the join credentials in SSM Parameter Store."""
    return f"/stackyard/{cluster.name}/kubeadm"


def parameter(name: str) -> str:
    """The parameter of placeholder ``name``: ``KUBEADM_CA_CERT_HASH`` -> ``ca-cert-hash``."""
    return name.removeprefix("KUBEADM_").lower().replace("_", "-")


WORKER_PARAMETERS = ("KUBEADM_TOKEN", "KUBEADM_CA_CERT_HASH")
"""What a worker may read: no certificate key, no encryption key."""


def _credentials_script(context: RenderContext, cluster: ClusterPlan, region: str) -> str:
    """``kubeadm-credentials.sh init|publish|join-control-plane|join`` (module docs)."""
    generated = ["KUBEADM_TOKEN"]
    if cluster.cluster.control_plane_nodes > 1:
        generated.append("KUBEADM_CERTIFICATE_KEY")
    if uses_encryption_key(context):
        generated.append("ENCRYPTION_KEY")
    # Secrets the operator puts there beforehand (the Vault plugin's credentials).
    given = [n for n in secret_placeholders(context) if n not in generated]
    control_plane = [*generated, "KUBEADM_CA_CERT_HASH", *given]
    variables = " ".join("${" + n + "}" for n in [*PLACEHOLDERS, *secret_placeholders(context)])
    make = {
        "KUBEADM_TOKEN": "kubeadm token generate",
        "KUBEADM_CERTIFICATE_KEY": "kubeadm certs certificate-key",
        "ENCRYPTION_KEY": "head -c 32 /dev/urandom | base64",
    }
    init = [f'  {n}=$({make[n]})\n  put {parameter(n)} "${n}"\n  export {n}\n' for n in generated]
    init += [f"  {n}=$(get {parameter(n)})\n  export {n}\n" for n in given]

    def read(names: Iterable[str]) -> str:
        return "".join(f"  {n}=$(get {parameter(n)})\n  export {n}\n" for n in names)

    return f"""#!/bin/sh
# {header(cluster).replace(chr(10), chr(10) + "# ")}
#
# The join credentials of {cluster.name}, through SSM Parameter Store (SecureString) under
# {parameter_prefix(cluster)}/: never in Terraform's state, the user-data or Git.
#   init                the first control-plane node: generate, store, fill in its files
#   publish             the first node, after kubeadm init: the CA certificate hash
#   join-control-plane  another control-plane node: wait for the hash, read, fill in
#   join                a worker: wait for the hash, read the token and hash, fill in
# The files given after the command get their ${{...}} placeholders filled in.
set -eu
export AWS_DEFAULT_REGION={region}
export PATH="$PATH:/snap/bin"  # the AWS CLI's snap
prefix={parameter_prefix(cluster)}
command=$1
shift
get() {{
  aws ssm get-parameter --with-decryption --name "$prefix/$1" \\
    --query Parameter.Value --output text
}}
put() {{
  aws ssm put-parameter --type SecureString --overwrite --name "$prefix/$1" \\
    --value "$2" >/dev/null
}}
fill() {{
  for file in "$@"; do
    envsubst '{variables}' < "$file" > "$file.new"
    chmod 0600 "$file.new"
    mv "$file.new" "$file"
  done
}}
wait_for_init() {{
  tries={JOIN_WAIT_MINUTES * 6}
  until get ca-cert-hash >/dev/null 2>&1; do
    tries=$((tries - 1))
    if [ "$tries" -le 0 ]; then
      echo "no $prefix/ca-cert-hash: the first node never initialised" >&2
      exit 1
    fi
    sleep 10
  done
}}
case "$command" in
init)
  if get ca-cert-hash >/dev/null 2>&1; then
    echo "$prefix/ca-cert-hash exists: {cluster.name} is initialised already, not again" >&2
    exit 1
  fi
{"".join(init)}  fill "$@"
  ;;
publish)
  hash=$(openssl x509 -pubkey -in /etc/kubernetes/pki/ca.crt \\
    | openssl pkey -pubin -outform der | openssl dgst -sha256 -hex | sed 's/^.* //')
  put ca-cert-hash "sha256:$hash"
  ;;
join-control-plane)
  wait_for_init
{read(control_plane)}  fill "$@"
  ;;
join)
  wait_for_init
{read(WORKER_PARAMETERS)}  fill "$@"
  ;;
*)
  echo "usage: $0 init|publish|join-control-plane|join FILE..." >&2
  exit 2
  ;;
esac
"""


def _install(context: RenderContext) -> list[str]:
    if context.platform.airgap is not None:
        return []  # the golden image carries containerd, the packages and the AWS CLI
    return [
        "mkdir -p /etc/apt/keyrings",
        # containerd is not in the EC2 image; envsubst (gettext-base) fills in credentials.
        *kubernetes_packages(context, "containerd", "gettext-base"),
        "snap install aws-cli --classic",
    ]


def kubeadm_user_data(
    context: RenderContext,
    cluster: ClusterPlan,
    files: list[NodeFile],
    kind: Kind,
    region: str,
) -> dict[str, Any]:
    """The cloud-config of one kind of kubeadm node (see module docs)."""
    by_path = {f.path: f.text for f in files}
    control_plane = kind != "agent"
    written: list[dict[str, Any]] = [
        *kernel_files(),
        {
            "path": KUBEADM_FILE,
            "permissions": "0600",
            "owner": "root:root",
            "content": by_path[CONFIG_FILES[kind]],
        },
        *node_files(context, cluster, control_plane),
        *cloud_init_mirror_files(context, cluster),
        {
            "path": CREDENTIALS,
            "permissions": "0700",
            "owner": "root:root",
            "content": _credentials_script(context, cluster, region),
        },
    ]
    ccm = cluster.has(CCM)
    if ccm:
        written.append(
            {"path": PROVIDER_ID, "permissions": "0700", "content": by_path[PROVIDER_ID_FILE]}
        )
        if kind == "server-init":
            written.append(
                {"path": CCM_MANIFEST, "permissions": "0600", "content": by_path[CCM_FILE]}
            )
    # Every written file with a placeholder is filled in before kubeadm reads it.
    placeholders = [f["path"] for f in written if "${" in f["content"] and f["path"] != CREDENTIALS]
    step = {"server-init": "init", "server-join": "join-control-plane", "agent": "join"}[kind]
    runcmd = [
        *HOST_SETUP,
        *_install(context),
        "mkdir -p /etc/containerd",
        *containerd_and_kubelet(context),
    ]
    if ccm:
        runcmd.append(f"sh {PROVIDER_ID}")
    runcmd.append(" ".join(["sh", CREDENTIALS, step, *placeholders]))
    if kind == "server-init":
        runcmd.append(init_command(cluster, "/etc/kubernetes/kubeadm", "config.yaml"))
    else:
        runcmd.append(f"kubeadm join --config {KUBEADM_FILE}")
    runcmd += after_kubeadm(context, control_plane)
    if kind == "server-init":
        runcmd.append(f"sh {CREDENTIALS} publish")
        if ccm:
            runcmd.append(
                f"kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f {CCM_MANIFEST}"
            )
    return {"write_files": written, "runcmd": runcmd}


def kubeadm_user_data_files(
    context: RenderContext,
    cluster: ClusterPlan,
    files: list[NodeFile],
    kinds: Iterable[Kind],
    region: str,
) -> list[tuple[str, str]]:
    """``(path, text)`` of each kind's user-data file, under ``user-data/``."""
    result = []
    for kind in kinds:
        comment = "".join(
            f"# {line}\n"
            for line in header(
                cluster,
                f"User-data of every {kind} machine: the kubeadm files of nodes/{cluster.name}/,"
                "\ninstalled; join credentials through SSM Parameter Store, never here.",
            ).splitlines()
        )
        data = kubeadm_user_data(context, cluster, files, kind, region)
        result.append((f"user-data/{kind}.yaml", "#cloud-config\n" + comment + dump_yaml(data)))
    return result
