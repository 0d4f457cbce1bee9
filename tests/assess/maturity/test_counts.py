"""Counts count distinct things: a shared values file or an object written twice is one.

"298 autoscalers" came from two lines of one values file that 149 releases read; each
count here is what a reviewer would count by opening the files.
"""

from __future__ import annotations

from stackyard.assess import Assessment, assess_directory
from tests.assess.maturity.conftest import WriteTree, control

SHARED = """\
image:
  tag: latest
autoscaling:
  enabled: true
podDisruptionBudget:
  minAvailable: 1
"""
HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: api
  namespace: shop
spec:
  maxReplicas: 3
"""
EXPORT = "apiVersion: v1\nkind: List\nitems:\n" + "".join(
    f"  - {line}\n" if i == 0 else f"    {line}\n" for i, line in enumerate(HPA.splitlines())
)


def application(name: str) -> str:
    """An Application whose chart reads the shared values file through a ``$values`` ref."""
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
spec:
  sources:
    - repoURL: https://charts.example.com
      chart: web-{name}
      targetRevision: 1.0.0
      helm:
        valueFiles:
          - $values/values/shared.yaml
    - repoURL: https://git.example.com/platform.git
      ref: values
"""


def shared_values_repo(write_tree: WriteTree) -> Assessment:
    files: dict[str, str | bytes] = {f"apps/{n}.yaml": application(n) for n in "abc"}
    files["values/shared.yaml"] = SHARED
    files["apps/hpa.yaml"] = HPA  # the same HorizontalPodAutoscaler as in the export
    files["export.yaml"] = EXPORT
    return assess_directory(write_tree(files), workers=0)


def test_a_values_switch_shared_by_three_releases_is_one_autoscaler(
    write_tree: WriteTree,
) -> None:
    assessment = shared_values_repo(write_tree)
    # shop/api (written twice: a manifest and an export) and the shared values switch.
    assert control(assessment, "RM-AUTOSCALING").detail == "2 autoscalers"
    assert control(assessment, "RM-PDB").detail == "1 disruption budgets"


def test_a_floating_tag_in_a_shared_values_file_is_one_reference(write_tree: WriteTree) -> None:
    assessment = shared_values_repo(write_tree)
    tags = control(assessment, "SC-PINNED-TAGS")
    assert tags.detail == "1 floating image references (:latest or no tag)"
    assert [(g.file, g.line) for g in tags.gaps] == [("values/shared.yaml", 2)]
    assert control(assessment, "SC-DIGESTS").detail == "0 of 1 images pinned by digest"
