"""The golden image of an air-gapped cluster's machines as a Packer template: parsed with
python-hcl2, one build source per CPU architecture, the runtime and the bundle's images
installed as the distribution needs them."""

from __future__ import annotations

from typing import Any

import hcl2
import pytest

from tests.render.conftest import Rendered, example_text, render_text
from tests.render.test_infrastructure import STACK, blocks, unquote

AIRGAP = "airgap:\n  registry: harbor.corp.internal/platform\n  git: https://git.corp.internal/platform\n"
TEMPLATE = STACK + "packer/golden-image.pkr.hcl"


def _template(result: Rendered) -> dict[str, Any]:
    parsed: dict[str, Any] = hcl2.loads(result.files[TEMPLATE])
    return parsed


def _commands(parsed: dict[str, Any]) -> list[str]:
    (build,) = parsed["build"]
    shells = [p['"shell"'] for p in build["provisioner"] if '"shell"' in p]
    return [unquote(c) for c in shells[-1]["inline"]]


@pytest.fixture(scope="module")
def rke2() -> Rendered:
    return render_text(example_text("aws-standard") + AIRGAP)


def test_only_an_air_gapped_platform_gets_the_template(rke2: Rendered) -> None:
    assert TEMPLATE in rke2.files
    assert TEMPLATE not in render_text(example_text("aws-standard")).files


def test_rke2_images_go_where_rke2_imports_them_and_rke2_from_its_tarball(rke2: Rendered) -> None:
    parsed = _template(rke2)
    sources = blocks(parsed, "source", "amazon-ebs")
    assert set(sources) == {"amd64"}  # every machine of the example is an m6i
    (build,) = parsed["build"]
    assert [unquote(s) for s in build["sources"]] == ["source.amazon-ebs.amd64"]
    commands = _commands(parsed)
    assert any("/var/lib/rancher/rke2/agent/images/bundle-images.tar" in c for c in commands)
    assert any(c.startswith("sudo INSTALL_RKE2_ARTIFACT_PATH=") for c in commands)
    plugin = parsed["packer"][0]["required_plugins"][0]["amazon"]
    assert unquote(plugin["version"]) == "1.8.0"


def test_kubeadm_images_are_imported_into_containerd() -> None:
    text = example_text("aws-standard").replace("distribution: rke2", "distribution: kubeadm")
    commands = _commands(_template(render_text(text + AIRGAP)))
    assert "sudo ctr -n k8s.io images import --all-platforms /tmp/stackyard/bundle-images.tar" in (
        commands
    )
    assert any("aws/install" in c for c in commands)  # the join credentials need the CLI


def test_two_architectures_get_two_sources() -> None:
    text = example_text("aws-standard").replace(
        "instanceType: m6i.2xlarge", "instanceType: m7g.2xlarge"
    )
    parsed = _template(render_text(text + AIRGAP))
    sources = blocks(parsed, "source", "amazon-ebs")
    assert set(sources) == {"amd64", "arm64"}
    assert unquote(sources["arm64"]["instance_type"]) == "m7g.2xlarge"
