"""The whole air-gapped delivery of community-poc, on real servers.

Render for the air gap (the test registry and Git server as the internal ones), pull the
charts from a local Helm repository and two small images from a source registry (a second
real registry, logging in with bearer tokens as Docker Hub does), pack them with the
rendered repository into a signed bundle, verify it, push it into the internal registry
and the Git server,
then check that everything the render references is inside: every chart under
``<prefix>/charts``, the rendered commit on the Git server, and no airgap finding.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from stackyard.cli.main import app
from stackyard.delivery.charts import charts_of_plan
from stackyard.delivery.registry import push_layout
from stackyard.delivery.registry_client import Credentials, RegistryClient, parse_target
from stackyard.plan import make_plan
from stackyard.spec import load_spec
from tests.conftest import EXAMPLES
from tests.gitserver import PASSWORD as GIT_PASSWORD
from tests.gitserver import USERNAME as GIT_USERNAME
from tests.gitserver import GitServer
from tests.helmrepo import HelmRepository, chart_archive, helm_repository
from tests.ociimages import image_layout
from tests.registry import PASSWORD, USERNAME, Registry

PREFIX = "corp"
SHARED = {"etc/os-release": b"ID=test\n"}


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STACKYARD_REGISTRY_USERNAME", USERNAME)
    monkeypatch.setenv("STACKYARD_REGISTRY_PASSWORD", PASSWORD)
    monkeypatch.setenv("STACKYARD_GIT_USERNAME", GIT_USERNAME)
    monkeypatch.setenv("STACKYARD_GIT_PASSWORD", GIT_PASSWORD)
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "platform team")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "platform@example.org")


@pytest.fixture
def repository(tmp_path: Path) -> Iterator[HelmRepository]:
    with helm_repository(tmp_path / "served") as served:
        yield served


def _run(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["-q", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stdout + result.stderr
    document: dict[str, Any] = json.loads(result.stdout) if "json" in args else {}
    return document


def _chart(name: str, version: str) -> bytes:
    """``chart_archive`` of ``name`` with its Chart.yaml version verbatim."""
    buffer = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(chart_archive(name, version)), mode="r:gz") as source,
        tarfile.open(fileobj=buffer, mode="w:gz") as target,
    ):
        for member in source:
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == f"{name}/Chart.yaml":
                chart = yaml.safe_load(data)
                data = yaml.safe_dump({**chart, "version": version}).encode()
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


def _chart_sources(tree: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted((tree / "apps").rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document and document.get("kind") == "Application":
                spec = document["spec"]
                sources = spec.get("sources", []) + ([spec["source"]] if "source" in spec else [])
                found += [s for s in sources if "chart" in s]
    return found


def test_community_poc_crosses_the_gap_and_references_only_the_internal_servers(
    registry: Registry,
    token_registry: Registry,
    git_server: GitServer,
    repository: HelmRepository,
    tmp_path: Path,
) -> None:
    # The spec, pointed at the test servers. The Git server here speaks plain HTTP and an
    # air gap declares one transport for both servers, so the render names it https on
    # the same host and port; the push below goes to the very same repository path.
    folder = tmp_path / "spec"
    shutil.copytree(EXAMPLES / "apis", folder / "apis")
    shutil.copy(registry.ca_file, folder / "registry-ca.pem")
    internal_git = f"https://127.0.0.1:{git_server.port}"
    spec = folder / "platform.yaml"
    spec.write_text(
        (EXAMPLES / "community-poc.yaml").read_text(encoding="utf-8")
        + f"airgap:\n  registry: {registry.host}/{PREFIX}\n  git: {internal_git}\n"
        + "  caFile: registry-ca.pem\n",
        encoding="utf-8",
    )
    tree = tmp_path / "repo"
    tree.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(tree)], check=True)
    _run("render", str(spec), str(tree), "--commit")
    head = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()

    # The charts, from the local Helm repository standing in for every public one.
    refs = charts_of_plan(make_plan(load_spec(spec)))
    # Each archive's Chart.yaml carries the version exactly as the render pins it (cert-manager
    # publishes v1.21.1 as v1.21.1): the bundle tags a chart by its Chart.yaml version.
    repository.publish(
        ((r.chart, r.version) for r in refs),
        content={r.chart: _chart(r.chart, r.version) for r in refs},
    )
    store = tmp_path / "charts"
    mapping = []
    for original in sorted({r.repo_url for r in refs if not r.repo_url.endswith(".git")}):
        mapping += ["--repository-map", f"{original}={repository.url}"]
    _run("charts", "pull", str(spec), "-d", str(store), *mapping)

    # Two small images sharing a layer, one of them for two architectures, published in the
    # source registry under the public names a mirror of Docker Hub and quay.io holds.
    published = [
        image_layout(
            tmp_path / "app",
            "docker.io/library/app:1",
            [SHARED, {"bin/app": b"app v1\n"}],
            architectures=("amd64", "arm64"),
        ),
        image_layout(
            tmp_path / "tool", "quay.io/example/tool:2", [SHARED, {"bin/tool": b"tool\n"}]
        ),
    ]
    for layout in published:
        push_layout(
            layout.root,
            parse_target(f"{token_registry.host}/public"),
            credentials=Credentials(USERNAME, PASSWORD),
            ca_file=token_registry.ca_file,
        )
    # images pull fetches them, as the list of what the platform runs names them, into the
    # layout the bundle carries.
    listing = tmp_path / "images.txt"
    listing.write_text(
        "# the images to carry\ndocker.io/library/app:1\nquay.io/example/tool:2\n",
        encoding="utf-8",
    )
    images = tmp_path / "images"
    pulled = _run(
        "images", "pull", str(listing), "-d", str(images),
        "--ca-file", str(token_registry.ca_file),
        "--registry-map", f"docker.io={token_registry.host}/public/docker.io",
        "--registry-map", f"quay.io={token_registry.host}/public/quay.io", "-o", "json",
    )  # fmt: skip
    assert {i["reference"]: i["digest"] for i in pulled["images"]} == {
        top.reference: top.digest for layout in published for top in layout.manifests()
    }

    key = tmp_path / "signing.key"
    _run("bundle", "keygen", str(key))
    bundle = tmp_path / "platform.tar"
    _run(
        "bundle", "create", str(tree), str(bundle), "--key", str(key),
        "--charts", str(store), "--images", str(images),
    )  # fmt: skip
    _run("bundle", "verify", str(bundle), "--key", f"{key}.pub")

    gitops_path = "poc/platform.git"  # the example's repository path, kept on the server
    git_server.create(gitops_path)
    pushed = _run(
        "bundle", "push", str(bundle), "--key", f"{key}.pub",
        "--registry", f"{registry.host}/{PREFIX}", "--git", git_server.url(gitops_path),
        "--ca-file", str(registry.ca_file), "-o", "json",
    )  # fmt: skip
    assert {"ref": "refs/heads/main", "commit": head} in pushed["git"]["refs"]
    tags = {(i["repository"], i["reference"]) for i in pushed["registry"]["images"]}
    # A node pulls an image through its mirror: the rendered rewrite of the image's path
    # under its registry must name exactly where the push put it.
    mirrors = yaml.safe_load((tree / "nodes/poc/rke2/registries.yaml").read_text())["mirrors"]
    for image in ("docker.io/library/app:1", "quay.io/example/tool:2"):
        host, _, rest = image.partition("/")
        path, _, tag = rest.partition(":")
        ((pattern, replacement),) = mirrors[host]["rewrite"].items()
        assert pattern == "^(.*)$"
        assert (replacement.replace("$1", path), tag) in tags, image

    # Every chart the render installs is in the registry where Argo CD will look.
    client = RegistryClient(
        parse_target(registry.host), Credentials(USERNAME, PASSWORD), registry.ca_file
    )
    sources = _chart_sources(tree)
    assert sources
    for source in sources:
        assert source["repoURL"] == f"{registry.host}/{PREFIX}/charts"
        reference = f"{PREFIX}/charts/{source['chart']}"
        digest = client.manifest_digest(reference, str(source["targetRevision"]))
        assert digest is not None, f"{reference}:{source['targetRevision']} is not in the registry"

    # The Git server holds the rendered commit, at the path the render points Argo CD to.
    served = subprocess.run(
        ["git", "-C", str(git_server.root / gitops_path), "rev-parse", "refs/heads/main"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert served == head
    root_app = yaml.safe_load((tree / "bootstrap/root-app.yaml").read_text(encoding="utf-8"))
    assert root_app["spec"]["source"]["repoURL"] == f"{internal_git}/{gitops_path}"

    # validate finds nothing outside the air gap in the tree.
    result = CliRunner().invoke(app, ["validate", str(tree), "-o", "json"])
    assert result.exit_code == 0, result.stdout
    findings = json.loads(result.stdout)["findings"]
    assert [f for f in findings if f["check"] == "airgap"] == []
