"""``stackyard charts pull``: a local chart store from a real Helm repository on loopback.

The catalog's repositories are out of reach here, so the example's charts are published
in a local repository and every original repository is mapped to it with
``--repository-map``, as a customer mirroring repositories would.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from stackyard.assess.inputs.build import index_repository
from stackyard.assess.inputs.objects import KubeObject
from stackyard.assess.model import Notice
from stackyard.cli.main import app
from stackyard.delivery.charts import RECORD, ChartRef, charts_of_plan, charts_of_tree
from stackyard.delivery.registry_client import Credentials, RegistryClient, Target
from stackyard.plan import make_plan
from stackyard.spec import load_spec
from tests.conftest import EXAMPLES, ROOT
from tests.helmrepo import HelmRepository, chart_archive, helm_repository
from tests.registry import PASSWORD, USERNAME, Registry
from tests.servers import free_port

SPEC = EXAMPLES / "community-poc.yaml"


@pytest.fixture(scope="module")
def poc_charts() -> list[ChartRef]:
    """The Helm charts the community-poc render installs."""
    return charts_of_plan(make_plan(load_spec(SPEC)))


@pytest.fixture
def cli() -> Callable[..., Result]:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, ["-q", *args], catch_exceptions=False)

    return invoke


@pytest.fixture
def repository(tmp_path: Path) -> Iterator[HelmRepository]:
    with helm_repository(tmp_path / "served") as served:
        yield served


def mapped(refs: list[ChartRef], url: str) -> list[str]:
    """``--repository-map`` options pointing every repository of ``refs`` at ``url``."""
    options = []
    for original in sorted({r.repo_url for r in refs if not r.repo_url.endswith(".git")}):
        options += ["--repository-map", f"{original}={url}"]
    return options


def test_spec_and_rendered_tree_name_the_same_charts(
    poc_charts: list[ChartRef], rendered_poc: Path
) -> None:
    assert poc_charts == charts_of_tree(rendered_poc)
    assert {"cert-manager", "argo-cd", "velero"} <= {r.chart for r in poc_charts}


def test_pull_stores_every_chart_with_its_digest_and_a_rerun_moves_nothing(
    cli: Callable[..., Result],
    repository: HelmRepository,
    poc_charts: list[ChartRef],
    tmp_path: Path,
) -> None:
    repository.publish((r.chart, r.version) for r in poc_charts)
    store = tmp_path / "store"
    first = cli(
        "charts",
        "pull",
        str(SPEC),
        "-d",
        str(store),
        "-o",
        "json",
        *mapped(poc_charts, repository.url),
    )
    assert first.exit_code == 0, first.stderr
    document = json.loads(first.stdout)
    assert document["schema"] == "stackyard.dev/charts-pull/v1"
    assert document["kind"] == "spec"
    assert {c["status"] for c in document["charts"]} == {"pulled"}
    for chart in document["charts"]:
        data = (store / chart["path"]).read_bytes()
        assert chart["digest"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert chart["source"].startswith(repository.url + "/archives/")
    assert sorted(p.name for p in store.glob("*.tgz")) == sorted(
        f"{r.chart}-{r.version}.tgz" for r in poc_charts
    )
    stamps = {p.name: p.stat().st_mtime_ns for p in store.iterdir()}
    repository.requests.clear()

    again = cli(
        "charts",
        "pull",
        str(SPEC),
        "-d",
        str(store),
        "-o",
        "json",
        *mapped(poc_charts, repository.url),
    )
    assert again.exit_code == 0, again.stderr
    assert {c["status"] for c in json.loads(again.stdout)["charts"]} == {"present"}
    assert repository.requests == []  # not even the index: the store's record suffices
    assert {p.name: p.stat().st_mtime_ns for p in store.iterdir()} == stamps


def test_a_hand_placed_archive_with_the_right_digest_is_kept(
    cli: Callable[..., Result], repository: HelmRepository, tmp_path: Path
) -> None:
    repository.publish([("cert-manager", "v1.21.1")])
    store = tmp_path / "store"
    store.mkdir()
    (store / "cert-manager-v1.21.1.tgz").write_bytes(chart_archive("cert-manager", "v1.21.1"))
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "app.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: cm}\n"
        f"spec:\n  source: {{repoURL: {repository.url}, chart: cert-manager, "
        "targetRevision: v1.21.1, helm: {}}\n",
        encoding="utf-8",
    )
    result = cli("charts", "pull", str(tree), "-d", str(store))
    assert result.exit_code == 0, result.stderr
    assert "present" in result.stdout and "pulled" not in result.stdout
    assert not any("archives/" in r for r in repository.requests)
    assert json.loads((store / RECORD).read_text())["charts"][0]["chart"] == "cert-manager"


def test_absolute_archive_urls_are_followed(
    cli: Callable[..., Result], repository: HelmRepository, tmp_path: Path
) -> None:
    repository.publish([("cert-manager", "v1.21.1")], absolute_urls=True)
    result = cli(
        "charts",
        "pull",
        str(tree_with(tmp_path, repository.url)),
        "-d",
        str(tmp_path / "store"),
        "-o",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["charts"][0]["status"] == "pulled"


def tree_with(
    tmp_path: Path, url: str, chart: str = "cert-manager", version: str = "v1.21.1"
) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir(exist_ok=True)
    (tree / "app.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: cm}\n"
        f"spec:\n  sources:\n    - {{repoURL: '{url}', chart: {chart}, "
        f"targetRevision: {version}, helm: {{}}}}\n",
        encoding="utf-8",
    )
    return tree


@pytest.mark.parametrize(
    ("publish", "message"),
    [
        ({"charts": [("cert-manager", "v1.20.0")]}, "no version v1.21.1 of cert-manager"),
        ({"charts": [("grafana", "v1.21.1")]}, "the repository has no chart cert-manager"),
        (
            {"charts": [("cert-manager", "v1.21.1")], "digests": {"cert-manager": "ab" * 32}},
            "the source promised sha256:" + "ab" * 32 + "; refused",
        ),
        (
            {
                "charts": [("cert-manager", "v1.21.1")],
                "content": {"cert-manager": b"<html>not found</html>"},
            },
            "is not a chart archive (.tgz)",
        ),
        (
            {
                "charts": [("cert-manager", "v1.21.1")],
                "content": {"cert-manager": chart_archive("grafana", "v1.21.1")},
            },
            "holds chart 'grafana', not a chart archive of cert-manager",
        ),
    ],
)
def test_a_chart_the_repository_cannot_vouch_for_is_refused_and_nothing_is_written(
    cli: Callable[..., Result],
    repository: HelmRepository,
    tmp_path: Path,
    publish: dict,
    message: str,
) -> None:
    repository.publish(
        publish["charts"], digests=publish.get("digests"), content=publish.get("content")
    )
    store = tmp_path / "store"
    result = cli("charts", "pull", str(tree_with(tmp_path, repository.url)), "-d", str(store))
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert list(store.iterdir()) == []


def test_an_unreachable_repository_is_reported_at_once(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{free_port()}/charts"
    result = cli("charts", "pull", str(tree_with(tmp_path, url)), "-d", str(tmp_path / "s"))
    assert result.exit_code == 2
    assert f"cannot reach {url}/index.yaml: connection refused" in result.stderr


def test_an_unreachable_oci_registry_is_reported_at_once(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    url = f"oci://127.0.0.1:{free_port()}/charts"
    result = cli("charts", "pull", str(tree_with(tmp_path, url)), "-d", str(tmp_path / "s"))
    assert result.exit_code == 2
    assert "cannot pull" in result.stderr and "cert-manager:v1.21.1" in result.stderr


def test_a_store_path_that_is_a_file_is_refused(
    cli: Callable[..., Result], repository: HelmRepository, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    store.write_text("not a folder", encoding="utf-8")
    result = cli("charts", "pull", str(tree_with(tmp_path, repository.url)), "-d", str(store))
    assert result.exit_code == 2
    assert "exists and is not a folder" in result.stderr
    assert repository.requests == []
    assert store.read_text(encoding="utf-8") == "not a folder"


def test_a_malformed_repository_map_is_refused(cli: Callable[..., Result], tmp_path: Path) -> None:
    result = cli(
        "charts",
        "pull",
        str(SPEC),
        "-d",
        str(tmp_path / "s"),
        "--repository-map",
        "https://charts.jetstack.io",
    )
    assert result.exit_code == 2
    assert "is not ORIGINAL=MIRROR" in result.stderr


def test_validate_hydrates_a_rendered_tree_from_the_pulled_store(
    cli: Callable[..., Result],
    repository: HelmRepository,
    poc_charts: list[ChartRef],
    rendered_poc: Path,
    tmp_path: Path,
) -> None:
    repository.publish((r.chart, r.version) for r in poc_charts)
    store = tmp_path / "store"
    pulled = cli(
        "charts",
        "pull",
        str(rendered_poc),
        "-d",
        str(store),
        "-o",
        "json",
        *mapped(poc_charts, repository.url),
    )
    assert pulled.exit_code == 0, pulled.stderr
    assert json.loads(pulled.stdout)["kind"] == "rendered"

    checked = cli(
        "validate",
        str(rendered_poc),
        "--hydrate",
        "--charts",
        str(store),
        "--images",
        str(tmp_path / "images.txt"),
        "-o",
        "json",
    )
    report = json.loads(checked.stdout)
    assert report["hydration"]["releases"] > 0
    text = json.dumps(report)
    assert "not in the charts directory" not in text
    assert "failed to render" not in text


def test_the_json_output_matches_its_schema(
    cli: Callable[..., Result], repository: HelmRepository, tmp_path: Path
) -> None:
    repository.publish([("cert-manager", "v1.21.1")])
    tree = tree_with(tmp_path, repository.url)
    (tree / "git.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: lpp}\n"
        "spec:\n  source: {repoURL: 'https://github.com/rancher/local-path-provisioner.git', "
        "path: deploy/chart/local-path-provisioner, targetRevision: v0.0.37, helm: {}}\n",
        encoding="utf-8",
    )
    result = cli("charts", "pull", str(tree), "-d", str(tmp_path / "store"), "-o", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    schema = json.loads((ROOT / "docs" / "schemas" / "charts-pull.v1.json").read_text())
    Draft202012Validator(schema).validate(document)
    assert sorted(c["status"] for c in document["charts"]) == ["pulled", "skipped"]


def push_chart(registry: Registry, repository: str, tag: str, archive: bytes) -> str:
    """Store ``archive`` as a Helm chart artifact ``repository:tag``, as ``helm push`` does."""
    client = RegistryClient(
        Target(f"https://{registry.host}", ""), Credentials(USERNAME, PASSWORD), registry.ca_file
    )
    config = json.dumps({"name": repository.rsplit("/", 1)[-1], "version": tag}).encode()
    descriptors = []
    for media_type, blob in (
        ("application/vnd.cncf.helm.config.v1+json", config),
        ("application/vnd.cncf.helm.chart.content.v1.tar+gzip", archive),
    ):
        digest = "sha256:" + hashlib.sha256(blob).hexdigest()
        client.finish_upload(client.start_upload(repository), digest, blob)
        descriptors.append({"mediaType": media_type, "digest": digest, "size": len(blob)})
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptors[0],
        "layers": descriptors[1:],
    }
    client.put_manifest(
        repository, tag, "application/vnd.oci.image.manifest.v1+json", json.dumps(manifest).encode()
    )
    return descriptors[1]["digest"]


def test_a_chart_is_pulled_from_an_oci_registry_with_a_login_and_a_private_ca(
    cli: Callable[..., Result],
    registry: Registry,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    archive = chart_archive("gateway-helm", "v1.9.0")
    digest = push_chart(registry, "mirror/envoyproxy/gateway-helm", "v1.9.0", archive)
    tree = tree_with(tmp_path, "oci://docker.io/envoyproxy", "gateway-helm", "v1.9.0")
    store = tmp_path / "store"
    pull = (
        "charts",
        "pull",
        str(tree),
        "-d",
        str(store),
        "-o",
        "json",
        "--repository-map",
        f"oci://docker.io/envoyproxy=oci://{registry.host}/mirror/envoyproxy",
    )

    untrusted = cli(*pull)
    assert untrusted.exit_code == 2
    assert "not trusted" in untrusted.stderr

    monkeypatch.setenv("STACKYARD_REGISTRY_USERNAME", USERNAME)
    monkeypatch.setenv("STACKYARD_REGISTRY_PASSWORD", "wrong")
    refused = cli(*pull, "--ca-file", str(registry.ca_file))
    assert refused.exit_code == 2
    assert "refused the credentials" in refused.stderr
    assert not list(store.glob("*.tgz"))

    monkeypatch.setenv("STACKYARD_REGISTRY_PASSWORD", PASSWORD)
    result = cli(*pull, "--ca-file", str(registry.ca_file))
    assert result.exit_code == 0, result.stderr
    chart = json.loads(result.stdout)["charts"][0]
    assert (chart["status"], chart["digest"]) == ("pulled", digest)
    assert (store / "gateway-helm-v1.9.0.tgz").read_bytes() == archive

    again = cli(*pull, "--ca-file", str(registry.ca_file))
    assert json.loads(again.stdout)["charts"][0]["status"] == "present"


def test_assess_hydrates_from_the_store_with_the_version_a_release_pins(
    cli: Callable[..., Result], repository: HelmRepository, tmp_path: Path
) -> None:
    repository.publish([("cert-manager", "v1.21.1")])
    store = tmp_path / "store"
    tree = tree_with(tmp_path, repository.url)
    assert cli("charts", "pull", str(tree), "-d", str(store)).exit_code == 0
    # An older version of the same chart, first in the folder's order.
    (store / "cert-manager-1.20.0.tgz").write_bytes(chart_archive("cert-manager", "v1.20.0"))

    notices: list[Notice] = []
    seen: list[KubeObject] = []
    index_repository(tree, notices, observers=[seen.append], charts=store, workers=0)
    rendered = [obj.get("data", "version") for obj in seen if obj.kind == "ConfigMap"]
    assert rendered == ["1.21.1"], notices
