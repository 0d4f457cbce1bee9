"""The node cap holds before composing: a huge flat document is refused at once, at its line.

libyaml composes a ``[{},{},…]`` of a million items in seconds and hundreds of
megabytes before the builder could count a node; the pure-Python composer, used for a
stream that defines an anchor twice, takes longer still. Each refusal here must come
from the count on the parser's events, before any composer is handed the document,
while documents at the cap still load.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest
import yaml

from stackyard.errors import HostileYamlError
from stackyard.yamlio import load_yaml_documents, load_yaml_text, read_yaml_file
from stackyard.yamlio.loader import _NODE_MARKS, _NODES_PER_MARK, MAX_NODES

ITEMS = 1_300_000  # a file of about 3.9 MB, under the byte cap; composing it takes seconds


def _flat_list(items: int) -> str:
    return "[" + ",".join(["{}"] * items) + "]\n"


NODE_EVENTS = (yaml.ScalarEvent, yaml.AliasEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)
HUGE = {
    "flat list": lambda: _flat_list(ITEMS),
    "flat list after a redefined anchor": lambda: "a: &x 1\nb: &x 2\nc: " + _flat_list(ITEMS),
}


@pytest.mark.parametrize("make", HUGE.values(), ids=HUGE.keys())
def test_a_huge_flat_document_is_refused_before_composing(
    tmp_path: Path, make: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "wide.yaml"
    path.write_text(make(), encoding="utf-8")

    def composing(stream: object, Loader: object) -> NoReturn:  # noqa: N803 - PyYAML's name
        raise AssertionError("the huge document reached the YAML composer")

    monkeypatch.setattr(yaml, "compose_all", composing)
    with pytest.raises(HostileYamlError, match=f"document has over {MAX_NODES} nodes") as info:
        read_yaml_file(path)
    location = info.value.problems[0].location
    assert location.file == str(path)
    assert location.line == path.read_text(encoding="utf-8").count("\n")  # the list's line
    assert location.column > 1


def test_a_block_list_at_the_cap_loads_and_one_more_item_is_refused_at_its_line() -> None:
    at_cap = "- {}\n" * (MAX_NODES - 1)  # the items and the list itself: MAX_NODES nodes
    assert len(load_yaml_text(at_cap, "ok.yaml").data) == MAX_NODES - 1
    with pytest.raises(HostileYamlError, match="over") as info:
        load_yaml_text(at_cap + "- {}\n", "wide.yaml")
    location = info.value.problems[0].location
    assert (location.file, location.line, location.column) == ("wide.yaml", MAX_NODES, 3)


def test_a_redefined_anchor_with_a_list_at_the_cap_loads() -> None:
    # The fallback composer's path: the stream is refused by libyaml, composed again.
    header = "a: &x 1\nb: &x 2\nc:\n"  # root, three keys, two values: 6 nodes, and the list
    text = header + "- {}\n" * (MAX_NODES - 7)
    assert len(load_yaml_text(text, "ok.yaml").data["c"]) == MAX_NODES - 7
    with pytest.raises(HostileYamlError, match="over"):
        load_yaml_text(text + "- {}\n", "wide.yaml")


def test_merge_keys_and_merged_lists_do_not_count_as_written_nodes() -> None:
    # Per item the builder counts the mapping, one merge and a key and its value (4);
    # the event stream also holds the ``<<`` and the list of merged mappings (6).
    items = MAX_NODES // 6 + 1_000  # 4 per item is under the cap, 6 per item over it
    text = "e: &e {}\nitems:\n" + "- {<<: [*e], k: v}\n" * items
    assert len(load_yaml_text(text, "merges.yaml").data["items"]) == items


def test_the_cap_is_per_document() -> None:
    items = MAX_NODES * 3 // 5  # each under the cap, both over it
    part = "- 1\n" * items
    documents = load_yaml_documents(part + "---\n" + part, "two.yaml")
    assert [len(d.data) for d in documents] == [items, items]


@pytest.mark.parametrize(
    "text",
    ["{a}", "[a: b]", "[? a]", "? a", "- ? - a", "{a, b: , ? c}", "[a: ]", "a\n...\n--- b\n", "&a"],
)
def test_the_cheap_bound_covers_every_node(text: str) -> None:
    # What the pre-check relies on: no more nodes than three per counted character, plus one.
    events = yaml.parse(text, Loader=yaml.CSafeLoader)
    nodes = sum(isinstance(event, NODE_EVENTS) for event in events)
    marks = sum(text.count(mark) for mark in _NODE_MARKS)
    assert nodes <= marks * _NODES_PER_MARK + 1


def test_an_alias_bomb_crossing_the_cap_at_a_string_value_is_hostile() -> None:
    # Root, m, {k: v} (3 nodes), l and its list: 7 nodes; then 3 per alias. The last
    # alias's mapping is node 200,000, its key 200,001: the cap is crossed at its value,
    # a plain string the builder reads inline.
    aliases = (MAX_NODES - 8) // 3 + 1
    text = "m: &m {k: v}\nl: [" + ", ".join(["*m"] * aliases) + "]\n"
    with pytest.raises(HostileYamlError, match="alias bomb") as info:
        load_yaml_text(text, "bomb.yaml")
    assert info.value.problems[0].location.line == 1
