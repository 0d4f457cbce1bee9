"""Hostile files inside the trees that ``assess`` and ``validate`` walk.

A repository is anyone's: a payload file or a special file (FIFO, socket, device,
link loop) inside it is skipped or reported, never read forever, never a crash, and
the rest of the tree is still read. Nothing in the tree is changed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.hostile.payloads import BASE_SPEC, YAML_PAYLOADS
from tests.hostile.specials import SPECIALS
from tests.processes import check_outcome, run_stackyard, tree_snapshot

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 128Mi}}
"""

TREE_PAYLOADS = sorted(set(YAML_PAYLOADS) - {"many-empty-documents", "two-documents"})


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One rendered tree of the community example; each case works on a copy."""
    root = tmp_path_factory.mktemp("rendered")
    spec = root / "platform.yaml"
    spec.write_text(BASE_SPEC, encoding="utf-8")
    check_outcome(run_stackyard("render", spec, "tree", cwd=root))
    return root / "tree"


def _repository(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "apps" / "shop").mkdir(parents=True)
    (repo / "apps" / "shop" / "deployment.yaml").write_text(DEPLOYMENT)
    return repo


@pytest.mark.parametrize("payload", TREE_PAYLOADS)
def test_assess_survives_a_payload_file(tmp_path: Path, payload: str) -> None:
    repo = _repository(tmp_path)
    (repo / "apps" / "shop" / "values.yaml").write_bytes(YAML_PAYLOADS[payload])
    before = tree_snapshot(repo)
    outcome = run_stackyard("assess", repo, "-o", "json", cwd=tmp_path)
    check_outcome(outcome, names="repo")
    assert outcome.code in (0, 1), outcome.stderr[-2000:]
    report = json.loads(outcome.stdout)
    assert report, "an empty report"
    assert tree_snapshot(repo) == before


@pytest.mark.parametrize("special", sorted(SPECIALS))
def test_assess_skips_special_files(tmp_path: Path, special: str) -> None:
    repo = _repository(tmp_path)
    SPECIALS[special](repo / "apps" / "shop" / "zero.yaml")
    outcome = run_stackyard("assess", repo, "-o", "json", cwd=tmp_path, timeout=60)
    check_outcome(outcome, names="repo")
    assert outcome.code in (0, 1), outcome.stderr[-2000:]
    assert "deployment.yaml" in outcome.stdout, "the rest of the tree was not read"


@pytest.mark.parametrize("payload", TREE_PAYLOADS)
def test_validate_survives_a_payload_file(rendered: Path, tmp_path: Path, payload: str) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(rendered, tree, symlinks=True)
    (tree / "manifests" / "poc" / "extra.yaml").write_bytes(YAML_PAYLOADS[payload])
    before = tree_snapshot(tree)
    outcome = run_stackyard("validate", tree, "-o", "json", cwd=tmp_path)
    check_outcome(outcome, names="tree")
    assert tree_snapshot(tree) == before


@pytest.mark.parametrize("special", sorted(SPECIALS))
def test_validate_skips_special_files(rendered: Path, tmp_path: Path, special: str) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(rendered, tree, symlinks=True)
    SPECIALS[special](tree / "values" / "common" / "zero.yaml")
    outcome = run_stackyard("validate", tree, cwd=tmp_path, timeout=60)
    check_outcome(outcome, names="tree")


@pytest.mark.parametrize(
    "marker",
    [
        b"",
        b"[]\n",
        b"not json at all",
        b'{"kubernetesVersion": 1.35}',
        b'{"kubernetesVersion": "99999999999999999999.1"}',
        b'{"repoURL": ["x"], "path": {"a": 1}}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"files": "everything"}',
        b"\xff\xfe garbage",
    ],
    ids=[
        "empty",
        "list",
        "not-json",
        "number-version",
        "huge-version",
        "wrong-types",
        "deep-json",
        "files-not-a-list",
        "not-utf8",
    ],
)
def test_validate_survives_a_tampered_marker(rendered: Path, tmp_path: Path, marker: bytes) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(rendered, tree, symlinks=True)
    (tree / ".stackyard-render").write_bytes(marker)
    outcome = run_stackyard("validate", tree, cwd=tmp_path)
    check_outcome(outcome, names=".stackyard-render")


@pytest.mark.parametrize(
    ("marker", "field"),
    [
        (None, ""),
        (b'{"repoURL": ["x"]}', "repoURL"),
        (b'{"path": "../../elsewhere"}', "path"),
        (b'{"platform": "' + b"x" * 100_000 + b'"}', "platform"),
        (b'{"format": 2}', "files"),
    ],
    ids=["directory", "wrong-type", "path-outside", "huge-value", "missing-files"],
)
def test_validate_refuses_a_tampered_marker_naming_it_and_the_field(
    rendered: Path, tmp_path: Path, marker: bytes | None, field: str
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(rendered, tree, symlinks=True)
    (tree / ".stackyard-render").unlink()
    if marker is None:
        (tree / ".stackyard-render").mkdir()
    else:
        (tree / ".stackyard-render").write_bytes(marker)
    outcome = run_stackyard("validate", tree, cwd=tmp_path)
    check_outcome(outcome, names=".stackyard-render")
    assert outcome.code == 2, outcome.stderr
    assert (
        f".stackyard-render: {field}: " in outcome.stderr
        if field
        else "directory" in outcome.stderr
    )


def test_assess_survives_a_deep_folder_tree(tmp_path: Path) -> None:
    repo = _repository(tmp_path)
    deep = repo
    for _ in range(120):
        deep = deep / "d"
    deep.mkdir(parents=True)
    (deep / "deployment.yaml").write_text(DEPLOYMENT)
    outcome = run_stackyard("assess", repo, "-o", "json", cwd=tmp_path)
    check_outcome(outcome, names="repo")


def test_assess_survives_odd_file_names(tmp_path: Path) -> None:
    repo = _repository(tmp_path)
    for name in ("new\nline.yaml", "tab\tname.yaml", "é-latin.yaml", "x" * 250 + ".yaml"):
        (repo / "apps" / name).write_text(DEPLOYMENT)
    with open(bytes(repo / "apps") + b"/not-utf8-\xff.yaml", "wb") as stream:
        stream.write(DEPLOYMENT.encode())
    outcome = run_stackyard("assess", repo, "-o", "json", cwd=tmp_path)
    check_outcome(outcome, names="repo")
    assert outcome.code in (0, 1)
