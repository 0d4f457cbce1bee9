"""Writing a tree touches only Stackyard's own files, and never escapes the output."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from stackyard.errors import InputError
from stackyard.fsio.lock import exclusive_lock
from stackyard.render import write as render_write
from stackyard.render.marker import (
    JOURNAL,
    LOCK,
    MARKER,
    read_marker,
    sha256_text,
)
from stackyard.render.metadata import RenderMetadata
from stackyard.render.tree import RenderedTree, RenderError, safe_relative_path
from stackyard.render.write import check_tree, write_tree

META = RenderMetadata(platform="p", kubernetes_version="1.35", path=".")


def tree(**files: str) -> RenderedTree:
    result = RenderedTree()
    for path, text in files.items():
        result.add_text(path.replace("__", "/"), text)
    return result


@pytest.mark.parametrize(
    "path", ["../escape.yaml", "/etc/passwd", "a/../../b", "a//b", "a\\b", "", "./a", "a/./b"]
)
def test_unsafe_paths_are_refused(path: str) -> None:
    with pytest.raises(RenderError):
        safe_relative_path(path)


def test_a_path_can_only_be_written_once() -> None:
    result = tree(a="1")
    with pytest.raises(RenderError, match="two renderers"):
        result.add_text("a", "2")


def test_write_creates_the_tree_with_a_marker_listing_its_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = write_tree(tree(apps__x="x: 1"), out, META)
    assert (out / "apps" / "x").read_text() == "x: 1\n"
    marker = read_marker(out)
    assert marker is not None and marker.metadata.platform == "p"
    assert list(marker.files) == ["apps/x"]
    assert report.written == ("apps/x",)
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "apps"]  # no lock, no journal


def test_rewrite_deletes_stale_owned_files_and_keeps_overrides_and_unknown_files(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    write_tree(tree(apps__old="1", apps__kept="1", gone__deep__x="1"), out, META)
    user = out / "overrides" / "values" / "common" / "cilium.yaml"
    user.parent.mkdir(parents=True)
    user.write_text("mine: true\n")
    (out / "apps" / "notes.md").write_text("ours\n")
    report = write_tree(tree(apps__kept="2", apps__new="3"), out, META)
    assert not (out / "apps" / "old").exists()
    assert not (out / "gone").exists()  # the folders it emptied go too
    assert (out / "apps" / "kept").read_text() == "2\n"
    assert user.read_text() == "mine: true\n"
    assert (out / "apps" / "notes.md").read_text() == "ours\n"
    assert report.deleted == ("apps/old", "gone/deep/x")
    assert report.unknown == ("apps/notes.md",)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_unknown_file_in_the_way_is_a_conflict_and_nothing_is_written(tmp_path: Path) -> None:
    out = tmp_path / "home"
    out.mkdir()
    (out / "README.md").write_text("precious")
    with pytest.raises(InputError, match=r"1 files .* would be overwritten: README.md") as raised:
        write_tree(tree(**{"README.md": "rendered"}, apps__a="1"), out, META)
    assert "--force" in raised.value.problems[0].hint
    assert sorted(p.name for p in out.iterdir()) == ["README.md"]
    assert (out / "README.md").read_text() == "precious"


def test_force_overwrites_unknown_files_which_then_become_owned(tmp_path: Path) -> None:
    out = tmp_path / "home"
    out.mkdir()
    (out / "README.md").write_text("precious")
    report = write_tree(tree(**{"README.md": "rendered"}), out, META, force=True)
    assert report.replaced == ("README.md",)
    assert (out / "README.md").read_text() == "rendered\n"
    write_tree(tree(apps__a="1"), out, META)  # no longer rendered: deleted as Stackyard's
    assert not (out / "README.md").exists()


def test_rendered_files_edited_by_hand_are_reported_when_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(tree(a="1", b="1", c="1"), out, META)
    (out / "a").write_text("edited by hand\n")
    (out / "b").write_text("edited by hand\n")
    report = write_tree(tree(a="1", b="2", c="2"), out, META)
    assert report.edited == ("a", "b")  # c changed only because the spec did
    assert (out / "a").read_text() == "1\n"


@pytest.mark.parametrize("kind", ["directory", "symlink", "fifo"])
def test_force_never_replaces_what_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = out / "README.md"
    if kind == "directory":
        target.mkdir()
    elif kind == "symlink":
        (tmp_path / "elsewhere").write_text("x")
        target.symlink_to(tmp_path / "elsewhere")
    else:
        os.mkfifo(target)
    with pytest.raises(InputError, match="where the render writes a file"):
        write_tree(tree(**{"README.md": "r"}), out, META, force=True)
    assert not (out / MARKER).exists()
    assert (tmp_path / "elsewhere").read_text() == "x" if kind == "symlink" else True


def test_a_symlinked_folder_is_never_written_through(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "apps").symlink_to(elsewhere)
    with pytest.raises(InputError, match="where the render needs a folder"):
        write_tree(tree(apps__a="1"), out, META, force=True)
    assert list(elsewhere.iterdir()) == []


def test_a_stale_file_behind_a_symlinked_folder_is_not_deleted(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(tree(apps__a="1", keep="k"), out, META)
    elsewhere = tmp_path / "elsewhere"
    (out / "apps").rename(elsewhere)
    (out / "apps").symlink_to(elsewhere)
    write_tree(tree(keep="k"), out, META)
    assert (elsewhere / "a").read_text() == "1\n"


def test_a_marker_listing_paths_through_a_planted_symlink_removes_nothing_there(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    write_tree(tree(a="1"), out, META)
    (out / ".git" / "refs" / "tags").mkdir(parents=True)
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    outside = tmp_path / "outside"
    (outside / "empty").mkdir(parents=True)
    (outside / "file").write_text("theirs\n")
    (out / "g").symlink_to(".git")
    (out / "o").symlink_to(outside)
    listed = ["a", "g/refs/tags/x", "g/HEAD", "o/empty/x", "o/file"]
    (out / MARKER).write_text(json.dumps({"format": 2, "files": dict.fromkeys(listed, "0" * 64)}))
    write_tree(tree(a="1"), out, META)
    assert (out / ".git" / "refs" / "tags").is_dir()
    assert (out / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert (outside / "empty").is_dir()
    assert (outside / "file").read_text() == "theirs\n"
    assert (out / "g").is_symlink() and (out / "o").is_symlink()


@pytest.mark.parametrize(
    "files",
    [{"../../outside": "0" * 64}, {".git/config": "0" * 64}, {"overrides/x": "0" * 64}],
    ids=["escape", "git", "overrides"],
)
def test_a_tampered_marker_is_refused_before_anything_is_touched(
    tmp_path: Path, files: dict[str, str]
) -> None:
    out = tmp_path / "out"
    write_tree(tree(a="1"), out, META)
    (out / MARKER).write_text(json.dumps({"format": 2, "files": files}))
    with pytest.raises(InputError, match=r"can never be a rendered file|not a path inside"):
        write_tree(tree(b="1"), out, META)
    assert (out / "a").exists()


@pytest.mark.parametrize("name", [MARKER, JOURNAL])
def test_a_symlinked_marker_or_journal_is_refused_before_anything_is_written(
    tmp_path: Path, name: str
) -> None:
    out = tmp_path / "out"
    write_tree(tree(a="1", keep="k"), out, META)
    elsewhere = tmp_path / "elsewhere"
    listed = {"format": 2, "files": {"a": "0" * 64, "keep": "0" * 64}}
    if name == JOURNAL:
        listed = {"format": 2, "files": ["a", "keep"]}
    elsewhere.write_text(json.dumps(listed))
    if name == MARKER:
        (out / MARKER).unlink()
    (out / name).symlink_to(elsewhere)
    with pytest.raises(InputError, match="must be a regular file"):
        write_tree(tree(b="2"), out, META)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [MARKER, "a", "keep"] + ([JOURNAL] if name == JOURNAL else [])
    )
    assert (out / name).is_symlink() and (out / "keep").read_text() == "k\n"


def test_a_marker_over_8_mib_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(tree(a="1"), out, META)
    padded = (out / MARKER).read_text().replace("{", "{" + " " * (9 * 1024 * 1024), 1)
    (out / MARKER).write_text(padded)
    with pytest.raises(InputError, match=r"over 8388608 bytes"):
        write_tree(tree(a="1"), out, META)


@pytest.mark.parametrize(
    "text",
    ["{", "[]", '{"format": 2, "files": []}', '{"platform": 3}', '{"kubernetesVersion": "9" }'],
)
def test_a_garbled_marker_is_a_clear_input_error(tmp_path: Path, text: str) -> None:
    (tmp_path / MARKER).write_text(text)
    with pytest.raises(InputError) as raised:
        read_marker(tmp_path)
    assert str(tmp_path / MARKER) in str(raised.value)


def test_a_marker_of_an_earlier_version_adopts_only_the_files_it_would_overwrite(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / MARKER).write_text('{"platform": "p", "path": "."}\n')
    (out / "apps").mkdir()
    (out / "apps" / "a").write_text("old\n")
    (out / "mine.txt").write_text("mine\n")
    report = write_tree(tree(apps__a="new"), out, META)
    assert (out / "apps" / "a").read_text() == "new\n"
    assert report.unknown == ("mine.txt",)


def test_leftovers_of_killed_renders_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(tree(apps__a="1"), out, META)
    (out / "apps" / ".a.stackyard-tmp-x1y2").write_text("half")
    (tmp_path / ".out.stackyard-new-abc").mkdir()
    (tmp_path / ".out.stackyard-old-def" / "tree").mkdir(parents=True)
    report = write_tree(tree(apps__a="1"), out, META)
    assert len(report.cleaned) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert sorted(p.name for p in (out / "apps").iterdir()) == ["a"]


def test_a_journal_makes_the_killed_renders_files_stackyards(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(tree(a="1"), out, META)
    killed = "written by a render that was killed\n"
    (out / "half-done").write_text(killed)
    files = {"a": sha256_text("1\n"), "half-done": sha256_text(killed)}
    (out / JOURNAL).write_text(json.dumps({"format": 2, "files": files}))
    report = write_tree(tree(a="1"), out, META)
    assert report.deleted == ("half-done",)
    assert not (out / JOURNAL).exists()


class _Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, no clean-up."""


