"""``stackyard dr runbook``: each cluster's commands are its distribution's and name the
settings the render actually wrote (read back from the rendered files, not from the code
that wrote them), every recovery scenario has a section with simulate's time, and a drill
record of the cluster replaces the etcd restore's estimate."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from stackyard.app import write_runbooks
from stackyard.cli.main import app
from stackyard.errors import InputError
from stackyard.simulate.backups import recovery_scenarios
from stackyard.spec.units import format_duration, parse_duration
from tests.app.schemas import assert_matches, printed
from tests.conftest import EXAMPLES, render_example

RKE2 = EXAMPLES / "aws-standard.yaml"
KUBEADM = EXAMPLES / "local-multicluster.yaml"


@pytest.fixture(scope="module")
def rke2_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rke2")
    render_example(RKE2, out)
    write_runbooks(RKE2, out)
    return out


@pytest.fixture(scope="module")
def kubeadm_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kubeadm")
    render_example(KUBEADM, out)
    write_runbooks(KUBEADM, out)
    return out


def documents(path: Path) -> list[Any]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, re.S)


def section(text: str, number: int) -> str:
    return text.split(f"\n## {number}. ", 1)[1].split("\n## ", 1)[0]


def test_rke2_commands_use_the_rendered_server_config(rke2_tree: Path) -> None:
    text = (rke2_tree / "dr/runbooks/prod.md").read_text(encoding="utf-8")
    (config,) = documents(rke2_tree / "nodes/prod/rke2/config.yaml")
    etcd = section(text, 2)
    assert f"`{config['etcd-snapshot-schedule-cron']}`" in etcd
    assert f"{config['etcd-snapshot-retention']} kept" in etcd
    assert f"bucket `{config['etcd-s3-bucket']}` folder `{config['etcd-s3-folder']}`" in etcd
    assert f"`{config['etcd-s3-endpoint']}`" in etcd
    commands = "\n".join(shell_blocks(etcd))
    # RKE2's default snapshot directory (the config sets no etcd-snapshot-dir), restored
    # locally with S3 switched off, since the config has etcd-s3 (RKE2's restore docs).
    assert "etcd-snapshot-dir" not in config
    assert (
        "rke2 server --cluster-reset \\\n  --etcd-s3=false \\\n"
        "  --cluster-reset-restore-path=/var/lib/rancher/rke2/server/db/snapshots/<SNAPSHOT>"
    ) in commands
    assert "rke2 server --cluster-reset --cluster-reset-restore-path=<SNAPSHOT-NAME>" in commands
    # Three servers: the first restores, the other two drop their data and rejoin.
    servers = [line for line in text.splitlines() if "prod-server-" in line]
    assert servers and "`prod-server-1`, `prod-server-2`" in etcd
    everything = "\n".join(shell_blocks(text))
    assert "kubeadm" not in everything and "etcdutl" not in everything


def test_kubeadm_commands_use_the_rendered_cronjob_and_cluster_configuration(
    kubeadm_tree: Path,
) -> None:
    for cluster in ("mgmt", "app1", "app2"):
        text = (kubeadm_tree / f"dr/runbooks/{cluster}.md").read_text(encoding="utf-8")
        (cronjob,) = documents(kubeadm_tree / f"manifests/{cluster}/base/etcd-backup.yaml")
        pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        backup_dir = next(v for v in pod["volumes"] if v["name"] == "backup")["hostPath"]["path"]
        env = {e["name"]: e["value"] for e in pod["initContainers"][0]["env"]}
        upload = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
        init = documents(kubeadm_tree / f"nodes/{cluster}/kubeadm/init-config.yaml")
        data_dir = next(d for d in init if d["kind"] == "ClusterConfiguration")["etcd"]["local"][
            "dataDir"
        ]
        first = next(d for d in init if d["kind"] == "InitConfiguration")
        node = first["nodeRegistration"]["name"]
        address = first["localAPIEndpoint"]["advertiseAddress"]
        etcd = section(text, 2)
        assert f"`{cronjob['spec']['schedule']}`" in etcd
        assert f"keeps {env['SNAPSHOT_RETENTION']} in `{backup_dir}`" in etcd
        assert (
            f"copied to bucket `{upload['SNAPSHOT_BUCKET']}` folder "
            f"`{upload['SNAPSHOT_FOLDER']}/`" in etcd
        )
        commands = "\n".join(shell_blocks(etcd))
        assert f"etcdutl snapshot restore {backup_dir}/etcd-snapshot-<SLOT>.db" in commands
        assert f"--data-dir {data_dir}-restored --name {node}" in commands
        assert f"--initial-cluster {node}=https://{address}:2380" in commands
        assert "/etc/kubernetes/manifests/etcd.yaml" in commands
        everything = "\n".join(shell_blocks(text))
        assert "rke2" not in everything


def test_the_manifest_edit_changes_only_the_data_volume(kubeadm_tree: Path, tmp_path: Path) -> None:
    """The runbook's sed, run on kubeadm's etcd static Pod layout, moves the etcd-data
    hostPath and nothing else (the container's --data-dir and mount stay)."""
    text = (kubeadm_tree / "dr/runbooks/app1.md").read_text(encoding="utf-8")
    (sed,) = [
        line for block in shell_blocks(text) for line in block.splitlines() if "sed -i" in line
    ]
    manifest = tmp_path / "etc/kubernetes/manifests/etcd.yaml"
    manifest.parent.mkdir(parents=True)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "etcd", "namespace": "kube-system"},
        "spec": {
            "containers": [
                {
                    "name": "etcd",
                    "command": ["etcd", "--data-dir=/var/lib/etcd", "--name=app1-cp"],
                    "volumeMounts": [
                        {"mountPath": "/var/lib/etcd", "name": "etcd-data"},
                        {"mountPath": "/etc/kubernetes/pki/etcd", "name": "etcd-certs"},
                    ],
                }
            ],
            "volumes": [
                {
                    "hostPath": {"path": "/etc/kubernetes/pki/etcd", "type": "DirectoryOrCreate"},
                    "name": "etcd-certs",
                },
                {
                    "hostPath": {"path": "/var/lib/etcd", "type": "DirectoryOrCreate"},
                    "name": "etcd-data",
                },
            ],
        },
    }
    manifest.write_text(yaml.safe_dump(pod), encoding="utf-8")
    sed = sed.replace("/etc/kubernetes/manifests/etcd.yaml", str(manifest))
    subprocess.run(["sh", "-c", sed], check=True)
    edited = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    volumes = {v["name"]: v["hostPath"]["path"] for v in edited["spec"]["volumes"]}
    assert volumes == {
        "etcd-certs": "/etc/kubernetes/pki/etcd",
        "etcd-data": "/var/lib/etcd-restored",
    }
    assert edited["spec"]["containers"] == pod["spec"]["containers"]


