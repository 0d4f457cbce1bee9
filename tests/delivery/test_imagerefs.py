"""Image references in their normal form, as a container runtime resolves them."""

from __future__ import annotations

import pytest

from stackyard.delivery.imagerefs import normalize


@pytest.mark.parametrize(
    ("reference", "normal"),
    [
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.27", "docker.io/library/nginx:1.27"),
        ("velero/velero:v1.16", "docker.io/velero/velero:v1.16"),
        ("docker.io/library/nginx:1.27", "docker.io/library/nginx:1.27"),
        ("quay.io/cilium/cilium:v1.18.0", "quay.io/cilium/cilium:v1.18.0"),
        ("localhost:5000/app", "localhost:5000/app:latest"),
        ("registry.local:5000/team/app:2", "registry.local:5000/team/app:2"),
        ("app@sha256:" + "a" * 64, "docker.io/library/app@sha256:" + "a" * 64),
    ],
)
def test_a_reference_is_normalized_as_a_runtime_resolves_it(reference: str, normal: str) -> None:
    assert normalize(reference) == normal
