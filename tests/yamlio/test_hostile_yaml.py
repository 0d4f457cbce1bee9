"""The loader refuses hostile YAML with a located message, and keeps positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.errors import YamlError
from stackyard.yamlio import load_yaml_documents, load_yaml_text, read_yaml_file
from stackyard.yamlio.loader import MAX_NODES


def billion_laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_quickly() -> None:
    with pytest.raises(YamlError, match="alias bomb") as info:
        load_yaml_text(billion_laughs(), "bomb.yaml")
    assert info.value.problems[0].location.file == "bomb.yaml"
    assert info.value.problems[0].location.line >= 1


def test_small_aliases_still_work() -> None:
    doc = load_yaml_text("base: &b {cpu: 1}\nother: *b\n", "ok.yaml")
    assert doc.data == {"base": {"cpu": 1}, "other": {"cpu": 1}}


def test_self_referencing_alias_is_refused() -> None:
    with pytest.raises(YamlError, match="nesting deeper"):
        load_yaml_text("a: &a [*a]\n", "loop.yaml")


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['true']\n",
        "a: !!python/name:os.system\n",
        "a: !custom value\n",
        "a: !!set {x}\n",
    ],
)
def test_unsafe_or_custom_tags_are_refused(text: str) -> None:
    with pytest.raises(YamlError, match="not allowed") as info:
        load_yaml_text(text, "tags.yaml")
    assert info.value.problems[0].location.line == 1
    assert info.value.problems[0].location.column == 4


def test_duplicate_keys_are_refused_with_both_lines() -> None:
    with pytest.raises(YamlError) as info:
        load_yaml_text("name: a\nedition: standard\nname: b\n", "dup.yaml")
    problem = info.value.problems[0]
    assert problem.location.line == 3
    assert "duplicate key 'name'" in problem.message
    assert "line 1" in problem.message


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"a: " + b"x" * 2048 + b"\n")
    with pytest.raises(YamlError, match="over 1024 bytes"):
        read_yaml_file(path, max_bytes=1024)


def test_deep_nesting_is_refused() -> None:
    text = "a: " + "[" * 200 + "]" * 200 + "\n"
    with pytest.raises(YamlError, match="nesting deeper"):
        load_yaml_text(text, "deep.yaml")


def test_wide_but_honest_document_under_the_node_cap_loads() -> None:
    items = MAX_NODES // 4
    doc = load_yaml_text("[" + ",".join("1" for _ in range(items)) + "]", "wide.yaml")
    assert len(doc.data) == items


def test_syntax_error_names_line_and_column() -> None:
    with pytest.raises(YamlError) as info:
        load_yaml_text("a: [1, 2\nb: 3\n", "broken.yaml")
    location = info.value.problems[0].location
    assert location.file == "broken.yaml"
    assert location.line == 2


def test_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(YamlError, match="not valid UTF-8") as info:
        read_yaml_file(path)
    assert info.value.problems[0].location.line == 2


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(YamlError, match="cannot read file"):
        read_yaml_file(tmp_path / "nope.yaml")


def test_positions_of_keys_and_values_are_recorded() -> None:
    doc = load_yaml_text("top:\n  inner:\n    - name: x\n      role: app\n", "pos.yaml")
    value = doc.locate(("top", "inner", 0, "role"))
    key = doc.locate(("top", "inner", 0, "role"), key=True)
    assert (value.line, value.column) == (4, 13)
    assert (key.line, key.column) == (4, 7)


def test_locate_falls_back_to_nearest_ancestor() -> None:
    doc = load_yaml_text("top:\n  inner: {}\n", "pos.yaml")
    assert doc.locate(("top", "inner", "missing")).line == 2


def test_merge_keys_fill_but_do_not_override() -> None:
    doc = load_yaml_text("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n", "merge.yaml")
    assert doc.data["use"] == {"x": 1, "y": 3}


def test_several_documents_keep_their_own_start_lines() -> None:
    docs = load_yaml_documents("a: 1\n---\nb: 2\n---\nc: 3\n", "multi.yaml")
    assert [d.data for d in docs] == [{"a": 1}, {"b": 2}, {"c": 3}]
    assert [d.start_line for d in docs] == [1, 3, 5]


def test_one_document_expected_where_one_is_required() -> None:
    with pytest.raises(YamlError, match="expected one YAML document"):
        load_yaml_text("a: 1\n---\nb: 2\n", "two.yaml")
