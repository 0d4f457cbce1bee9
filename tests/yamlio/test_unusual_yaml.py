"""Valid but unusual YAML is read as Kubernetes tools read it; invalid values are located."""

from __future__ import annotations

from typing import NoReturn

import pytest

from stackyard.errors import HostileYamlError, YamlError
from stackyard.yamlio import iter_yaml_documents, load_yaml_text, loader
from stackyard.yamlio.loader import MAX_NODES, MAX_NUMBER_CHARS


def test_the_value_indicator_is_a_plain_string() -> None:
    # Alertmanager's inhibit rules and receivers use ``matchType: =``.
    text = "matchers:\n  - name: severity\n    matchType: =\n    value: critical\n"
    doc = load_yaml_text(text, "alertmanager.yaml")
    assert doc.data["matchers"][0]["matchType"] == "="


def test_a_merge_indicator_as_a_value_is_a_plain_string() -> None:
    assert load_yaml_text("shift: <<\nlist: [<<]\n", "x.yaml").data == {
        "shift": "<<",
        "list": ["<<"],
    }


def test_a_redefined_anchor_is_legal_and_the_later_definition_wins() -> None:
    text = "a: &x 1\nb: *x\nc: &x {k: 2}\nd: *x\n"
    doc = load_yaml_text(text, "anchors.yaml")
    assert doc.data == {"a": 1, "b": 1, "c": {"k": 2}, "d": {"k": 2}}
    assert doc.locate(("d", "k")).line == 3


def test_a_redefined_anchor_in_a_later_document_keeps_every_document_once() -> None:
    text = "a: &x 1\n---\nb: &y 1\nc: &y 2\nd: *y\n---\ne: *missing\n"
    documents = []
    with pytest.raises(YamlError, match="undefined alias") as info:
        for document in iter_yaml_documents(text, "stream.yaml"):
            documents.append(document.data)
    assert documents == [{"a": 1}, {"b": 1, "c": 2, "d": 2}]
    assert info.value.problems[0].location.line == 7


def test_bombs_through_redefined_anchors_are_still_refused() -> None:
    # Two anchor names, each redefined in turn from the other: ten times more per level.
    lines = ["l0: &x [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for level in range(1, 10):
        this, other = ("y", "x") if level % 2 else ("x", "y")
        lines.append(f"l{level}: &{this} [" + ", ".join([f"*{other}"] * 10) + "]")
    with pytest.raises(HostileYamlError, match="alias bomb"):
        load_yaml_text("\n".join(lines) + "\n", "bomb.yaml")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("2024-02-30", "day is out of range"),
        ("9999-99-99", "month must be in 1..12"),
        ("2024-01-01T25:00:00Z", "hour must be in 0..23"),
    ],
)
def test_a_date_that_does_not_exist_is_a_located_error(value: str, words: str) -> None:
    with pytest.raises(YamlError) as info:
        load_yaml_text(f"name: x\nexpires: {value}\n", "dates.yaml")
    problem = info.value.problems[0]
    assert not isinstance(info.value, HostileYamlError)
    assert (problem.location.line, problem.location.column) == (2, 10)
    assert "bad timestamp value" in problem.message and words in problem.message


def test_a_quoted_impossible_date_is_just_a_string() -> None:
    assert load_yaml_text('expires: "2024-02-30"\n', "x.yaml").data == {"expires": "2024-02-30"}


def test_a_number_over_the_digit_limit_is_a_located_error() -> None:
    with pytest.raises(YamlError) as info:
        load_yaml_text("a: 1\nreplicas: " + "9" * 5_000 + "\n", "big.yaml")
    problem = info.value.problems[0]
    assert (problem.location.line, problem.location.column) == (2, 11)
    assert problem.message == f"bad int value: over {MAX_NUMBER_CHARS} characters"


def test_a_long_integer_under_the_limit_loads() -> None:
    # Range checks are the spec's business; the loader keeps what YAML says.
    assert load_yaml_text("a: " + "1" * 400 + "\n", "x.yaml").data["a"] == int("1" * 400)


def test_a_long_sexagesimal_number_is_refused_before_it_is_converted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # YAML 1.1 base-60 integers convert in quadratic time: 1.2 MB would take seconds. The
    # length is checked first, so the int constructor is never called on it.
    def converting(node: object) -> NoReturn:
        raise AssertionError("the long number reached the int constructor")

    monkeypatch.setitem(loader._SCALAR_CONSTRUCTORS, "tag:yaml.org,2002:int", converting)
    with pytest.raises(YamlError, match=f"bad int value: over {MAX_NUMBER_CHARS} characters"):
        load_yaml_text("a: 1" + ":00" * 400_000 + "\n", "sexagesimal.yaml")


def test_a_bad_key_value_is_located_too() -> None:
    with pytest.raises(YamlError) as info:
        load_yaml_text("ok: 1\n2024-13-01: x\n", "keys.yaml")
    assert info.value.problems[0].location.line == 2


def test_a_merge_bomb_of_empty_mappings_is_refused_within_the_node_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = ["a0: &a0 {}"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} {{<<: [{', '.join([f'*a{i - 1}'] * 10)}]}}")
    text = "\n".join(lines) + "\n"
    assert len(text) < 1_300
    # Unchecked, it merges 10**9 mappings; the builder stops once it has counted
    # MAX_NODES nodes, every merge one of them.
    merges = 0
    merge_sources = loader._Builder._merge_sources

    def counted(self: loader._Builder, node: object, depth: int) -> object:
        nonlocal merges
        merges += 1
        return merge_sources(self, node, depth)  # type: ignore[arg-type]

    monkeypatch.setattr(loader._Builder, "_merge_sources", counted)
    with pytest.raises(HostileYamlError, match="merge bomb"):
        load_yaml_text(text, "merge-bomb.yaml")
    assert 0 < merges <= MAX_NODES


def test_a_self_merging_mapping_is_refused() -> None:
    with pytest.raises(HostileYamlError, match="nesting deeper"):
        load_yaml_text("a: &a {x: 1, <<: *a}\n", "loop.yaml")


def test_honest_merges_still_work() -> None:
    text = "base: &b {x: 1, y: 2}\nmore: &m {z: 3}\nuse: {<<: [*b, *m], y: 9}\n"
    assert load_yaml_text(text, "merge.yaml").data["use"] == {"x": 1, "y": 9, "z": 3}


@pytest.mark.parametrize(
    "text",
    [
        "a: b: c\n",  # libyaml says "mapping values are not allowed here"
        "a: [1, 2\nb: 3\n",
        "- a\nb: 1\n",
        "key: 'unterminated\n",
    ],
)
def test_a_syntax_error_is_not_called_hostile(text: str) -> None:
    with pytest.raises(YamlError) as info:
        load_yaml_text(text, "broken.yaml")
    assert not isinstance(info.value, HostileYamlError)
    assert info.value.problems[0].message.startswith("invalid YAML:")


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['true']\n",
        "a: !custom x\n",
    ],
)
def test_foreign_tags_are_hostile(text: str) -> None:
    with pytest.raises(HostileYamlError, match="not allowed"):
        load_yaml_text(text, "tags.yaml")
