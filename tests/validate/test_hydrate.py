"""Hydration renders local charts with the real Helm engine and checks what they render."""

from __future__ import annotations

import re
from pathlib import Path

import helm_python as helm
import pytest

from stackyard.validate.hydrate import Image
from stackyard.validate.run import validate_directory
from tests.conftest import EXAMPLES, render_example


def make_chart(folder: Path, name: str, version: str, extra: dict[str, str] | None = None) -> Path:
    """A small chart made with Helm's own scaffold, renamed to a pinned version."""
    helm.Chart.create(name, folder).close()
    chart = folder / name
    meta = chart / "Chart.yaml"
    meta.write_text(re.sub(r"(?m)^version: .*$", f"version: {version}", meta.read_text()))
    for file, text in (extra or {}).items():
        (chart / "templates" / file).write_text(text)
    return chart


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("render") / "out"
    render_example(EXAMPLES / "community-poc.yaml", out)
    return out


def test_a_local_chart_is_rendered_and_its_images_listed(tree: Path, tmp_path: Path) -> None:
    make_chart(tmp_path, "longhorn", "1.12.1")
    report = validate_directory(tree, charts=tmp_path)
    assert report.hydration is not None and report.hydration.rendered == 1
    images = {image.reference: users for image, users in report.hydration.images.items()}
    assert images["nginx:1.16.0"] == {"longhorn-poc"}
    inventory = report.hydration.inventory()
    assert "nginx:1.16.0\tdocker.io\tlibrary/nginx\t1.16.0\t-\tlonghorn-poc" in inventory
    assert not [f for f in report.errors if f.check == "hydrate"]


def test_a_chart_that_fails_to_render_is_an_error(tree: Path, tmp_path: Path) -> None:
    make_chart(tmp_path, "grafana", "12.11.1", {"broken.yaml": "{{ .Values.nope.deeper }}\n"})
    report = validate_directory(tree, charts=tmp_path)
    (finding,) = [f for f in report.errors if f.check == "hydrate"]
    assert "grafana-poc" in finding.message and "failed to render" in finding.message
    assert finding.location.file.endswith("apps/applications/grafana.yaml")


def test_invalid_rendered_objects_are_reported(tree: Path, tmp_path: Path) -> None:
    bad = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: 1\nspec: {}\n"
    make_chart(tmp_path, "longhorn", "1.12.1", {"bad.yaml": bad})
    report = validate_directory(tree, charts=tmp_path)
    messages = [f.message for f in report.errors if f.check == "schema"]
    assert any("longhorn-poc: ConfigMap x" in m and "spec" in m for m in messages)


def test_charts_missing_locally_are_named_not_skipped(tree: Path, tmp_path: Path) -> None:
    report = validate_directory(tree, charts=tmp_path)
    missing = [f for f in report.findings if f.check == "hydrate"]
    assert missing and all(f.unchecked and f.severity == "info" for f in missing)
    assert any("longhorn 1.12.1 not in the charts directory" in f.message for f in missing)


def test_a_chart_at_another_version_does_not_stand_in(tree: Path, tmp_path: Path) -> None:
    make_chart(tmp_path, "longhorn", "1.11.0")
    report = validate_directory(tree, charts=tmp_path)
    assert report.hydration is not None and report.hydration.rendered == 0


def test_packaged_archives_are_found(tree: Path, tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    chart = make_chart(source, "longhorn", "1.12.1")
    charts = tmp_path / "charts"
    charts.mkdir()
    helm.package(chart, destination=charts)
    assert list(charts.glob("*.tgz"))
    report = validate_directory(tree, charts=charts)
    assert report.hydration is not None and report.hydration.rendered == 1


@pytest.mark.parametrize(
    ("reference", "parts"),
    [
        ("nginx", ("docker.io", "library/nginx", "latest", "")),
        ("grafana/grafana:12.1.0", ("docker.io", "grafana/grafana", "12.1.0", "")),
        (
            "quay.io/cilium/cilium:v1.20.0@sha256:abc",
            ("quay.io", "cilium/cilium", "v1.20.0", "sha256:abc"),
        ),
        ("localhost:5000/x/y@sha256:def", ("localhost:5000", "x/y", "", "sha256:def")),
        ("registry.k8s.io/etcd:3.6.5-0", ("registry.k8s.io", "etcd", "3.6.5-0", "")),
    ],
)
def test_image_references_are_split_like_a_runtime(reference: str, parts: tuple[str, ...]) -> None:
    image = Image.parse(reference)
    assert (image.registry, image.repository, image.tag, image.digest) == parts
