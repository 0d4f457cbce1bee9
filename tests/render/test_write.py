"""Writing is atomic, keeps the user's overrides/, and never escapes the output."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.render.tree import RenderedTree, RenderError, safe_relative_path
from stackyard.render.write import MARKER, write_tree


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


def test_write_creates_the_tree_with_a_marker(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(tree(apps__x="x: 1"), out, '{"platform": "p"}\n')
    assert (out / "apps" / "x").read_text() == "x: 1\n"
    assert (out / MARKER).read_text() == '{"platform": "p"}\n'


def test_rewrite_replaces_old_files_and_keeps_overrides(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(tree(apps__old="1", apps__kept="1"), out)
    user = out / "overrides" / "values" / "common" / "cilium.yaml"
    user.parent.mkdir(parents=True)
    user.write_text("mine: true\n")
    write_tree(tree(apps__kept="2", apps__new="3"), out)
    assert not (out / "apps" / "old").exists()
    assert (out / "apps" / "kept").read_text() == "2\n"
    assert user.read_text() == "mine: true\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging left behind


def test_a_failed_write_leaves_the_previous_output_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_tree(tree(apps__a="old"), out)
    original = Path.write_text
    calls = {"n": 0}

    def failing_write(self: Path, text: str, **kwargs: object) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return original(self, text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", failing_write)
    with pytest.raises(OSError, match="disk full"):
        write_tree(tree(apps__a="new", apps__b="new"), out)
    monkeypatch.undo()
    assert (out / "apps" / "a").read_text() == "old\n"
    assert not (out / "apps" / "b").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_unrelated_directory_is_never_replaced(tmp_path: Path) -> None:
    out = tmp_path / "home"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    with pytest.raises(RenderError, match="not written by stackyard"):
        write_tree(tree(a="1"), out)
    assert (out / "thesis.tex").read_text() == "precious"


def test_renderers_cannot_write_into_overrides(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="belongs to the user"):
        write_tree(tree(overrides__x="1"), tmp_path / "out")
    assert not (tmp_path / "out").exists()
