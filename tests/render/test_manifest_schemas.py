"""Every object under manifests/ passes the real schemas: CRDs and Kubernetes built-ins."""

from __future__ import annotations

import re

import pytest

from tests.render.conftest import EXAMPLE_NAMES, Rendered, schema_problems

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


RBAC_KINDS = {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_manifest_matches_its_schema(rendered: dict[str, Rendered], name: str) -> None:
    result = rendered[name]
    assert schema_problems(result) == []


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_object_names_are_dns_labels(rendered: dict[str, Rendered], name: str) -> None:
    for path, document in rendered[name].objects():
        object_name = document["metadata"]["name"]
        if document["kind"] in RBAC_KINDS:
            # RBAC object names are path segments: "stackyard:platform-admin" is valid
            # (the API server refuses only "." "..", "/" and "%").
            assert "/" not in object_name and "%" not in object_name, path
            continue
        assert DNS_LABEL.match(object_name), path
        assert len(object_name) <= 63, path


def test_rendering_is_deterministic(rendered: dict[str, Rendered]) -> None:
    from tests.render.conftest import example_text, render_text

    again = render_text(example_text("local-multicluster"))
    assert again.files == rendered["local-multicluster"].files
