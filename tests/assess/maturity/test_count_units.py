"""Every count a verdict states lists what it counted, and its spans sit in the right list.

"N of M" in a control's detail is read by people; ``units`` is what CI reads. They must
tell the same story on every control of every corpus repository: N the counted units,
M all of them (a detail of two counts, "4 of 4 applications and 1 of 1 workloads", sums
them), each unit named once, and no span that proves a gap opens the control's
``evidence`` (nor a hit its ``gaps``).
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from stackyard.assess import assess_directory
from stackyard.assess.model import ControlResult
from tests.assess.maturity.conftest import CORPUS, WriteTree, control, corpus

COUNT = re.compile(r"\b(\d+) of (\d+) ")

DIGEST = "sha256:0c1e2d3c4b5a69788796a5b4c3d2e1f0" + "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
DIGESTED = f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:1.4.2@{DIGEST}
        - name: proxy
          image: envoyproxy/envoy:v1.31.2
"""


def broken_promises(result: ControlResult) -> list[str]:
    """What in ``result`` contradicts its units (empty when the count and lists agree)."""
    problems = []
    counts = [(int(n), int(m)) for n, m in COUNT.findall(result.detail)]
    counted = sum(u.counted for u in result.units)
    if counts and (sum(n for n, _ in counts), sum(m for _, m in counts)) != (
        counted,
        len(result.units),
    ):
        problems.append(
            f"{result.control}: {result.detail!r} but units {counted}/{len(result.units)}"
        )
    twice = sorted(name for name, n in Counter(u.name for u in result.units).items() if n > 1)
    if twice:
        problems.append(f"{result.control}: units named twice: {twice}")
    gaps = {e for u in result.units if not u.counted for e in u.evidence}
    hits = {e for u in result.units if u.counted for e in u.evidence}
    problems += [f"{result.control}: gap in evidence: {e}" for e in result.evidence if e in gaps]
    problems += [f"{result.control}: hit in gaps: {e}" for e in result.gaps if e in hits]
    return problems


@pytest.mark.parametrize("repository", CORPUS)
def test_every_count_agrees_with_its_units(repository: str) -> None:
    assessment = corpus(repository)
    problems = [p for area in assessment.areas for c in area.controls for p in broken_promises(c)]
    assert problems == []


def test_images_pinned_by_digest_are_listed_one_unit_each(write_tree: WriteTree) -> None:
    digests = control(assess_directory(write_tree({"web.yaml": DIGESTED})), "SC-DIGESTS")
    assert digests.detail == "1 of 2 images pinned by digest"
    assert [(u.name, u.counted) for u in digests.units] == [
        (f"ghcr.io/acme/web:1.4.2@{DIGEST}", True),
        ("envoyproxy/envoy:v1.31.2", False),
    ]
    assert [(e.line, u.counted) for u in digests.units for e in u.evidence] == [
        (10, True),
        (12, False),
    ]


TEMPLATED = {
    "web.yaml": f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: "ghcr.io/acme/web:{{{{ .Values.version }}}}"
        - name: proxy
          image: envoyproxy/envoy:v1.31.2@{DIGEST}
""",
    "apps/api.yaml": """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: api
spec:
  destination:
    namespace: shop
  source:
    chart: webapp
    repoURL: https://charts.example.com
    helm:
      valuesObject:
        image:
          repository: ghcr.io/acme/api
          tag: "{{ .Values.apiVersion }}"
        sidecar:
          image: ghcr.io/acme/side:2.0.0
""",
}


def test_a_templated_image_is_unknown_to_both_pinning_controls(write_tree: WriteTree) -> None:
    # A {{ }} placeholder is filled in only when rendered: neither pinned nor floating, so
    # neither control counts it as a hit or a gap, and both say how many they left out.
    assessment = assess_directory(write_tree(TEMPLATED))
    unknown = (
        " (2 templated image references unknown: placeholders filled in only when rendered,"
        " not counted)"
    )
    tags = control(assessment, "SC-PINNED-TAGS")
    assert tags.detail == "no :latest or untagged images among 2 image references" + unknown
    assert [(e.file, e.line) for e in tags.evidence] == [("web.yaml", 12), ("apps/api.yaml", 17)]
    digests = control(assessment, "SC-DIGESTS")
    assert digests.detail == "1 of 2 images pinned by digest" + unknown
    assert [(u.name, u.counted) for u in digests.units] == [
        (f"envoyproxy/envoy:v1.31.2@{DIGEST}", True),
        ("sidecar.image: ghcr.io/acme/side:2.0.0", False),
    ]
    assert [(e.file, e.line) for e in digests.gaps] == [("apps/api.yaml", 17)]
    assert broken_promises(digests) == broken_promises(tags) == []
