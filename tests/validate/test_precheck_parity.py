"""Validate finds exactly the same with and without the compiled pre-check.

Both paths run over rendered examples, then over the same trees with faults planted in
their documents: values of the wrong type, unknown and missing fields, and characters
that Python's and ECMA 262's regular expressions read differently (a "\\x1c", a byte
order mark, Arabic digits, line ends). Every finding (check, file, line, field, message)
must be the same; the pre-check must have answered "valid" for most documents of the
rendered trees, or the comparison would prove nothing.

The examples' custom resources have no field whose pattern the two dialects read
differently; ``test_precheck.py`` pins those on the real schemas that have them.
"""

from __future__ import annotations

import random
import shutil
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackyard.validate import chartkeys, crdschemas, kube, precheck
from stackyard.validate.run import ValidationReport, validate_directory
from tests.conftest import EXAMPLES, render_example, with_example_apis

_EXAMPLES = ["community-poc", "aws-enterprise"]


def _clear() -> None:
    kube._known_validator.cache_clear()
    crdschemas._validator.cache_clear()
    chartkeys._values_validator.cache_clear()
    chartkeys._SCHEMA_PROBLEMS.clear()


@contextmanager
def _precheck(enabled: bool, answers: Counter[bool]) -> Iterator[None]:
    """The schema checks built with the pre-check (or without: it never answers valid),
    each of its answers counted."""
    real = precheck.compiled_check

    def counted(*args: Any, **kwargs: Any) -> precheck.Check:
        check = real(*args, **kwargs) if enabled else precheck._never

        def answer(instance: Any) -> bool:
            valid = check(instance)
            answers[valid] += 1
            return valid

        return answer

    with pytest.MonkeyPatch.context() as patch:
        for module in (kube, crdschemas, chartkeys):
            patch.setattr(module, "compiled_check", counted)
        _clear()
        try:
            yield
        finally:
            _clear()


def _both(root: Path) -> tuple[ValidationReport, ValidationReport, Counter[bool]]:
    answers: Counter[bool] = Counter()
    with _precheck(True, answers):
        fast = validate_directory(root)
    with _precheck(False, Counter()):
        slow = validate_directory(root)
    return fast, slow, answers


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    trees = {}
    for name in _EXAMPLES:
        folder = tmp_path_factory.mktemp(name)
        spec = with_example_apis(folder / f"{name}.yaml")
        shutil.copy(EXAMPLES / f"{name}.yaml", spec)
        render_example(spec, folder / "tree")
        trees[name] = folder / "tree"
    return trees


@pytest.mark.parametrize("name", _EXAMPLES)
def test_a_rendered_example_is_judged_alike(rendered: dict[str, Path], name: str) -> None:
    fast, slow, answers = _both(rendered[name])
    assert fast == slow
    assert fast.checked > 50
    # Most documents are valid and were not checked again by jsonschema.
    assert answers[True] > 0.8 * sum(answers.values()), answers


# -- Planted faults --------------------------------------------------------------------

_ODD_STRINGS = [
    lambda text: text[:1] + "\x1c" + text[1:],
    lambda text: text + "\ufeff",
    lambda text: "".join("\u0661" if ch.isdigit() else ch for ch in text) or "\u0661",
    lambda text: text + "\n",
    lambda text: text[:1] + "\r" + text[1:],
    lambda text: text + "\u00e9",
]


