"""Rendering for the air gap: Argo CD reads charts from the internal OCI registry and Git
from the internal server, the nodes pull every image through the registry's mirror
(RKE2 registries.yaml, containerd hosts.toml), the tree validates, and validate names the
file and line of any public repository or unmirrored image left in it."""

from __future__ import annotations

import json
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from typer.testing import CliRunner

from stackyard.cli.main import app
from stackyard.render.airgap import UPSTREAM_REGISTRIES
from tests.certificates import certificate_authority, write_certificate
from tests.render.conftest import EXAMPLES, example_text, render_text

Cli = Callable[..., Result]
REGISTRY = "harbor.corp.internal:8443/platform"
GIT = "https://git.corp.internal/mirror"
AIRGAP = f"airgap:\n  registry: {REGISTRY}\n  git: {GIT}\n  caFile: ca/registry.pem\n"


@pytest.fixture(scope="module")
def cli() -> Cli:
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args), catch_exceptions=False)


def _render(folder: Path, example: str, cli: Cli) -> Path:
    """``example`` with the airgap section, rendered into ``folder/repo``."""
    shutil.copytree(EXAMPLES / "apis", folder / "apis")
    (folder / "ca").mkdir()
    write_certificate(folder / "ca/registry.pem", certificate_authority("corp CA")[1])
    spec = folder / "platform.yaml"
    spec.write_text(example_text(example) + AIRGAP, encoding="utf-8")
    tree = folder / "repo"
    result = cli("render", str(spec), str(tree))
    assert result.exit_code == 0, result.output
    return tree


@pytest.fixture(scope="module")
def poc(tmp_path_factory: pytest.TempPathFactory, cli: Cli) -> Path:
    return _render(tmp_path_factory.mktemp("poc"), "community-poc", cli)


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory, cli: Cli) -> Path:
    return _render(tmp_path_factory.mktemp("local"), "local-multicluster", cli)


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def _sources(tree: Path) -> list[dict[str, Any]]:
    found = []
    for path in [*sorted((tree / "apps").rglob("*.yaml")), tree / "bootstrap/root-app.yaml"]:
        for document in _documents(path):
            if document["kind"] == "Application":
                spec = document["spec"]
                found += spec.get("sources", []) + ([spec["source"]] if "source" in spec else [])
    return found


@pytest.mark.parametrize("example", ["poc", "local"])
def test_every_argo_cd_source_is_the_internal_registry_or_git_server(
    example: str, request: pytest.FixtureRequest
) -> None:
    tree: Path = request.getfixturevalue(example)
    sources = _sources(tree)
    charts = [s for s in sources if "chart" in s]
    git = [s for s in sources if "chart" not in s]
    assert charts and git
    assert {s["repoURL"] for s in charts} == {f"{REGISTRY}/charts"}
    assert all(s["targetRevision"] and "/" not in s["chart"] for s in charts)
    assert all(s["repoURL"].startswith(f"{GIT}/") for s in git)
    spec = yaml.safe_load(example_text("community-poc"))["gitops"]["repoURL"]
    if example == "poc":
        repo_path = spec.split("://", 1)[1].split("/", 1)[1]
        assert {s["repoURL"] for s in git} == {f"{GIT}/{repo_path}"}


def test_argo_cd_knows_the_internal_repositories_without_credentials(poc: Path) -> None:
    secrets = {d["metadata"]["name"]: d for d in _documents(poc / "apps/repositories.yaml")}
    charts = secrets["repo-airgap-charts"]
    assert charts["metadata"]["labels"] == {"argocd.argoproj.io/secret-type": "repository"}
    assert charts["stringData"] == {
        "name": "airgap-charts",
        "url": f"{REGISTRY}/charts",
        "type": "helm",
        "enableOCI": "true",
    }
    assert secrets["repo-airgap-gitops"]["stringData"]["url"].startswith(f"{GIT}/")
    for secret in secrets.values():
        assert not {"username", "password", "sshPrivateKey"} & set(secret["stringData"])
    project = _documents(poc / "apps/project.yaml")[0]
    assert all(r.startswith((REGISTRY, GIT)) for r in project["spec"]["sourceRepos"]), project[
        "spec"
    ]["sourceRepos"]
    values = yaml.safe_load((poc / "values/clusters/poc/argo-cd.yaml").read_text("utf-8"))
    pem = (poc.parent / "ca/registry.pem").read_text("ascii")
    assert values["configs"]["tls"]["certificates"] == {
        "git.corp.internal": pem,
        "harbor.corp.internal": pem,
    }


def test_rke2_nodes_mirror_every_public_registry_through_the_internal_one(poc: Path) -> None:
    (mirrors,) = _documents(poc / "nodes/poc/rke2/registries.yaml")
    assert set(mirrors["mirrors"]) == set(UPSTREAM_REGISTRIES)
    quay = mirrors["mirrors"]["quay.io"]
    assert quay == {
        "endpoint": ["https://harbor.corp.internal:8443"],
        "rewrite": {"^(.*)$": "platform/quay.io/$1"},
    }
    assert mirrors["configs"] == {
        "harbor.corp.internal:8443": {"tls": {"ca_file": "/etc/rancher/rke2/airgap-ca.pem"}}
    }
    pem = (poc.parent / "ca/registry.pem").read_text("ascii")
    assert (poc / "nodes/poc/rke2/airgap-ca.pem").read_text("ascii") == pem
    readme = (poc / "nodes/poc/README.md").read_text("utf-8")
    assert "| `rke2/registries.yaml` | `/etc/rancher/rke2/registries.yaml` | every node |" in readme


