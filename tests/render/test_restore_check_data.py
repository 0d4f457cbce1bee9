"""The restore check restores volume data: a canary volume backed up by the cluster's own
method (CSI snapshot or Kopia file-system backup), restored into the scratch namespace and
read back by a Job that compares the checksum. The writer and verifier scripts are run
here for real, with the system's ``sh`` and ``sha256sum``."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackyard.plan.volumebackup import volume_backup
from stackyard.spec.units import parse_quantity
from stackyard.validate.crdschemas import check_resource
from stackyard.validate.kube import validate_builtin
from tests.render.conftest import EXAMPLE_NAMES, Rendered

CANARY = "restore-check-canary"
SCRATCH = "restore-check-scratch"
METHOD_SETTINGS = {
    "csi": {"snapshotVolumes": True, "snapshotMoveData": True, "defaultVolumesToFsBackup": False},
    "filesystem": {"snapshotVolumes": False, "defaultVolumesToFsBackup": True},
}


def check_objects(result: Rendered, cluster: str) -> dict[tuple[str, str], dict[str, Any]]:
    path = f"manifests/{cluster}/velero/restore-check.yaml"
    return {(d["kind"], d["metadata"]["name"]): d for d in result.documents(path)}


def check_files(objects: dict[tuple[str, str], dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The objects the check creates at run time, as the ConfigMap holds them."""
    data = objects["ConfigMap", "restore-check"]["data"]
    return {name: yaml.safe_load(text) for name, text in data.items()}


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def script(workload: dict[str, Any]) -> str:
    (container,) = pod_spec(workload)["containers"]
    command: list[str] = container["command"]
    assert command[:2] == ["sh", "-c"]
    return command[2]


def velero_clusters(result: Rendered) -> list[Any]:
    return [c for c in result.plan.clusters if c.has("velero")]


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("aws-standard", "csi"),  # RKE2 with Longhorn
        ("aws-enterprise", "csi"),
        ("community-poc", "csi"),
        ("local-multicluster", "filesystem"),  # kubeadm with local-path
        ("mesh-local", "filesystem"),
    ],
)
def test_the_canary_volume_is_backed_up_the_way_the_cluster_backs_up_volumes(
    rendered: dict[str, Rendered], name: str, method: str
) -> None:
    result = rendered[name]
    distribution = result.plan.spec.platform.kubernetes.distribution
    for cluster in velero_clusters(result):
        assert volume_backup(cluster, distribution).method == method
        objects = check_objects(result, cluster.name)
        canary = objects["Schedule", "restore-check-canary"]["spec"]["template"]
        platform = result.find(
            f"manifests/{cluster.name}/velero/backups.yaml", "Schedule", "platform-volumes"
        )["spec"]["template"]
        settings = {k: canary.get(k) for k in METHOD_SETTINGS[method]}
        assert settings == METHOD_SETTINGS[method]
        assert settings == {k: platform.get(k) for k in METHOD_SETTINGS[method]}
        assert canary["includedNamespaces"] == [CANARY]
        # false would also leave out the claim's PersistentVolume
        assert "includeClusterResources" not in canary
        if method == "csi":  # a class Velero picks for the driver exists
            classes = result.documents(f"manifests/{cluster.name}/velero/snapshot-classes.yaml")
            assert classes[0]["metadata"]["labels"]["velero.io/csi-volumesnapshot-class"]
        else:  # file-system backup reads only volumes of running pods
            writer = objects["Deployment", CANARY]
            assert writer["spec"]["replicas"] == 1


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_velero_cluster_writes_a_canary_volume_and_verifies_the_restored_copy(
    rendered: dict[str, Rendered], name: str
) -> None:
    result = rendered[name]
    version = result.plan.spec.platform.kubernetes.version
    for cluster in velero_clusters(result):
        objects = check_objects(result, cluster.name)
        claim = objects["PersistentVolumeClaim", CANARY]
        assert claim["metadata"]["namespace"] == CANARY
        assert "storageClassName" not in claim["spec"]  # the cluster's default class
        size = parse_quantity(claim["spec"]["resources"]["requests"]["storage"])
        assert 16 * 2**20 <= size <= 64 * 2**20
        writer = objects["Deployment", CANARY]
        assert writer["metadata"]["namespace"] == CANARY
        (volume,) = pod_spec(writer)["volumes"]
        assert volume["persistentVolumeClaim"]["claimName"] == CANARY

        files = check_files(objects)
        restore = files["restore.yaml"]
        assert check_resource(restore).ok
        assert restore["spec"]["restorePVs"] is True
        assert restore["spec"]["namespaceMapping"] == {CANARY: SCRATCH}
        job = files["verify.yaml"]
        assert not list(validate_builtin(job, version))
        assert job["metadata"]["namespace"] == SCRATCH
        (mounted,) = pod_spec(job)["volumes"]
        assert mounted["persistentVolumeClaim"] == {"claimName": CANARY, "readOnly": True}
        env = {e["name"]: e["value"] for e in pod_spec(job)["containers"][0]["env"]}
        assert env == {"CLUSTER": cluster.name, "SOURCE_NAMESPACE": CANARY}
        # It runs beside the restored writer, which has the ReadWriteOnce volume attached.
        (term,) = pod_spec(job)["affinity"]["podAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"
        ]
        assert term["labelSelector"]["matchLabels"] == writer["spec"]["selector"]["matchLabels"]
        assert term["topologyKey"] == "kubernetes.io/hostname"


