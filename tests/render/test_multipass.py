"""The rendered Multipass scripts of a local cluster: checked by sh and shellcheck, and run
against a stand-in ``multipass`` that records what it is asked to do (Multipass itself
needs a hypervisor, which this machine does not have)."""

from __future__ import annotations

import itertools
import math
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from stackyard.plan import Plan, make_plan
from stackyard.render.bootstrap.kubeadm import kubeadm_files
from stackyard.render.bootstrap.multipass import LAUNCH, TEARDOWN
from stackyard.render.bootstrap.nodes import cluster_nodes
from stackyard.render.context import RenderContext
from stackyard.spec import load_spec_text
from stackyard.spec.units import GIB, parse_quantity
from tests.render.conftest import EXAMPLES

# Three control-plane nodes and two worker pools of different sizes, so the order and
# each node's size come from the spec, not from one pool.
HA_POOLS = """\
      - {name: cp, role: control-plane, count: 3, cpu: 2, memory: 4Gi, disk: 30Gi}
      - {name: small, count: 2, cpu: 2, memory: 3Gi, disk: 40Gi}
      - {name: big, count: 1, cpu: 6, memory: 12Gi, disk: 100Gi}
"""
LAUNCH_LINE = re.compile(
    r"multipass launch 24\.04 --name (\S+) --cpus (\d+) --memory (\d+)G --disk (\d+)G "
    r'--cloud-init "\$work/(\S+)\.yaml"'
)
# Records every call; a VM "exists" once launched; the CA hash is a fixed value.
FAKE_MULTIPASS = """\
#!/bin/sh
echo "$*" >> "$STATE/calls"
case "$1" in
  info) [ -e "$STATE/vm-$2" ] ;;
  launch)
    while [ $# -gt 0 ]; do
      case "$1" in
        --name) name=$2 ;;
        --cloud-init) data=$2 ;;
      esac
      shift
    done
    cp "$data" "$STATE/user-data-$name"; touch "$STATE/vm-$name" ;;
  exec) case "$*" in *openssl*) echo "SHA2-256(stdin)= 0123abcd" ;; esac ;;
  delete) rm "$STATE/vm-$3" ;;
esac
"""


def local_plan(pools: str | None = None) -> Plan:
    text = (EXAMPLES / "local-multicluster.yaml").read_text(encoding="utf-8")
    if pools is not None:
        start = text.index("    nodePools:\n", text.index("name: app1")) + len("    nodePools:\n")
        end = text.index("    network:", start)
        text = text[:start] + pools + text[end:]
    return make_plan(load_spec_text(text, "platform.yaml", EXAMPLES))


def node_folder(plan: Plan, cluster: str, into: Path) -> Path:
    """``nodes/<cluster>/`` as the render writes it."""
    for item in kubeadm_files(RenderContext(plan), plan.cluster(cluster)):
        path = into / item.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(item.text, encoding="utf-8")
    return into


@pytest.fixture(scope="module")
def ha_plan() -> Plan:
    return local_plan(HA_POOLS)


def run(folder: Path, script: str, state: Path, **env: str) -> subprocess.CompletedProcess[str]:
    bin_dir = state / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "multipass"
    fake.write_text(FAKE_MULTIPASS, encoding="utf-8")
    fake.chmod(0o755)
    environment = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "STATE": str(state),
        **env,
    }
    return subprocess.run(
        ["sh", str(folder / script)], env=environment, capture_output=True, text=True, timeout=60
    )


CREDENTIALS = {
    "KUBEADM_TOKEN": "abcdef.0123456789abcdef",
    "KUBEADM_CERTIFICATE_KEY": "f" * 64,
    "SSH_PUBLIC_KEY": "ssh-ed25519 AAAA test",
}