@pytest.mark.parametrize("example", ["rke2_tree", "kubeadm_tree"])
def test_velero_names_and_order_are_the_rendered_ones(
    example: str, request: pytest.FixtureRequest
) -> None:
    tree: Path = request.getfixturevalue(example)
    for runbook in sorted((tree / "dr/runbooks").glob("*.md")):
        cluster = runbook.stem
        objects = documents(tree / f"manifests/{cluster}/velero/backups.yaml")
        (location,) = [o for o in objects if o["kind"] == "BackupStorageLocation"]
        schedules = {
            o["metadata"]["name"]: o["spec"]["template"] for o in objects if o["kind"] == "Schedule"
        }
        text = runbook.read_text(encoding="utf-8")
        storage = location["spec"]["objectStorage"]
        assert f"bucket `{storage['bucket']}`" in text and f"prefix `{storage['prefix']}`" in text
        loss = section(text, 4)
        restores = [line for line in loss.splitlines() if "restore create" in line]
        # The volumes backup is the one limited to Pods, PVCs and PVs (backup.py).
        volumes = [
            n
            for n, t in schedules.items()
            if "persistentvolumeclaims" in t.get("includedResources", [])
        ]
        (resources,) = [n for n in schedules if n not in volumes]
        assert [r.split("<")[1].split("-BACKUP")[0].lower() for r in restores] == [
            resources,
            *volumes,
        ]
        namespace = location["metadata"]["namespace"]
        assert all(f"velero -n {namespace} " in r for r in restores)


@pytest.mark.parametrize("example", ["rke2_tree", "kubeadm_tree"])
def test_every_scenario_has_a_section_with_simulates_time_and_valid_shell(
    example: str, request: pytest.FixtureRequest
) -> None:
    tree: Path = request.getfixturevalue(example)
    for runbook in (tree / "dr/runbooks").glob("*.md"):
        text = runbook.read_text(encoding="utf-8")
        for number, scenario in enumerate(recovery_scenarios(), 1):
            body = section(text, number)
            assert f"Recovery time: {scenario.estimate} (simulate's documented estimate)" in body
            assert scenario.title in text.split("\n## ", 1)[0]
        for block in shell_blocks(text):
            # Placeholders such as <SNAPSHOT> stand for a word the operator fills in.
            filled = re.sub(r"<[A-Z][A-Z0-9_-]*>", "WORD", block)
            done = subprocess.run(["bash", "-n"], input=filled, text=True, capture_output=True)
            assert done.returncode == 0, (runbook.name, block, done.stderr)
        cited = re.findall(r"\[(\d+)\]", text)
        sources = text.split("\n## Sources\n", 1)[1]
        assert all(f"\n{n}. " in "\n" + sources for n in set(cited))


