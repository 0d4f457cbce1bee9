"""The KMS statement of aws-kms encryption names the spec's key however it is written."""

from __future__ import annotations

import pytest

from stackyard.render.infrastructure.iam import Needs, roles

ARN = "arn:aws:kms:ap-northeast-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize(
    ("key", "resource", "alias"),
    [
        ("alias/k8s-secrets", "*", "alias/k8s-secrets"),
        ("arn:aws:kms:ap-northeast-2:111122223333:alias/k8s", "*", "alias/k8s"),
        (ARN, ARN, None),
        ("1234abcd-12ab", "arn:aws:kms:*:*:key/1234abcd-12ab", None),
    ],
)
def test_the_key_is_matched_by_alias_or_arn(key: str, resource: str, alias: str | None) -> None:
    server, _ = roles(Needs(False, False, None, "prod", key))
    (policy,) = server.policies
    (statement,) = policy.document["Statement"]
    assert statement["Resource"] == resource
    condition = statement.get("Condition", {}).get("StringEquals", {}).get("kms:RequestAlias")
    assert condition == alias
