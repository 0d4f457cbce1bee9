"""A workload exempts itself with the annotations Polaris and kube-score read, with a reason."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from stackyard.assess import assess_directory
from stackyard.assess.exceptions import AcceptedFinding, apply_exceptions
from stackyard.assess.workloads.exemptions import NO_REASON
from stackyard.errors import Location

HOST_NETWORK_JOB = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: snapshot
  namespace: kube-system
  annotations:
{annotations}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        metadata:
          annotations:
            polaris.fairwinds.com/exempt: "true"
        spec:
          hostNetwork: true
          automountServiceAccountToken: false
          restartPolicy: Never
          containers:
            - name: snapshot
              image: registry.k8s.io/etcd:3.6.6-0
              imagePullPolicy: Always
              resources:
                requests: {{cpu: 50m, memory: 64Mi}}
                limits: {{cpu: 500m, memory: 256Mi}}
              securityContext:
                runAsUser: 0
                allowPrivilegeEscalation: false
                readOnlyRootFilesystem: true
"""


def assess_job(tmp_path: Path, *annotations: str):  # type: ignore[no-untyped-def]
    lines = "\n".join(f"    {a}" for a in annotations) or "    note: none"
    (tmp_path / "job.yaml").write_text(HOST_NETWORK_JOB.format(annotations=lines))
    return assess_directory(tmp_path, workers=0)


def by_check(assessment) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    return {f.check: f.excepted for f in assessment.workload_findings}


def test_without_annotations_host_network_and_root_are_open_errors(tmp_path: Path) -> None:
    # The pod template's annotation does not count: Polaris reads the controller's.
    assessment = assess_job(tmp_path)
    assert by_check(assessment) == {"WL012": False, "WL009": False}
    assert assessment.exceptions == ()


def test_polaris_per_check_annotation_excepts_that_check_only(tmp_path: Path) -> None:
    assessment = assess_job(
        tmp_path,
        'polaris.fairwinds.com/hostNetworkSet-exempt: "true"',
        "stackyard.dev/exemption-reason: etcd listens on the node's loopback",
    )
    assert by_check(assessment) == {"WL012": True, "WL009": False}
    (use,) = assessment.exceptions
    assert use.check == "hostNetworkSet"
    assert use.reason == "etcd listens on the node's loopback"
    assert use.origin == "annotation"
    assert use.matched == 1
    assert use.expires == "" and not use.expired
    assert use.source.line == 7  # the annotation's own line
    assert "CronJob/kube-system/snapshot" in use.target


def test_polaris_exempt_true_excepts_every_check(tmp_path: Path) -> None:
    assessment = assess_job(tmp_path, 'polaris.fairwinds.com/exempt: "True"')
    assert set(by_check(assessment).values()) == {True}
    (use,) = assessment.exceptions
    assert use.check == "*"
    assert use.matched == 2
    assert use.reason == NO_REASON  # honoured, but a reviewer sees none was given


def test_polaris_annotation_other_than_true_is_not_an_exemption(tmp_path: Path) -> None:
    assessment = assess_job(tmp_path, 'polaris.fairwinds.com/hostNetworkSet-exempt: "false"')
    assert by_check(assessment) == {"WL012": False, "WL009": False}


def test_kube_score_ignore_names_checks_by_kube_score_or_stackyard_id(tmp_path: Path) -> None:
    assessment = assess_job(
        tmp_path, 'kube-score/ignore: "container-security-context-privileged, WL009, pod-probes"'
    )
    # pod-probes is kube-score's name for checks that do not fire on a CronJob
    assert by_check(assessment) == {"WL012": False, "WL009": True}
    matched = {u.check: u.matched for u in assessment.exceptions}
    assert matched == {"container-security-context-privileged": 0, "WL009": 1, "pod-probes": 0}


def test_names_stackyard_does_not_know_are_left_to_the_other_tool(tmp_path: Path) -> None:
    assessment = assess_job(
        tmp_path,
        'kube-score/ignore: "container-ephemeral-storage-request-and-limit"',
        'polaris.fairwinds.com/missingNetworkPolicy-exempt: "true"',
    )
    assert by_check(assessment) == {"WL012": False, "WL009": False}
    assert assessment.exceptions == ()


def test_an_exceptions_file_does_not_count_findings_the_annotation_already_accepts(
    tmp_path: Path,
) -> None:
    assessment = assess_job(tmp_path, 'polaris.fairwinds.com/hostNetworkSet-exempt: "true"')
    entry = AcceptedFinding(
        check="WL012",
        reason="also accepted here",
        expires=dt.date(2099, 1, 1),
        location=Location("x"),
    )
    marked = apply_exceptions(assessment, [entry], today=dt.date(2026, 1, 1))
    assert by_check(marked) == {"WL012": True, "WL009": False}
    assert [u.matched for u in marked.exceptions] == [1, 0]
    assert [u.origin for u in marked.exceptions] == ["annotation", "file"]
