"""The compiled pre-check agrees with jsonschema on real schemas, valid and broken objects."""

from __future__ import annotations

import copy
import datetime
import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import jsonschema_rs
import pytest

from stackyard.validate import chartkeys, crdschemas, kube, precheck

_DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}
                ]
            },
        },
    },
}


def _broken(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Wrong types, unknown fields, missing required, int-or-string misuse, enum misses."""
    cases = []
    for path, value in [
        (("spec", "replicas"), "two"),
        (("spec", "replicas"), True),
        (("spec", "zzUnknown"), 1),
        (("spec", "strategy", "rollingUpdate", "maxSurge"), 1.5),
        (("spec", "strategy", "rollingUpdate", "maxSurge"), True),
        (("spec", "strategy", "type"), 7),
        (("spec", "template", "spec", "containers"), {}),
        (("spec", "template", "spec", "restartPolicy"), None),
    ]:
        case = copy.deepcopy(document)
        node = case
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        cases.append(case)
    missing = copy.deepcopy(document)
    del missing["spec"]["template"]["spec"]["containers"][0]["name"]
    cases.append(missing)
    return cases


def _agree(validator: Any, check: Any, document: dict[str, Any]) -> None:
    assert validator.is_valid(document) == check(document), document


def test_kubernetes_schemas_agree() -> None:
    schema_dir = f"v{kube.schema_version('1.31')}-local-strict"
    known = kube._known_validator(schema_dir, "Deployment", "apps/v1")
    assert known is not None
    validator, check = known
    assert check(_DEPLOYMENT) and validator.is_valid(_DEPLOYMENT)
    broken = _broken(_DEPLOYMENT)
    for document in broken:
        _agree(validator, check, document)
    assert sum(not check(document) for document in broken) >= len(broken) - 2


def test_crd_schemas_agree() -> None:
    rollout = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "web", "namespace": "argocd"},
        "spec": {
            "project": "default",
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "web"},
            "source": {
                "repoURL": "https://example.com/r.git",
                "path": "web",
                "targetRevision": "main",
            },
        },
    }
    crd = crdschemas.find_crd("argoproj.io/v1alpha1", "Application")
    assert crd is not None
    validator, check = crdschemas._validator(crdschemas._file(crd, "standard"))
    assert check(rollout) and validator.is_valid(rollout)
    for path, value in [
        (("spec", "zzUnknown"), 1),
        (("spec", "destination"), "x"),
        (("spec", "source", "path"), 3),
    ]:
        case = copy.deepcopy(rollout)
        case[path[0]][path[1]] = value if len(path) == 2 else case[path[0]][path[1]]
        if len(path) == 3:
            case[path[0]][path[1]][path[2]] = value
        _agree(validator, check, case)
        assert not check(case)
    missing = copy.deepcopy(rollout)
    del missing["spec"]["destination"]
    _agree(validator, check, missing)


_SCHEMAS = sorted(
    {
        str(entry["schema"])
        for versions in chartkeys._index()["charts"].values()
        for entry in versions.values()
        if entry.get("schema")
    }
)


@pytest.mark.parametrize("schema_file", _SCHEMAS)
def test_values_schemas_agree(schema_file: str) -> None:
    validator, check = chartkeys._values_validator(schema_file)
    for document in [{}, {"zzUnknown": 1}, {"image": 1}, {"replicaCount": "x"}]:
        _agree(validator, check, document)


# -- Where jsonschema-rs and jsonschema disagree on their own, the pre-check never says
# -- "valid" where jsonschema (as Stackyard builds it: no format checker) reports an error.

_EVERY_WAY = [
    jsonschema.Draft4Validator,
    jsonschema.Draft7Validator,
    jsonschema.Draft202012Validator,
]


@pytest.mark.parametrize("draft", _EVERY_WAY)
@pytest.mark.parametrize(
    ("schema", "instance"),
    [
        # ECMA 262 classes: \s and \S, \d and \D, \w and \W are other sets of characters.
        ({"pattern": r"^[^\s]+$"}, "a\x1cb"),
        ({"pattern": r"^\S+$"}, "a\x1cb"),
        ({"pattern": r"^[\w\s:/.\\-]+$"}, "a\ufeffb"),
        ({"pattern": r"^\D+$"}, "\u0661"),
        ({"pattern": r"^\W+$"}, "\u00e9"),
        ({"items": {"pattern": r"^\D+$"}}, ["a", "\u0661"]),
        # A fractional divisor: 0.07 / 0.01 is 7.000000000000001 to jsonschema.
        ({"multipleOf": 0.01}, 0.07),
        ({"multipleOf": 0.1}, 0.3),
        # Key "x\n" matches `^x$` in Python, not in ECMA 262: jsonschema-rs would take it
        # for an additional property and never check it against the pattern's schema.
        ({"patternProperties": {"^x$": {"type": "integer"}}}, {"x\n": "one"}),
    ],
)
def test_the_check_never_passes_what_jsonschema_refuses(
    draft: type[Any], schema: dict[str, Any], instance: Any
) -> None:
    assert not draft(schema).is_valid(instance)
    assert not precheck.compiled_check(draft, schema)(instance)


@pytest.mark.parametrize(
    ("schema", "instance"),
    [
        ({"pattern": r"^[^\s]+$"}, "a\x1cb"),
        ({"pattern": r"^\D+$"}, "\u0661"),
        ({"multipleOf": 0.01}, 0.07),
        ({"patternProperties": {"^x$": {"type": "integer"}}}, {"x\n": "one"}),
    ],
)
def test_jsonschema_rs_alone_would_pass_them(schema: dict[str, Any], instance: Any) -> None:
    """Why the pre-check does not leave these to jsonschema-rs (if it ever agrees with
    jsonschema here, the workarounds can go)."""
    assert jsonschema_rs.Draft7Validator(schema, validate_formats=False).is_valid(instance)


@pytest.mark.parametrize(
    "value", [datetime.date(2026, 1, 1), "\ud800", float("nan"), float("inf"), b"a"]
)
@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string"},
        {"pattern": "^a"},
        {"maxLength": 1},
        {"enum": ["a", 1]},
        {"type": "number", "maximum": 5},
        {"not": {"type": "string"}},
    ],
)
def test_a_value_yaml_or_python_makes_never_passes_where_jsonschema_refuses(
    value: Any, schema: dict[str, Any]
) -> None:
    """Values no JSON document holds (a YAML date, a lone surrogate, NaN, bytes, a key that
    is not a string): the pre-check answers without raising, and never "valid" alone."""
    for instance in [{"a": value}, {1: value}]:
        document = {"additionalProperties": schema}
        try:
            expected = jsonschema.Draft7Validator(document).is_valid(instance)
        except (TypeError, ValueError):
            expected = False
        check = precheck.compiled_check(jsonschema.Draft7Validator, document)
        assert expected or not check(instance), (schema, instance)


def test_a_schema_it_cannot_compile_is_left_to_jsonschema() -> None:
    # Python reads the inline flag; ECMA 262 refuses it, so every answer is jsonschema's.
    check = precheck.compiled_check(jsonschema.Draft7Validator, {"pattern": "(?i)^abc$"})
    assert check("ABC") is False
    assert jsonschema.Draft7Validator({"pattern": "(?i)^abc$"}).is_valid("ABC")


def test_multiple_of_agrees_with_jsonschema_on_awkward_numbers() -> None:
    for divisor in [3, 0.01, 0.5, 1e-300]:
        for number in [0.07, 9.0, 2**70 + 1, 2**70 + 2, 1e300, 0, -0.5, 1e308 * 10]:
            validator = jsonschema.Draft7Validator({"multipleOf": divisor})
            try:
                expected = validator.is_valid(number)
            except (ValueError, OverflowError):  # jsonschema stops; the pre-check says no
                expected = False
            check = precheck.compiled_check(jsonschema.Draft7Validator, {"multipleOf": divisor})
            assert check(number) == expected, (divisor, number)


def test_a_real_crd_pattern_is_matched_as_python_matches_it() -> None:
    """ExternalSecret's sync window schedule: `[^\\s]+` takes "\\x1c" in ECMA 262 only."""
    secret = {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "db", "namespace": "shop"},
        "spec": {
            "secretStoreRef": {"name": "vault", "kind": "ClusterSecretStore"},
            "syncWindows": {
                "kind": "allow",
                "windows": [{"schedule": "@every \x1c", "duration": "1h"}],
            },
        },
    }
    crd = crdschemas.find_crd("external-secrets.io/v1", "ExternalSecret")
    assert crd is not None
    validator, check = crdschemas._validator(crdschemas._file(crd, "standard"))
    schedule = validator.schema["properties"]["spec"]["properties"]["syncWindows"]
    pattern = schedule["properties"]["windows"]["items"]["properties"]["schedule"]["pattern"]
    assert jsonschema_rs.Draft4Validator({"pattern": pattern}).is_valid("@every \x1c")
    assert not validator.is_valid(secret)
    assert not check(secret)
    result = crdschemas.check_resource(secret)
    assert result.status == "invalid"
    assert any("schedule" in problem.path for problem in result.problems)
    secret["spec"]["syncWindows"]["windows"][0]["schedule"] = "@every 1h"
    assert check(secret) and validator.is_valid(secret)


