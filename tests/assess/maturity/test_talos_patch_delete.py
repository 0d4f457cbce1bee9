"""A Talos patch that deletes the PodSecurity defaults, and CI fixtures that cannot decide.

Talos enforces ``baseline`` Pod Security by default; a strategic merge patch with
``$patch: delete`` on ``cluster.apiServer.admissionControl`` removes it, as a template of
a Talos cluster does in its control-plane patch. The template's end-to-end test keeps a
Talos file of its own under ``.github/template-tests``: a test suite's input, left out by
default, so it neither shows the cluster is Talos nor that its defaults hold.
"""

from __future__ import annotations

from stackyard.assess import assess_directory
from tests.assess.maturity.conftest import WriteTree, control

CONTROL_PLANE_PATCH = """\
cluster:
  allowSchedulingOnControlPlanes: true
  apiServer:
    admissionControl:
      $patch: delete
    certSANs:
      - 127.0.0.1
"""

PLUGIN_DELETED = """\
cluster:
  apiServer:
    admissionControl:
      - name: PodSecurity
        $patch: delete
"""

MACHINE_CONFIG = """\
version: v1alpha1
machine:
  type: controlplane
cluster:
  clusterName: e2e
  network:
    cni:
      name: none
"""

TEST_FIXTURE = """\
version: v1alpha1
machine:
  type: controlplane
cluster:
  clusterName: template-e2e
  apiServer:
    admissionControl:
      - name: PodSecurity
        configuration:
          defaults:
            enforce: baseline
"""


def test_a_patch_deleting_admission_control_removes_the_talos_default(
    write_tree: WriteTree,
) -> None:
    root = write_tree(
        {
            "talos/controlplane.yaml": MACHINE_CONFIG,
            "talos/patches/control-plane/cluster.yaml": CONTROL_PLANE_PATCH,
        }
    )
    result = control(assess_directory(root), "POL-PSA")
    assert result.status == "missing"
    assert "Talos' PodSecurity defaults deleted" in result.detail
    assert [(e.file, e.line, e.quote) for e in result.gaps] == [
        ("talos/patches/control-plane/cluster.yaml", 5, "admissionControl.$patch: delete")
    ]


def test_a_patch_deleting_the_podsecurity_plugin_removes_it(write_tree: WriteTree) -> None:
    root = write_tree(
        {"talos/controlplane.yaml": MACHINE_CONFIG, "talos/patches/psa.yaml": PLUGIN_DELETED}
    )
    result = control(assess_directory(root), "POL-PSA")
    assert result.status == "missing"
    assert [(e.file, e.line) for e in result.gaps] == [("talos/patches/psa.yaml", 5)]


def test_the_talos_default_still_holds_without_a_deleting_patch(write_tree: WriteTree) -> None:
    result = control(
        assess_directory(write_tree({"talos/controlplane.yaml": MACHINE_CONFIG})), "POL-PSA"
    )
    assert result.status == "achieved"
    assert [(e.file, e.line) for e in result.evidence] == [("talos/controlplane.yaml", 1)]


def test_a_ci_test_fixture_does_not_decide_the_verdict(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "talos/controlplane.yaml": MACHINE_CONFIG,
            "talos/patches/control-plane/cluster.yaml": CONTROL_PLANE_PATCH,
            ".github/template-tests/e2e/talos-cluster.yaml": TEST_FIXTURE,
        }
    )
    assessment = assess_directory(root)
    result = control(assessment, "POL-PSA")
    assert result.status == "missing"
    assert not any(e.file.startswith(".github/") for e in result.evidence + result.gaps)
    by_rule = {x.rule: x.folders for x in assessment.excluded}
    assert by_rule == {"*-tests/": (".github/template-tests",)}
