"""WL018 counts a spreading term only when it selects the workload's own pods."""

from __future__ import annotations

import pytest

from tests.assess.conftest import findings_for

WORKLOAD = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: queue, namespace: jobs}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app.kubernetes.io/name: queue}}}}
  template:
    metadata:
      labels: {{app.kubernetes.io/name: queue, app.kubernetes.io/part-of: billing}}
    spec:
{spreading}
      containers:
        - {{name: broker, image: "registry.example.com/queue:3.2"}}
"""

PREFERRED = """\
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 50
              podAffinityTerm:
                topologyKey: topology.kubernetes.io/zone
                labelSelector: {selector}
"""

REQUIRED = """\
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            - topologyKey: kubernetes.io/hostname
              labelSelector: {selector}
"""

SPREAD = """\
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector: {selector}
"""

OWN = "{matchLabels: {app.kubernetes.io/name: queue}}"
OTHER = "{matchLabels: {app.kubernetes.io/name: cache}}"


def spreading_findings(spreading: str) -> list[str]:
    text = WORKLOAD.format(spreading=spreading.rstrip("\n"))
    return [f.message for f in findings_for(text) if f.check == "WL018"]


@pytest.mark.parametrize("term", [PREFERRED, REQUIRED, SPREAD])
def test_a_term_that_selects_its_own_pods_spreads_them(term: str) -> None:
    assert spreading_findings(term.format(selector=OWN)) == []


@pytest.mark.parametrize("term", [PREFERRED, REQUIRED, SPREAD])
def test_a_term_that_selects_other_pods_does_not_spread_this_workload(term: str) -> None:
    messages = spreading_findings(term.format(selector=OTHER))
    assert len(messages) == 1
    assert "selects its own pods" in messages[0]
    assert "app.kubernetes.io/name=queue" in messages[0]


@pytest.mark.parametrize(
    ("selector", "spreads"),
    [
        (
            "{matchExpressions: [{key: app.kubernetes.io/part-of, operator: In,"
            " values: [billing]}]}",
            True,
        ),
        (
            "{matchExpressions: [{key: app.kubernetes.io/name, operator: NotIn, values: [queue]}]}",
            False,
        ),
        ("{}", True),  # an empty selector selects every pod of the namespace, its own too
        ("null", False),  # a missing selector selects no pod
    ],
)
def test_the_scheduler_reading_of_the_selector_decides(selector: str, spreads: bool) -> None:
    assert (spreading_findings(REQUIRED.format(selector=selector)) == []) is spreads


def test_an_anti_affinity_term_looking_in_other_namespaces_does_not_spread_it() -> None:
    term = REQUIRED.format(selector=OWN) + "              namespaces: [batch]\n"
    assert len(spreading_findings(term)) == 1
    own_namespace = REQUIRED.format(selector=OWN) + "              namespaces: [batch, jobs]\n"
    assert spreading_findings(own_namespace) == []