def _places(node: Any, keep: tuple[str, ...] = ()) -> Iterator[tuple[Any, Any]]:
    """(container, key) of every value below ``node``, but apiVersion, kind and name."""
    if isinstance(node, dict):
        for key, value in node.items():
            if (*keep, key) in (("apiVersion",), ("kind",), ("metadata", "name")):
                continue
            yield node, key
            yield from _places(value, (*keep, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield node, index
            yield from _places(value, (*keep, index))


def _plant(document: dict[str, Any], rng: random.Random) -> None:
    places = list(_places(document))
    for container, key in rng.sample(places, min(3, len(places))):
        if isinstance(container, dict) and key not in container:
            continue  # deleted by an earlier fault of this document
        value = container[key]
        if isinstance(value, str):
            container[key] = rng.choice([*_ODD_STRINGS, lambda _: 7])(value)
        elif isinstance(value, bool):
            container[key] = "true"
        elif isinstance(value, int | float):
            container[key] = rng.choice([0.07, str(value), -1, 2**70])
        elif isinstance(value, dict):
            if value and rng.random() < 0.5:
                del value[rng.choice(sorted(value))]
            else:
                value["zzPlanted"] = "x"
        elif isinstance(value, list):
            container[key] = {"planted": value[:1]}


def _with_faults(tree: Path, into: Path, seed: int) -> int:
    shutil.copytree(tree, into)
    rng = random.Random(seed)
    planted = 0
    for path in sorted(into.rglob("*.yaml")):
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        changed = False
        for document in documents:
            if isinstance(document, dict) and rng.random() < 0.5:
                _plant(document, rng)
                planted += 1
                changed = True
        if changed:
            path.write_text(yaml.safe_dump_all(documents, sort_keys=False), encoding="utf-8")
    return planted


@pytest.mark.parametrize(("name", "seed"), [("community-poc", 1), ("aws-enterprise", 2)])
def test_planted_faults_are_judged_alike(
    rendered: dict[str, Path], tmp_path: Path, name: str, seed: int
) -> None:
    planted = _with_faults(rendered[name], tmp_path / "tree", seed)
    assert planted > 20
    fast, slow, answers = _both(tmp_path / "tree")
    assert fast.findings == slow.findings
    assert fast == slow
    schema_errors = [f for f in fast.errors if f.check in ("schema", "crd", "values")]
    assert len(schema_errors) > 20, Counter(f.check for f in fast.errors)
    assert answers[False] > 20 and answers[True] > 20, answers


# -- One odd string at a time, in every string field of every custom resource ----------

_ODD = ["\ufeff", "\x1c", "\u0661", "\n"]


def _strings(node: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, (*at, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, (*at, index))
    elif isinstance(node, str) and at[:1] not in (("apiVersion",), ("kind",)):
        yield at


def _changed(document: Any, at: tuple[Any, ...], odd: str, where: int) -> Any:
    if not at:
        return document[:where] + odd + document[where:]
    copy = dict(document) if isinstance(document, dict) else list(document)
    copy[at[0]] = _changed(document[at[0]], at[1:], odd, where)
    return copy


@pytest.mark.parametrize("name", _EXAMPLES)
def test_one_odd_character_in_any_custom_resource_field_is_judged_alike(
    rendered: dict[str, Path], name: str
) -> None:
    """Each field once per kind (its path without list indexes), the odd character at the
    start, in the middle and at the end of its value: wherever jsonschema refuses the
    changed resource, the pre-check does not call it valid."""
    seen: set[tuple[Any, ...]] = set()
    compared = refused = 0
    for path in sorted(rendered[name].rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if not isinstance(document, dict):
                continue
            crd = crdschemas.find_crd(str(document.get("apiVersion")), str(document.get("kind")))
            if crd is None:
                continue
            validator, check = crdschemas._validator(crdschemas._file(crd, "standard"))
            for at in _strings(document):
                field = (crd.file, *(part for part in at if isinstance(part, str)))
                if field in seen:
                    continue
                seen.add(field)
                length = len(_value(document, at))
                for odd in _ODD:
                    for where in sorted({0, length // 2, length}):
                        changed = _changed(document, at, odd, where)
                        valid = validator.is_valid(changed)
                        assert valid or not check(changed), (path.name, at, odd, where)
                        compared += 1
                        refused += not valid
    assert compared > 500 and refused > 20, (compared, refused)


def _value(document: Any, at: tuple[Any, ...]) -> Any:
    for part in at:
        document = document[part]
    return document