def _patterns(node: Any) -> Iterator[str]:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            if isinstance(current.get("pattern"), str):
                yield current["pattern"]
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def _every_pattern() -> list[str]:
    crds = {entry["file"] for entry in crdschemas._index().values()}
    found = {p for file in crds for p in _patterns(crdschemas._data(file))}
    found |= {p for file in _SCHEMAS for p in _patterns(chartkeys._data(file))}
    return sorted(found)


_PROBES = [
    "",
    "a",
    "web-1",
    "a.b.c",
    "10.0.0.0/8",
    "fd00::/64",
    "@every 5m",
    "0 3 * * *",
    "1h30m",
    "512Mi",
    "https://example.com/x",
    "a@b.iam.gserviceaccount.com",
    "x\n",
    "x\r",
    "a\x1cb",
    "a\ufeffb",
    "\u00e9",
    "\u0661\u0662",
    "a b",
    "A_b:1",
    "\u2028",
]


def test_every_pattern_stackyard_checks_matches_as_python_matches_it() -> None:
    compiled = 0
    for pattern in _every_pattern():
        check = precheck.compiled_check(jsonschema.Draft4Validator, {"pattern": pattern})
        if check is precheck._never:
            continue
        compiled += 1
        for probe in _PROBES:
            assert check(probe) == bool(re.search(pattern, probe)), (pattern, probe)
    assert compiled >= 50
