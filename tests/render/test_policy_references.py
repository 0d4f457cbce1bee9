"""Every ConfigMap and Secret a rendered Kyverno policy reads is in the render, or listed as
created at bootstrap; with ``policy.signingKey`` the signature policy's key is rendered."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stackyard.cli.main import app
from tests.render.conftest import EXAMPLES, Rendered, example_text, render_text

KEY = (Path(__file__).parents[1] / "spec" / "data" / "keys" / "cosign.pub").read_text()
KYVERNO_GROUPS = ("kyverno.io/", "policies.kyverno.io/")
# resource.get("v1", "configmaps", "kyverno", "cosign-public-key") in a CEL expression.
RESOURCE_GET = re.compile(
    r'resource\.get\(\s*"v1"\s*,\s*"(configmaps|secrets)"\s*,\s*"([^"]+)"\s*,\s*"([^"]+)"\s*\)'
)
KINDS = {"configmaps": "ConfigMap", "secrets": "Secret"}


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, str):
        yield node


def referenced(result: Rendered) -> set[tuple[str, str, str, str]]:
    """(cluster, kind, namespace, name) of each ConfigMap or Secret a policy reads."""
    found = set()
    for path, document in result.objects():
        if not document["apiVersion"].startswith(KYVERNO_GROUPS):
            continue
        cluster = path.split("/")[1]
        for text in _strings(document.get("spec")):
            for resource, namespace, name in RESOURCE_GET.findall(text):
                found.add((cluster, KINDS[resource], namespace, name))
    return found


def rendered_objects(result: Rendered) -> set[tuple[str, str, str, str]]:
    return {
        (path.split("/")[1], d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"])
        for path, d in result.objects()
    }


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Rendered, Path]:
    """aws-enterprise with ``policy.signingKey``, beside a copy of the examples' files."""
    folder = tmp_path_factory.mktemp("keyed") / "platform"
    shutil.copytree(EXAMPLES, folder)
    (folder / "keys").mkdir()
    (folder / "keys" / "cosign.pub").write_text(KEY)
    spec = folder / "platform.yaml"
    spec.write_text(example_text("aws-enterprise") + "policy:\n  signingKey: keys/cosign.pub\n")
    return render_text(spec.read_text(), folder), spec


def test_with_a_signing_key_every_object_a_policy_reads_is_rendered(
    keyed: tuple[Rendered, Path],
) -> None:
    result, _ = keyed
    wanted = referenced(result)
    assert ("prod", "ConfigMap", "kyverno", "cosign-public-key") in wanted
    assert wanted <= rendered_objects(result)
    configmap = result.find(
        "manifests/prod/kyverno-policies/workload-policies.yaml", "ConfigMap", "cosign-public-key"
    )
    assert configmap["data"] == {"cosign.pub": KEY}
    assert "cosign-public-key" not in result.files["README.md"]  # nothing left to create


def test_the_keyed_render_validates_with_no_finding(
    keyed: tuple[Rendered, Path], tmp_path: Path
) -> None:
    _, spec = keyed
    runner = CliRunner()
    rendered = runner.invoke(app, ["render", str(spec), str(tmp_path / "repo")])
    assert rendered.exit_code == 0, rendered.stderr
    result = runner.invoke(app, ["validate", str(tmp_path / "repo"), "-o", "json"])
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and data["findings"] == [], data["findings"]


def test_without_a_key_each_unrendered_reference_is_a_bootstrap_step(
    rendered: dict[str, Rendered],
) -> None:
    for name, result in rendered.items():
        missing = referenced(result) - rendered_objects(result)
        readme = result.files["README.md"]
        for _, kind, namespace, object_name in missing:
            row = f"| `{namespace}/{object_name}`" + (f" ({kind})" if kind != "Secret" else "")
            assert row in readme, (name, kind, namespace, object_name)
    assert referenced(rendered["aws-enterprise"])  # the check has something to find