def test_the_check_waits_for_the_restored_claim_then_runs_the_verifying_job(
    rendered: dict[str, Rendered],
) -> None:
    objects = check_objects(rendered["aws-enterprise"], "prod")
    cronjob = objects["CronJob", "restore-check"]["spec"]["jobTemplate"]["spec"]["template"]
    steps = {c["name"]: c["args"] for c in cronjob["spec"]["initContainers"]}
    mounted = {m["mountPath"] for c in cronjob["spec"]["initContainers"] for m in c["volumeMounts"]}
    assert steps["wait-volume"] == [
        "wait",
        f"persistentvolumeclaim/{CANARY}",
        "-n",
        SCRATCH,
        "--for=jsonpath={.status.phase}=Bound",
        "--timeout=5m",
    ]
    create = steps["verify-data"]
    assert create[:2] == ["create", "-f"] and create[2].rsplit("/", 1)[0] in mounted
    job = check_files(objects)[create[2].rsplit("/", 1)[1]]
    wait = steps["wait-verify-data"]
    assert wait[:4] == ["wait", f"job/{job['metadata']['name']}", "-n", SCRATCH]
    assert "--for=condition=Complete" in wait
    # The check may start that Job only through the Role Velero restores with the canary.
    role = objects["Role", "restore-check-verify"]
    binding = objects["RoleBinding", "restore-check-verify"]
    assert role["metadata"]["namespace"] == binding["metadata"]["namespace"] == CANARY
    (rule,) = role["rules"]
    assert rule["resources"] == ["jobs"] and {"create", "watch"} <= set(rule["verbs"])
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "restore-check", "namespace": "velero"}
    ]
    assert cronjob["spec"]["serviceAccountName"] == "restore-check"


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_the_writer_and_the_verifier_meet_restricted_pod_security(
    rendered: dict[str, Rendered], name: str
) -> None:
    result = rendered[name]
    cluster = velero_clusters(result)[0].name
    objects = check_objects(result, cluster)
    for workload in (objects["Deployment", CANARY], check_files(objects)["verify.yaml"]):
        spec = pod_spec(workload)
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] > 0
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
        assert spec["automountServiceAccountToken"] is False
        for container in spec["containers"]:
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"] == {"drop": ["ALL"]}
            assert security["readOnlyRootFilesystem"] is True
            assert set(container["resources"]) == {"requests", "limits"}
            _, tag = container["image"].rsplit(":", 1)
            assert tag not in ("", "latest") and "." in tag, container["image"]


@pytest.mark.parametrize("shell", ["sh", "bash", "dash"])
def test_the_scripts_parse(rendered: dict[str, Rendered], shell: str) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    objects = check_objects(rendered["local-multicluster"], "app1")
    for workload in (objects["Deployment", CANARY], check_files(objects)["verify.yaml"]):
        run = subprocess.run([shell, "-n", "-c", script(workload)], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr


def _write(writer: str, volume: Path, namespace: str) -> None:
    """Runs the canary writer on ``volume`` until it shows its marker, then stops it."""
    env = {**os.environ, "CLUSTER": "app1", "POD_NAMESPACE": namespace}
    with subprocess.Popen(
        ["sh", "-c", writer],
        cwd=volume,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            assert process.stdout is not None
            shown = [process.stdout.readline() for _ in range(3)]  # the marker's three lines
            assert shown[0] == "cluster=app1\n"
            process.terminate()  # as the kubelet stops it
            assert process.wait(timeout=10) == 0  # it exits on SIGTERM
        finally:
            # As the container's end would: a sleep started just as the signal came is
            # not the shell's to reap.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def _verify(verifier: str, volume: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLUSTER": "app1", "SOURCE_NAMESPACE": CANARY}
    return subprocess.run(
        ["sh", "-c", verifier], cwd=volume, env=env, capture_output=True, text=True
    )


def test_the_verifier_accepts_the_canarys_marker_and_refuses_a_lost_or_damaged_one(
    rendered: dict[str, Rendered], tmp_path: Path
) -> None:
    objects = check_objects(rendered["local-multicluster"], "app1")
    writer = script(objects["Deployment", CANARY])
    verifier = script(check_files(objects)["verify.yaml"])

    canary = tmp_path / "canary"
    canary.mkdir()
    _write(writer, canary, CANARY)
    marker = (canary / "marker").read_text()
    assert marker.startswith(f"cluster=app1\nnamespace={CANARY}\nwritten=20")
    _write(writer, canary, CANARY)  # a restart never rewrites it
    assert (canary / "marker").read_text() == marker

    restored = tmp_path / "restored"
    shutil.copytree(canary, restored)
    _write(writer, restored, SCRATCH)  # the restored writer finds the data and keeps it
    ok = _verify(verifier, restored)
    assert ok.returncode == 0, ok.stderr
    assert f"namespace={CANARY}" in ok.stdout

    damaged = tmp_path / "damaged"
    shutil.copytree(canary, damaged)
    (damaged / "marker").write_text(marker.replace("app1", "app9"))
    assert _verify(verifier, damaged).returncode != 0

    lost = tmp_path / "lost"  # the restore brought back an empty volume
    lost.mkdir()
    assert "no marker" in _verify(verifier, lost).stderr
    _write(writer, lost, SCRATCH)  # ... and the restored writer wrote a new marker
    rewritten = _verify(verifier, lost)
    assert rewritten.returncode != 0 and "not restored" in rewritten.stderr