def test_kubeadm_nodes_get_a_containerd_hosts_file_per_public_registry(local: Path) -> None:
    folder = local / "nodes/mgmt/containerd/certs.d"
    assert {p.parent.name for p in folder.glob("*/hosts.toml")} == set(UPSTREAM_REGISTRIES)
    hosts = tomllib.loads((folder / "docker.io/hosts.toml").read_text("utf-8"))
    assert hosts == {
        "server": "https://registry-1.docker.io",
        "host": {
            "https://harbor.corp.internal:8443/v2/platform/docker.io": {
                "capabilities": ["pull", "resolve"],
                "override_path": True,
                "ca": "/etc/containerd/certs.d/airgap-ca.pem",
            }
        },
    }
    user_data = yaml.safe_load((local / "nodes/mgmt/cloud-init/mgmt-cp.yaml").read_text("utf-8"))
    written = {f["path"]: f["content"] for f in user_data["write_files"]}
    assert written["/etc/containerd/certs.d/docker.io/hosts.toml"] == (
        folder / "docker.io/hosts.toml"
    ).read_text("utf-8")
    commands = user_data["runcmd"]
    config_path = next(i for i, c in enumerate(commands) if "config_path" in c)
    assert config_path < commands.index("systemctl restart containerd")


def test_bootstrap_installs_read_the_internal_registry(local: Path, poc: Path) -> None:
    readme = (local / "nodes/mgmt/README.md").read_text("utf-8")
    assert f"helm install cilium oci://{REGISTRY}/charts/cilium" in readme
    assert "--repo https://helm.cilium.io" not in readme
    root_readme = (poc / "README.md").read_text("utf-8")
    assert f"oci://{REGISTRY}/charts/argo-cd" in root_readme
    # Credentials are created at bootstrap as templates Argo CD matches by URL prefix.
    assert f"--from-literal=url={REGISTRY} --from-literal=type=helm \\\n" in root_readme
    assert "argocd.argoproj.io/secret-type=repo-creds" in root_readme


@pytest.mark.parametrize("example", ["poc", "local"])
def test_air_gapped_trees_validate_clean(
    example: str, request: pytest.FixtureRequest, cli: Cli
) -> None:
    tree: Path = request.getfixturevalue(example)
    result = cli("validate", str(tree))
    assert result.exit_code == 0, result.output


def test_a_public_repository_or_image_left_in_the_tree_is_an_error_at_its_line(
    poc: Path, tmp_path: Path, cli: Cli
) -> None:
    tree = tmp_path / "repo"
    shutil.copytree(poc, tree)
    application = tree / "apps/applications/cert-manager.yaml"
    text = application.read_text("utf-8")
    assert f"repoURL: {REGISTRY}/charts" in text
    application.write_text(
        text.replace(f"repoURL: {REGISTRY}/charts", "repoURL: https://charts.jetstack.io", 1),
        encoding="utf-8",
    )
    repo_line = (
        application.read_text("utf-8").splitlines().index("  - repoURL: https://charts.jetstack.io")
        + 1
    )
    extra = tree / "manifests/poc/cert-manager/seeded.yaml"
    extra.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: seeded\n  namespace: cert-manager\n"
        "spec:\n  containers:\n  - name: app\n    image: public.example.com/app/web:1.0\n",
        encoding="utf-8",
    )
    result = cli("validate", str(tree), "-o", "json")
    assert result.exit_code == 1
    findings = [f for f in json.loads(result.stdout)["findings"] if f["check"] == "airgap"]
    places = {(Path(f["file"]).name, f["line"]): f["message"] for f in findings}
    assert set(places) == {("cert-manager.yaml", repo_line), ("seeded.yaml", 9)}
    assert (
        "https://charts.jetstack.io, outside the air gap"
        in places[("cert-manager.yaml", repo_line)]
    )
    assert "public.example.com, which the nodes do not mirror" in places[("seeded.yaml", 9)]


def test_without_the_section_nothing_points_at_an_internal_server(rendered_poc: Path) -> None:
    assert not (rendered_poc / "apps/repositories.yaml").exists()
    assert not list(rendered_poc.glob("nodes/*/rke2/registries.yaml"))
    assert "airgap" not in (rendered_poc / ".stackyard-render").read_text("utf-8")


def test_a_lab_without_tls_says_so_in_every_place_that_fetches() -> None:
    lab = (
        "airgap:\n  registry: registry.lab:5000\n  git: http://git.lab/mirror\n  plainHttp: true\n"
    )
    tree = render_text(example_text("community-poc") + lab)
    (mirrors,) = tree.documents("nodes/poc/rke2/registries.yaml")
    assert mirrors["mirrors"]["docker.io"] == {
        "endpoint": ["http://registry.lab:5000"],
        "rewrite": {"^(.*)$": "docker.io/$1"},
    }
    assert "configs" not in mirrors
    charts = tree.find("apps/repositories.yaml", "Secret", "repo-airgap-charts")
    assert charts["stringData"]["insecureOCIForceHttp"] == "true"
    assert "tls" not in tree.values("poc", "argo-cd")["configs"]