def drill_record(folder: Path, name: str, **changes: Any) -> Path:
    record: dict[str, Any] = {
        "schema": "stackyard.dev/etcd-drill/v1",
        "verdict": "passed",
        "started": "2026-11-20T08:00:00+00:00",
        "recovery": {"seconds": 7.25, "rto": None, "rtoSeconds": None, "withinRto": None},
        "failure": None,
    }
    record.update(changes)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def test_a_drill_record_replaces_the_etcd_estimate_of_its_cluster_only(tmp_path: Path) -> None:
    drills = tmp_path / "dr/drills/app1"
    drill_record(drills, "2026-11-20T080000Z-etcd.json")
    drill_record(
        drills,
        "2026-11-27T080000Z-etcd.json",
        started="2026-11-27T08:00:00+00:00",
        recovery={"seconds": None},
        failure={"step": "restore", "message": "the disk is full"},
        verdict="failed",
    )
    result = write_runbooks(KUBEADM, tmp_path)
    by_cluster = {f.cluster: {e.scenario: e for e in f.estimates} for f in result.files}
    measured = by_cluster["app1"]["etcd-corruption"]
    # The newest record did not measure anything (it failed at restore): the one before it.
    assert (measured.time.source, measured.time.seconds) == ("measured", 7.25)
    assert measured.time.record == "dr/drills/app1/2026-11-20T080000Z-etcd.json"
    assert by_cluster["app2"]["etcd-corruption"].time.source == "documented"
    assert {
        e.time.source for e in by_cluster["app1"].values() if e.scenario != "etcd-corruption"
    } == {"documented"}
    text = (tmp_path / "dr/runbooks/app1.md").read_text(encoding="utf-8")
    assert (
        "Recovery time: 7s (7.25 s measured by the etcd restore drill of "
        "2026-11-20T08:00:00+00:00, `dr/drills/app1/2026-11-20T080000Z-etcd.json`)"
    ) in section(text, 2)
    assert "| etcd data corrupted | 7s | measured, drill of 2026-11-20T08:00:00+00:00 |" in text
    assert str(tmp_path) not in text


def test_json_listing_matches_its_schema_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    first = printed("dr", "runbook", str(RKE2), "-d", str(tmp_path))
    assert_matches("runbooks", first)
    assert [(f["cluster"], f["distribution"], f["state"]) for f in first["files"]] == [
        ("prod", "rke2", "written")
    ]
    times = {s["scenario"]: s["estimate"] for s in first["files"][0]["scenarios"]}
    assert times == {s.id: format_duration(_seconds(s.estimate)) for s in recovery_scenarios()}
    again = printed("dr", "runbook", str(RKE2), "-d", str(tmp_path))
    assert [f["state"] for f in again["files"]] == ["unchanged"]


def _seconds(text: str) -> float:
    return parse_duration(text)


def test_cluster_option_writes_only_that_cluster_and_refuses_an_unknown_one(
    tmp_path: Path,
) -> None:
    data = printed("dr", "runbook", str(KUBEADM), "-d", str(tmp_path), "--cluster", "app2")
    assert [f["cluster"] for f in data["files"]] == ["app2"]
    assert sorted(p.name for p in (tmp_path / "dr/runbooks").iterdir()) == ["app2.md"]
    with pytest.raises(InputError, match="'nope' is not a cluster of the spec"):
        write_runbooks(KUBEADM, tmp_path, ["nope"])
    done = CliRunner().invoke(
        app, ["dr", "runbook", str(KUBEADM), "-d", str(tmp_path), "--cluster", "nope"]
    )
    assert done.exit_code == 2 and "--cluster: 'nope' is not a cluster of the spec" in done.stderr


def test_a_broken_drill_record_is_named(tmp_path: Path) -> None:
    drill_record(tmp_path / "dr/drills/app1", "x-etcd.json", started="yesterday")
    with pytest.raises(InputError) as raised:
        write_runbooks(KUBEADM, tmp_path)
    problem = raised.value.problems[0]
    assert problem.field == "started" and str(problem.location).endswith("x-etcd.json")
    shutil.rmtree(tmp_path / "dr/drills")
