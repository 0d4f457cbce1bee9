"""The kubeadm etcd restore of a cluster with several control-plane nodes (stacked etcd):
every member restored from the same snapshot with its own name and peer URL, one new
cluster token, named after the nodes and addresses the render gives them; and the rendered
commands, run against a real etcd's snapshot, bring up a three-member cluster holding it."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from stackyard.app import write_runbooks
from tests.conftest import EXAMPLES, render_example
from tests.etcd import KEYS, Etcd, value
from tests.servers import free_port, stop_process

# The kubeadm example with three control-plane nodes on mgmt (and a host big enough for them).
SPEC_TEXT = (
    (EXAMPLES / "local-multicluster.yaml")
    .read_text(encoding="utf-8")
    .replace("count: 1, cpu: 2, memory: 4Gi", "count: 3, cpu: 2, memory: 4Gi", 1)
    .replace("\n  memory: 64Gi", "\n  memory: 96Gi", 1)
)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kubeadm-3cp")
    spec = out / "platform.yaml"
    spec.write_text(SPEC_TEXT, encoding="utf-8")
    render_example(spec, out / "repo")
    write_runbooks(spec, out / "repo", ["mgmt", "app1"])
    return out / "repo"


def etcd_section(tree: Path, cluster: str) -> str:
    text = (tree / f"dr/runbooks/{cluster}.md").read_text(encoding="utf-8")
    return text.split("\n## 2. ", 1)[1].split("\n## ", 1)[0]


def blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, re.S)


def control_plane(tree: Path, cluster: str) -> list[tuple[str, str]]:
    """(name, address) of each control-plane node, from the rendered nodes README."""
    rows = (tree / f"nodes/{cluster}/README.md").read_text(encoding="utf-8").splitlines()
    found = []
    for row in rows:
        cells = [c.strip().strip("`") for c in row.strip("|").split("|")]
        if len(cells) >= 4 and cells[2] == "control-plane":
            found.append((cells[0], cells[3]))
    return found


def restores(section: str) -> list[dict[str, str]]:
    """The flags of each ``etcdutl snapshot restore`` command in the section."""
    found = []
    for block in blocks(section):
        if "snapshot restore" not in block:
            continue
        command = block[block.index("etcdutl snapshot restore") :]
        words = shlex.split(command.replace("\\\n", " "))
        flags = dict(zip(words[4::2], words[5::2], strict=True))
        assert words[:3] == ["etcdutl", "snapshot", "restore"]
        found.append({"snapshot": words[3], **flags})
    return found


def test_every_member_restores_the_same_snapshot_with_its_own_name_and_peer_url(
    tree: Path,
) -> None:
    nodes = control_plane(tree, "mgmt")
    assert len(nodes) == 3
    section = etcd_section(tree, "mgmt")
    members = restores(section)
    peers = ",".join(f"{name}=https://{address}:2380" for name, address in nodes)
    assert [(m["--name"], m["--initial-advertise-peer-urls"]) for m in members] == [
        (name, f"https://{address}:2380") for name, address in nodes
    ]
    assert {m["--initial-cluster"] for m in members} == {peers}
    assert len({m["snapshot"] for m in members}) == 1
    (token,) = {m["--initial-cluster-token"] for m in members}
    assert token != "etcd-cluster"  # etcd's default, which kubeadm's members were started with
    assert {m["--data-dir"] for m in members} == {"/var/lib/etcd-restored"}
    commands = "\n".join(blocks(section))
    # Every API server and etcd stopped first, etcd's manifest edited and put back, then
    # the API servers; the cluster checked in between.
    order = [
        "mv /etc/kubernetes/manifests/kube-apiserver.yaml",
        "mv /etc/kubernetes/manifests/etcd.yaml",
        "etcdutl snapshot restore",
        "sed -i",
        "mv /etc/kubernetes/etcd.yaml /etc/kubernetes/manifests/etcd.yaml",
        "member list",
        "mv /etc/kubernetes/kube-apiserver.yaml /etc/kubernetes/manifests/",
    ]
    positions = [commands.index(step) for step in order]
    assert positions == sorted(positions)
    assert "kubeadm join" not in commands  # nothing rejoins: every member is restored
    for block in blocks(section):
        subprocess.run(["bash", "-n"], input=block, text=True, check=True)


def test_a_single_control_plane_keeps_the_one_member_restore(tree: Path) -> None:
    members = restores(etcd_section(tree, "app1"))
    ((name, address),) = control_plane(tree, "app1")
    (member,) = members
    assert member["--initial-cluster"] == f"{name}=https://{address}:2380"
    assert "--initial-cluster-token" not in member


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        stop_process(process)


def test_the_rendered_commands_bring_up_a_three_member_cluster_from_a_real_snapshot(
    tree: Path, etcd: Etcd, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    """Each node becomes a loopback address of its own (127.0.0.11-13), the peers plain
    HTTP on one free port (the test has no peer certificates), and etcd 3.4's etcdctl runs
    the restore (the same command and flags as 3.5's etcdutl); nothing else is changed."""
    snapshot = tmp_path / "etcd-restore.db"
    etcd.ctl("snapshot", "save", str(snapshot))
    nodes = control_plane(tree, "mgmt")
    peer, client = free_port(), free_port()
    loopback = {address: f"127.0.0.{11 + i}" for i, (_, address) in enumerate(nodes)}
    env = {k: v for k, v in os.environ.items() if not k.startswith("ETCDCTL_")}
    env["ETCDCTL_API"] = "3"
    section = etcd_section(tree, "mgmt")
    restore_blocks = [b for b in blocks(section) if b.startswith("etcdutl snapshot restore")]
    assert len(restore_blocks) == len(nodes)
    for i, block in enumerate(restore_blocks):
        command = (
            block.replace("etcdutl", "etcdctl")
            .replace("/root/etcd-restore.db", str(snapshot))
            .replace("/var/lib/etcd-restored", str(tmp_path / f"member-{i}"))
            .replace(":2380", f":{peer}")
            .replace("https://", "http://")
        )
        for address, local in loopback.items():
            command = command.replace(f"//{address}:", f"//{local}:")
        subprocess.run(["sh", "-c", command], check=True, env=env, capture_output=True)
    endpoints = []
    for i, (name, address) in enumerate(nodes):
        local = loopback[address]
        endpoints.append(f"http://{local}:{client}")
        with (tmp_path / f"member-{i}.log").open("wb") as log:
            processes.append(
                subprocess.Popen(
                    [
                        "etcd",
                        f"--name={name}",
                        f"--data-dir={tmp_path / f'member-{i}'}",
                        f"--listen-peer-urls=http://{local}:{peer}",
                        f"--initial-advertise-peer-urls=http://{local}:{peer}",
                        f"--listen-client-urls=http://{local}:{client}",
                        f"--advertise-client-urls=http://{local}:{client}",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )

    def ctl(*args: str) -> str:
        return subprocess.run(
            ["etcdctl", f"--endpoints={','.join(endpoints)}", *args],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=30,
        ).stdout

    deadline = time.monotonic() + 60
    while True:
        try:
            health = json.loads(ctl("endpoint", "health", "-w", "json"))
            if len(health) == 3 and all(h["health"] for h in health):
                break
        except subprocess.CalledProcessError:
            pass
        assert time.monotonic() < deadline, "the restored members did not become healthy"
        time.sleep(0.2)
    listed = json.loads(ctl("member", "list", "-w", "json"))["members"]
    assert sorted(m["name"] for m in listed) == sorted(name for name, _ in nodes)
    count = json.loads(
        ctl("get", "/registry/", "--prefix", "--keys-only", "--limit=1", "-w", "json")
    )
    assert count["count"] == KEYS
    assert ctl("get", "/registry/items/00010", "--print-value-only").strip() == value(11)
    assert ctl("get", "/registry/items/00011", "--print-value-only").strip() == value(11)
