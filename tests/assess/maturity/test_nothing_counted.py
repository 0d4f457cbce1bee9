"""A control is never achieved over nothing: zero units is no evidence.

A coverage or count control with nothing to count ("no :latest images among 0 image
references") is not applicable to the repository; it says so and is not credited, as
every other verdict without evidence.
"""

from __future__ import annotations

import pytest

from stackyard.assess import assess_directory
from tests.assess.maturity.conftest import CORPUS, DEPLOYMENT, WriteTree, control, corpus

KUSTOMIZATION = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
"""


def test_no_image_references_is_not_applicable_not_achieved(write_tree: WriteTree) -> None:
    result = control(assess_directory(write_tree({"apps.yaml": KUSTOMIZATION})), "SC-PINNED-TAGS")
    assert result.status == "missing"
    assert "not applicable: no image references" in result.detail
    assert "among 0" not in result.detail


def test_tagged_images_are_cited_as_the_evidence_of_pinning(write_tree: WriteTree) -> None:
    result = control(assess_directory(write_tree({"web.yaml": DEPLOYMENT})), "SC-PINNED-TAGS")
    assert result.status == "achieved"
    assert result.detail == "no :latest or untagged images among 1 image references"
    assert [(e.file, e.line) for e in result.evidence] == [("web.yaml", 11)]


@pytest.mark.parametrize("repository", CORPUS)
def test_no_control_of_the_corpus_is_achieved_without_evidence(repository: str) -> None:
    assessment = corpus(repository)
    empty = [
        c.control
        for area in assessment.areas
        for c in area.controls
        if c.status == "achieved" and not c.evidence
    ]
    assert empty == []
