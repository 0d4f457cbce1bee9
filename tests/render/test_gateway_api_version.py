"""One Gateway API release: the rendered Application, node bootstrap and every text agree.

The release is one fact, ``GATEWAY_API_VERSION`` in render: the gateway-api-crds
Application pins it and node bootstrap downloads it. Catalog descriptions, examples, the
README and docs name no other release (they once said v1.4 while v1.6.1 was installed).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stackyard.catalog import load_catalog
from stackyard.render.gitops import GATEWAY_API, GATEWAY_API_VERSION
from tests.render.conftest import Rendered

ROOT = Path(__file__).resolve().parents[2]
RELEASE_MENTION = re.compile(r"Gateway API (?:CRDs )?(v?\d+\.\d+(?:\.\d+)?)", re.IGNORECASE)
RELEASE_URL = re.compile(r"kubernetes-sigs/gateway-api/releases/download/([^/]+)/")


def _texts() -> dict[str, str]:
    texts = {f"catalog {c.name}": c.description for c in load_catalog()}
    for pattern in ("examples/*.yaml", "docs/*.md", "README.md"):
        for path in sorted(ROOT.glob(pattern)):
            texts[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    return texts


@pytest.mark.parametrize("where", sorted(_texts()))
def test_no_text_names_another_gateway_api_release(where: str) -> None:
    named = set(RELEASE_MENTION.findall(_texts()[where]))
    assert named <= {GATEWAY_API_VERSION, GATEWAY_API_VERSION.removeprefix("v")}, named


def test_the_rendered_application_pins_the_one_release(rendered: dict[str, Rendered]) -> None:
    local = rendered["local-multicluster"]
    applications = local.documents(f"apps/applications/{GATEWAY_API}.yaml")
    assert len(applications) == len(local.plan.clusters)
    for application in applications:
        assert application["spec"]["source"]["targetRevision"] == GATEWAY_API_VERSION


def test_node_bootstrap_downloads_the_one_release(rendered: dict[str, Rendered]) -> None:
    local = rendered["local-multicluster"]
    downloaded = {release for text in local.files.values() for release in RELEASE_URL.findall(text)}
    assert downloaded == {GATEWAY_API_VERSION}