def test_a_killed_force_render_never_makes_a_file_it_did_not_reach_stackyards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_tree(tree(a="1"), out, META)
    (out / "zz-team.md").write_text("the team's own file\n")
    real_write = render_write.write_text

    def killed_after_the_journal(path: Path, text: str, **options: object) -> None:
        real_write(path, text, **options)  # type: ignore[arg-type]
        if path.name == JOURNAL:
            raise _Killed

    monkeypatch.setattr(render_write, "write_text", killed_after_the_journal)
    with pytest.raises(_Killed):
        write_tree(tree(a="1", **{"zz-team.md": "rendered"}), out, META, force=True)
    monkeypatch.undo()
    assert (out / JOURNAL).exists()
    report = write_tree(tree(b="2"), out, META)  # another spec
    assert (out / "zz-team.md").read_text() == "the team's own file\n"
    assert report.unknown == ("zz-team.md",)
    assert report.deleted == ("a",)


def test_check_reports_changed_missing_and_stale_files_and_ignores_unknown_ones(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    write_tree(tree(a="1", b="1", c="1"), out, META)
    (out / "mine").write_text("unknown files are not differences\n")
    (out / LOCK).write_text("")
    assert check_tree(tree(a="1", b="1", c="1"), out, META) == []
    (out / "a").write_text("edited\n")
    (out / "b").unlink()
    found = {(d.path, d.reason) for d in check_tree(tree(a="1", b="1"), out, META)}
    assert found == {("a", "changed"), ("b", "missing"), ("c", "stale"), (MARKER, "changed")}


def test_a_second_writer_waits_for_the_lock_then_proceeds(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    waited = threading.Event()
    with exclusive_lock(out / LOCK, timeout=1, busy="busy"):
        worker = threading.Thread(
            target=write_tree, args=(tree(a="1"), out, META), kwargs={"on_wait": waited.set}
        )
        worker.start()
        assert waited.wait(5)
        time.sleep(0.2)
        assert not (out / "a").exists()  # still waiting
    worker.join(10)
    assert (out / "a").read_text() == "1\n"


def test_a_lock_held_too_long_is_a_clear_error(tmp_path: Path) -> None:
    with (
        exclusive_lock(tmp_path / LOCK, timeout=1, busy="busy"),
        pytest.raises(InputError, match="another holder"),
        exclusive_lock(tmp_path / LOCK, timeout=0.2, busy="another holder"),
    ):
        pass


def test_renderers_cannot_write_into_overrides(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="belongs to the user"):
        write_tree(tree(overrides__x="1"), tmp_path / "out", META)
    assert not (tmp_path / "out").exists()


def test_check_waits_for_a_render_in_progress_and_creates_no_lock(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(tree(a="1"), out, META)
    assert check_tree(tree(a="1"), out, META) == []
    assert not (out / LOCK).exists()  # a check never creates the lock file
    waited = threading.Event()
    found: list[object] = []
    with exclusive_lock(out / LOCK, timeout=1, busy="busy"):
        checker = threading.Thread(
            target=lambda: found.append(check_tree(tree(a="1"), out, META, on_wait=waited.set))
        )
        checker.start()
        assert waited.wait(5)
        assert found == []  # still waiting while the render holds the lock
    checker.join(10)
    assert found == [[]]
