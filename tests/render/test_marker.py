"""The marker is input: what render wrote reads back as typed metadata, anything else is
an InputError naming the marker and the field, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackyard.errors import InputError
from stackyard.plan import make_plan
from stackyard.render import check_tree, write_tree
from stackyard.render.build import render_plan
from stackyard.render.marker import (
    MARKER,
    MAX_FIELD_CHARS,
    RenderMarker,
    parse_marker,
    read_marker,
)
from stackyard.render.metadata import RenderMetadata
from stackyard.spec import load_spec
from tests.conftest import EXAMPLES

DIGEST = "sha256:" + "a" * 64
FULL = RenderMetadata(
    platform="shop",
    edition="standard",
    kubernetes_version="1.35",
    repo_url="https://git.example.com/platform.git",
    revision="main",
    path="clusters/prod",
    spec_digest=DIGEST,
)


def test_the_metadata_render_writes_reads_back_equal() -> None:
    marker = RenderMarker(FULL, {"README.md": "b" * 64})
    parsed = parse_marker(marker.text().encode(), MARKER)
    assert parsed.metadata == FULL
    assert parsed.files == {"README.md": "b" * 64}
    assert parsed.metadata.repo_prefix == "clusters/prod/"


def test_a_marker_without_metadata_keys_reads_as_unknown_metadata() -> None:
    parsed = parse_marker(b'{"format": 2, "files": {}}', MARKER)
    assert parsed.metadata == RenderMetadata(rendered_by="")
    assert parsed.metadata.repo_prefix == ""


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"platform": 3}, "platform", "must be a string, not a number"),
        ({"repoURL": ["x"]}, "repoURL", "not an array"),
        ({"path": {"a": 1}}, "path", "not an object"),
        ({"specDigest": None}, "specDigest", "not null"),
        ({"revision": True}, "revision", "not a boolean"),
        ({"repoURL": "x" * (MAX_FIELD_CHARS + 1)}, "repoURL", "longer than 4096"),
        ({"platform": "a\u0000b"}, "platform", "must be text"),
        ({"revision": "\ud800"}, "revision", "must be text"),
        ({"edition": "gold"}, "edition", "community, standard, enterprise"),
        ({"specDigest": "md5:abc"}, "specDigest", "sha256:"),
        ({"path": "../../etc"}, "path", "inside the repository"),
        ({"path": "/etc"}, "path", "inside the repository"),
        ({"kubernetesVersion": "1.35; rm"}, "kubernetesVersion", "a version"),
        ({"files": None}, "files", "must map"),
        ({"format": 3, "files": {}}, "format", "must be 2"),
    ],
)
def test_a_tampered_field_is_an_input_error_naming_the_marker_and_the_field(
    tmp_path: Path, fields: dict[str, object], field: str, message: str
) -> None:
    (tmp_path / MARKER).write_text(json.dumps({"format": 2, "files": {}} | fields))
    with pytest.raises(InputError) as raised:
        read_marker(tmp_path)
    (problem,) = raised.value.problems
    assert problem.location.file == str(tmp_path / MARKER)
    assert problem.field == field
    assert message in problem.message


@pytest.mark.parametrize(
    "data", [b"", b"not json", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000, b"[]", b"null"]
)
def test_a_marker_that_is_no_json_object_names_the_marker(tmp_path: Path, data: bytes) -> None:
    (tmp_path / MARKER).write_bytes(data)
    with pytest.raises(InputError) as raised:
        read_marker(tmp_path)
    assert str(tmp_path / MARKER) in str(raised.value)


def test_a_marker_that_is_a_directory_names_the_marker(tmp_path: Path) -> None:
    (tmp_path / MARKER).mkdir()
    with pytest.raises(InputError, match="is a directory") as raised:
        read_marker(tmp_path)
    assert str(tmp_path / MARKER) in str(raised.value)


def test_render_returns_its_metadata_and_the_marker_records_it(tmp_path: Path) -> None:
    plan = make_plan(load_spec(EXAMPLES / "local-multicluster.yaml"))
    tree = render_plan(plan, spec_digest=DIGEST)
    platform = plan.spec.platform
    assert tree.metadata == RenderMetadata(
        platform=platform.name,
        edition=platform.edition,
        kubernetes_version=platform.kubernetes.version.removeprefix("v"),
        repo_url=platform.gitops.repoURL,
        revision=platform.gitops.revision,
        path=platform.gitops.path,
        spec_digest=DIGEST,
    )
    write_tree(tree, tmp_path / "out")  # the tree's own metadata, unless told otherwise
    marker = read_marker(tmp_path / "out")
    assert marker is not None and marker.metadata == tree.metadata
    assert check_tree(tree, tmp_path / "out") == []


def test_render_returns_the_settings_it_wrote_with_their_file_and_line() -> None:
    tree = render_plan(make_plan(load_spec(EXAMPLES / "local-multicluster.yaml")))
    written = [setting.as_dict() for setting in tree.settings.settings]
    assert {entry["name"] for entry in written} >= {
        "secret-refresh-interval",
        "agent-wal-retention",
    }
    for entry in written:
        assert set(entry) == {"name", "cluster", "value", "file", "line", "field"}
        line = tree.files[str(entry["file"])].splitlines()[int(entry["line"]) - 1]
        assert str(entry["value"]) in line or entry["name"] == "sso-session-max-lifespan", entry
