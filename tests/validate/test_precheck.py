"""The compiled pre-check agrees with jsonschema on real schemas, valid and broken objects."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stackyard.validate import chartkeys, crdschemas, kube

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
