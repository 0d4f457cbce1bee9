"""Positions: every key and value keeps its line, column and (with spans) last line."""

from __future__ import annotations

import pickle

import pytest

from stackyard.errors import YamlError
from stackyard.yamlio import iter_yaml_documents, load_yaml_text
from stackyard.yamlio.loader import LocatedDocument

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx:1.27
          args:
            - --port=80
          command: |
            run
            forever
        - name: sidecar
          image: envoy
"""


def spanned(text: str) -> LocatedDocument:
    (document,) = iter_yaml_documents(text, "x.yaml", spans=True)
    return document


def test_a_block_spans_from_its_key_to_its_last_line() -> None:
    doc = spanned(MANIFEST)
    assert doc.span(("spec", "template", "spec", "containers", 0)) == (9, 15)
    assert doc.span(("spec", "template", "spec", "containers", 0, "command")) == (13, 15)
    assert doc.span(("spec", "template", "spec", "containers", 1, "image")) == (17, 17)
    assert doc.span(("metadata",)) == (3, 4)
    assert doc.span(()) == (1, 17)


def test_without_spans_a_span_is_its_first_line() -> None:
    doc = load_yaml_text(MANIFEST, "x.yaml")
    assert doc.span(("spec", "template", "spec", "containers", 0)) == (9, 9)


def test_a_missing_path_spans_only_the_line_of_its_nearest_ancestor() -> None:
    doc = spanned(MANIFEST)
    assert doc.span(("metadata", "labels")) == (4, 4)  # where the metadata mapping starts
    assert doc.span(("spec", "template", "spec", "containers", 7, "image")) == (9, 9)
    assert doc.locate(("kind", "deeper")).line == 2


def test_list_items_and_keys_locate_where_they_are_written() -> None:
    doc = spanned(MANIFEST)
    item = ("spec", "template", "spec", "containers", 0, "args", 0)
    assert (doc.locate(item).line, doc.locate(item).column) == (12, 15)
    image = ("spec", "template", "spec", "containers", 1, "image")
    assert (doc.locate(image, key=True).line, doc.locate(image, key=True).column) == (17, 11)


def test_merged_keys_point_at_their_source_and_explicit_keys_win() -> None:
    doc = load_yaml_text(
        "base: &b\n  x: 1\n  y: 2\nuse:\n  <<: *b\n  y: 3\n",
        "merge.yaml",
    )
    assert doc.data["use"] == {"x": 1, "y": 3}
    assert doc.locate(("use", "x")).line == 2
    assert doc.locate(("use", "y")).line == 6


def test_merge_sources_in_a_list_fill_in_order() -> None:
    doc = load_yaml_text(
        "a: &a {k: 1}\nb: &b {k: 2, m: 3}\nuse:\n  <<: [*a, *b]\n",
        "merge.yaml",
    )
    assert doc.data["use"] == {"k": 1, "m": 3}
    assert doc.locate(("use", "k")).line == 1
    assert doc.locate(("use", "m")).line == 2


def test_a_duplicate_key_names_the_line_of_the_one_before() -> None:
    text = "a: 1\nb: 2\na: 3\na: 4\n"
    with pytest.raises(YamlError, match=r"duplicate key 'a' \(first defined on line 1\)"):
        load_yaml_text(text, "dup.yaml")
    (doc,) = iter_yaml_documents(text, "dup.yaml", duplicates="keep-last")
    assert doc.data == {"a": 4, "b": 2}
    assert [w.message for w in doc.warnings] == [
        "duplicate key 'a' (first defined on line 1)",
        "duplicate key 'a' (first defined on line 3)",
    ]
    assert doc.locate(("a",), key=True).line == 4


def test_shifted_moves_every_position_into_the_outer_file() -> None:
    doc = spanned("a:\n  b: 1\n").shifted(10, 4)
    assert (doc.locate(("a", "b")).line, doc.locate(("a", "b")).column) == (12, 10)
    assert (doc.locate(("a",), key=True).line, doc.locate(("a",), key=True).column) == (11, 5)
    assert doc.span(("a",)) == (11, 12)
    assert doc.start_line == 11


def test_pinned_puts_every_position_on_one_line() -> None:
    doc = spanned("a:\n  b: 1\nc: [1, 2]\n").pinned(7)
    assert {doc.locate(p).line for p in [("a",), ("a", "b"), ("c", 1), ()]} == {7}
    assert doc.span(("a",)) == (7, 7)


def test_an_empty_document_locates_at_its_start_line() -> None:
    doc = load_yaml_text("", "empty.yaml")
    assert doc.data is None
    assert doc.locate(("anything",)).line == 1


def test_documents_survive_pickling_with_positions_and_shared_keys() -> None:
    doc = spanned(MANIFEST)
    copy = pickle.loads(pickle.dumps(doc))
    path = ("spec", "template", "spec", "containers", 0, "command")
    assert copy.data == doc.data
    assert copy.span(path) == doc.span(path)
    assert copy.locate(path, key=True) == doc.locate(path, key=True)