@pytest.mark.parametrize("script", [LAUNCH, TEARDOWN])
def test_scripts_pass_sh_and_shellcheck(ha_plan: Plan, tmp_path: Path, script: str) -> None:
    folder = node_folder(ha_plan, "app1", tmp_path)
    text = (folder / script).read_text(encoding="utf-8")
    assert text.startswith("#!/bin/sh\n")
    assert "\nset -eu\n" in text
    subprocess.run(["sh", "-n", str(folder / script)], check=True)
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is needed (Debian package shellcheck; .ci/run installs it)"
    result = subprocess.run(
        [shellcheck, "--shell=sh", "--severity=style", str(folder / script)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout


def test_one_launch_per_node_sized_from_its_pool_in_join_order(ha_plan: Plan) -> None:
    files = {f.path: f.text for f in kubeadm_files(RenderContext(ha_plan), ha_plan.cluster("app1"))}
    launches = LAUNCH_LINE.findall(files[LAUNCH])
    nodes = cluster_nodes(RenderContext(ha_plan), ha_plan.cluster("app1"))
    assert [name for name, *_ in launches] == [n.name for n in nodes]
    assert [n.pool.name for n in nodes] == ["cp", "cp", "cp", "small", "small", "big"]
    for (name, cpus, memory, disk, user_data), node in zip(launches, nodes, strict=True):
        assert user_data == name
        pool = node.pool
        assert int(cpus) == math.ceil(parse_quantity(pool.cpu))
        assert int(memory) == math.ceil(parse_quantity(pool.memory) / GIB)
        assert pool.disk is not None
        assert int(disk) == math.ceil(parse_quantity(pool.disk) / GIB)
    # The CA hash is read from the first node after it is up, before any join.
    text = files[LAUNCH]
    assert (
        text.index("--name app1-cp-0 ") < text.index("ca_hash=") < text.index("--name app1-cp-1 ")
    )


def test_launch_runs_in_order_substitutes_credentials_and_is_idempotent(
    ha_plan: Plan, tmp_path: Path
) -> None:
    folder = node_folder(ha_plan, "app1", tmp_path / "nodes")
    state = tmp_path / "state"
    state.mkdir()
    first = run(folder, LAUNCH, state, **CREDENTIALS)
    assert first.returncode == 0, first.stderr
    calls = (state / "calls").read_text(encoding="utf-8").splitlines()
    launched = [c.split("--name ")[1].split()[0] for c in calls if c.startswith("launch")]
    names = [n.name for n in cluster_nodes(RenderContext(ha_plan), ha_plan.cluster("app1"))]
    assert launched == names
    # Each node's cloud-init has finished before the next one launches.
    for name, following in itertools.pairwise(names):
        waited = calls.index(f"exec {name} -- cloud-init status --wait")
        assert waited < next(i for i, c in enumerate(calls) if f"--name {following} " in c)
    joining = yaml.safe_load((state / "user-data-app1-cp-1").read_text(encoding="utf-8"))
    config = next(f for f in joining["write_files"] if f["path"].endswith("kubeadm/config.yaml"))
    [join] = [d for d in yaml.safe_load_all(config["content"]) if d]
    token = join["discovery"]["bootstrapToken"]
    assert token["token"] == CREDENTIALS["KUBEADM_TOKEN"]
    assert token["caCertHashes"] == ["sha256:0123abcd"]
    assert join["controlPlane"]["certificateKey"] == CREDENTIALS["KUBEADM_CERTIFICATE_KEY"]
    assert joining["ssh_authorized_keys"] == [CREDENTIALS["SSH_PUBLIC_KEY"]]
    assert "${" not in (state / "user-data-app1-big-0").read_text(encoding="utf-8")

    (state / "calls").unlink()
    again = run(folder, LAUNCH, state, **CREDENTIALS)
    assert again.returncode == 0, again.stderr
    calls = (state / "calls").read_text(encoding="utf-8").splitlines()
    assert not [c for c in calls if c.startswith("launch")]
    assert again.stdout.count("exists: skipped") == len(names)

    (state / "calls").unlink()
    gone = run(folder, TEARDOWN, state)
    assert gone.returncode == 0, gone.stderr
    calls = (state / "calls").read_text(encoding="utf-8").splitlines()
    deleted = [c.split()[-1] for c in calls if c.startswith("delete")]
    assert deleted == list(reversed(names))
    assert not list(state.glob("vm-*"))


def test_launch_refuses_to_start_without_the_credentials(ha_plan: Plan, tmp_path: Path) -> None:
    folder = node_folder(ha_plan, "app1", tmp_path / "nodes")
    state = tmp_path / "state"
    state.mkdir()
    missing = {k: v for k, v in CREDENTIALS.items() if k != "KUBEADM_CERTIFICATE_KEY"}
    result = run(folder, LAUNCH, state, **missing)
    assert result.returncode != 0
    assert "KUBEADM_CERTIFICATE_KEY" in result.stderr
    assert not (state / "calls").exists()


def test_a_single_control_plane_asks_for_no_certificate_key(tmp_path: Path) -> None:
    plan = local_plan()
    text = {f.path: f.text for f in kubeadm_files(RenderContext(plan), plan.cluster("app1"))}
    assert "KUBEADM_CERTIFICATE_KEY" not in text[LAUNCH]
    assert f"sh {LAUNCH}" in text["README.md"]
    assert f"sh {TEARDOWN}" in text["README.md"]
