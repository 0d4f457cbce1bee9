"""Every workload check fires at the offending line of a bad manifest, not on a good one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stackyard.assess.workloads import WORKLOAD_CHECKS, check_workloads
from stackyard.assess.workloads.containers import image_tag_of
from stackyard.yamlio import iter_yaml_documents
from tests.assess.conftest import RESOURCES, findings_for

ALL_IDS = [check.id for check in WORKLOAD_CHECKS]


def marked_lines(path: Path) -> dict[str, int]:
    """Check id -> the line its ``# WLnnn`` marker is on."""
    lines: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        _, _, comment = line.partition("#")
        for check in re.findall(r"WL\d{3}", comment):
            lines.setdefault(check, number)
    return lines


def test_the_bad_manifest_marks_every_check() -> None:
    assert sorted(marked_lines(RESOURCES / "workloads-bad.yaml")) == sorted(ALL_IDS)


@pytest.mark.parametrize("check", ALL_IDS)
def test_check_fires_at_the_offending_line(check: str) -> None:
    path = RESOURCES / "workloads-bad.yaml"
    expected = marked_lines(path)[check]
    findings = [
        f for f in findings_for(path.read_text(encoding="utf-8"), str(path)) if f.check == check
    ]
    assert findings, f"{check} did not fire"
    assert {f.evidence.line for f in findings} == {expected}
    assert all(f.evidence.file == str(path) for f in findings)
    assert all(f.object_ref == "Deployment/shop/web" for f in findings)


def test_evidence_text_quotes_the_offending_field() -> None:
    text = (RESOURCES / "workloads-bad.yaml").read_text(encoding="utf-8")
    by_check = {f.check: f for f in findings_for(text)}
    assert by_check["WL007"].evidence.text == "privileged: true"
    assert by_check["WL015"].evidence.text == "image: nginx:latest"
    assert by_check["WL009"].evidence.text == "runAsUser: 0"
    assert by_check["WL001"].evidence.text == "name: app"
    assert by_check["WL001"].container == "app"
    assert by_check["WL017"].container == ""


def test_no_check_fires_on_a_good_workload() -> None:
    text = (RESOURCES / "workloads-good.yaml").read_text(encoding="utf-8")
    assert findings_for(text) == []


def test_findings_are_sorted_by_line() -> None:
    text = (RESOURCES / "workloads-bad.yaml").read_text(encoding="utf-8")
    lines = [f.evidence.line for f in findings_for(text)]
    assert lines == sorted(lines)


def test_list_exports_skip_owned_objects_and_locate_items() -> None:
    path = RESOURCES / "kubectl-export.yaml"
    text = path.read_text(encoding="utf-8")
    findings = findings_for(text, str(path))
    assert {f.object_ref for f in findings} == {"CronJob/shop/report"}
    image = next(f for f in findings if f.check == "WL015")
    busybox = text.splitlines().index("                  image: busybox") + 1
    assert image.evidence.line == busybox  # inside items[1] of the List
    assert image.evidence.text == "image: busybox"


def test_jobs_need_no_probes_and_no_budget() -> None:
    text = (RESOURCES / "kubectl-export.yaml").read_text(encoding="utf-8")
    checks = {f.check for f in findings_for(text)}
    assert not checks & {"WL005", "WL006", "WL017", "WL018"}
    assert {"WL001", "WL015", "WL019"} <= checks


POD = """\
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
    - name: c
      image: {image}
      securityContext: {security}
"""


@pytest.mark.parametrize(
    ("security", "fires"),
    [
        ("{}", False),  # inherits runAsNonRoot: true from the pod
        ("{runAsNonRoot: false}", True),  # the container's setting wins
        ("{runAsUser: 0}", True),
        ("{runAsUser: 1000}", False),
    ],
)
def test_run_as_root_follows_container_over_pod(security: str, fires: bool) -> None:
    text = POD.replace("{image}", "a:1").replace("{security}", security)
    assert any(f.check == "WL009" for f in findings_for(text)) is fires


@pytest.mark.parametrize(
    ("image", "tag"),
    [
        ("nginx", ""),
        ("nginx:latest", "latest"),
        ("nginx:1.27", "1.27"),
        ("registry:5000/team/app", ""),
        ("registry:5000/team/app:2.0", "2.0"),
        ("app@sha256:abc", "@digest"),
    ],
)
def test_image_tags_are_read_like_a_registry_does(image: str, tag: str) -> None:
    assert image_tag_of(image) == tag


def test_registry_ids_are_stable_unique_and_explained() -> None:
    assert sorted(ALL_IDS) == ALL_IDS
    assert len(set(ALL_IDS)) == len(ALL_IDS)
    assert all(re.fullmatch(r"WL\d{3}", i) for i in ALL_IDS)
    for check in WORKLOAD_CHECKS:
        assert check.explanation, check.id
        assert check.polaris, check.id  # each one has a Polaris counterpart


def test_docs_map_every_check_to_polaris_and_kube_score() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "assessment-workloads.md").read_text(
        encoding="utf-8"
    )
    for check in WORKLOAD_CHECKS:
        row = next(line for line in docs.splitlines() if line.startswith(f"| {check.id} "))
        assert f"`{check.polaris}`" in row
        for name in check.kube_score:
            assert f"`{name}`" in row


def test_evidence_spans_the_whole_offending_block_when_spans_are_known() -> None:
    path = RESOURCES / "workloads-bad.yaml"
    text = path.read_text(encoding="utf-8")
    documents = list(iter_yaml_documents(text, str(path), spans=True))
    findings = check_workloads((d.data, d) for d in documents)
    host_path = next(f for f in findings if f.check == "WL011")
    lines = text.splitlines()
    assert lines[host_path.evidence.line - 1].strip().startswith("hostPath:")
    assert lines[host_path.evidence.end_line - 1].strip() == "path: /var/run/docker.sock"
    privileged = next(f for f in findings if f.check == "WL007")
    assert privileged.evidence.end_line == privileged.evidence.line
