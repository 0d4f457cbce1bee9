"""WL016 judges the pull policy Kubernetes gives the container, defaults included."""

from __future__ import annotations

import pytest

from tests.assess.conftest import findings_for

POD = """\
apiVersion: v1
kind: Pod
metadata: {{name: tool, namespace: ops}}
spec:
  containers:
    - name: shell
      image: {image}
{policy}
"""


def pull_policy_messages(image: str, policy: str = "") -> list[str]:
    line = f"      imagePullPolicy: {policy}" if policy else ""
    text = POD.format(image=image, policy=line)
    return [f.message for f in findings_for(text) if f.check == "WL016"]


@pytest.mark.parametrize("image", ["ghcr.io/acme/shell:latest", "ghcr.io/acme/shell"])
def test_an_unset_policy_on_a_latest_image_is_already_always(image: str) -> None:
    # Kubernetes defaults imagePullPolicy to Always for a :latest or untagged image;
    # the moving tag itself is WL015's finding.
    assert pull_policy_messages(image) == []
    assert {f.check for f in findings_for(POD.format(image=image, policy=""))} >= {"WL015"}


def test_an_unset_policy_on_a_fixed_tag_says_kubernetes_uses_if_not_present() -> None:
    (message,) = pull_policy_messages("ghcr.io/acme/shell:2.4.1")
    assert message.endswith(
        "imagePullPolicy is not set: Kubernetes uses IfNotPresent for tag '2.4.1'"
    )


def test_an_unset_policy_on_a_digest_says_so() -> None:
    (message,) = pull_policy_messages("ghcr.io/acme/shell@sha256:" + "a" * 64)
    assert "IfNotPresent for an image pinned by digest" in message


@pytest.mark.parametrize("policy", ["IfNotPresent", "Never"])
def test_a_written_policy_other_than_always_is_named(policy: str) -> None:
    assert pull_policy_messages("ghcr.io/acme/shell:latest", policy) == [
        f'container "shell" of Pod/ops/tool: imagePullPolicy is {policy}'
    ]


def test_always_passes() -> None:
    assert pull_policy_messages("ghcr.io/acme/shell:2.4.1", "Always") == []
