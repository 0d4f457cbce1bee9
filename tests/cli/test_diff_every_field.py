"""``stackyard diff`` reports a change of every field of the spec model.

The field list is derived from the pydantic model, not written here: a field added to
``Platform`` later is changed and checked too. For each field the test finds a value
that makes a valid spec different from the base (another enum member, a flipped flag,
one more list item, a new mapping key, a section filled in or dropped), runs ``diff``
and expects a change at that field's path.
"""

from __future__ import annotations

import copy
import json
import shutil
import types
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from click.testing import Result
from pydantic import BaseModel, TypeAdapter, ValidationError

from stackyard.catalog import load_catalog
from stackyard.errors import InputError
from stackyard.plan.fieldchanges import item, key, path_text
from stackyard.spec import Platform, load_spec_text
from tests.conftest import EXAMPLES

Cli = Callable[..., Result]
ITEM, KEY = "<item>", "<key>"  # a list element / a mapping entry in a field path
# Specs to mutate; the services spec of the spec tests brings an API and its OpenAPI
# document, which every mutated spec reads from beside it (SPEC_DATA); the identity
# spec brings a directory with every field written out, its CA file beside it too; the
# policy-templates spec defines, replaces, assigns and chooses policy templates; the
# fleet-service spec deploys the fleet service with every field of its section written.
SPEC_DATA = Path(__file__).resolve().parents[1] / "spec" / "data"
AIRGAP = SPEC_DATA / "airgap.yaml"
BASES = [
    EXAMPLES / "aws-enterprise.yaml",
    EXAMPLES / "local-multicluster.yaml",
    EXAMPLES / "mesh-local.yaml",
    EXAMPLES / "onprem-vsphere.yaml",
    SPEC_DATA / "services.yaml",
    SPEC_DATA / "identity.yaml",
    SPEC_DATA / "policy-templates.yaml",
    SPEC_DATA / "fleet-service.yaml",
]
STRINGS = [
    "changed",
    "2h",
    "3Gi",
    "8",
    "1.34",
    "10.250.0.0/16",
    "us-west-2",
    "example-two.dev",
    "https://s3.example.org",
    "changed-bucket",
    "git@example.org:platform.git",
    "beta=2",
    "/changed",
    "apis/billing.yaml",
    "ldaps://ldap-two.example.com",
    "ou=changed,dc=example,dc=com",
    "(objectClass=person)",
    '{"keys": [{"kty": "RSA", "kid": "changed", "n": "AQAB", "e": "AQAB"}]}',
]


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The annotation without ``| None``, and whether None was allowed."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return (args[0] if len(args) == 1 else annotation), len(args) < len(
            typing.get_args(annotation)
        )
    return annotation, False


def _base_type(annotation: Any) -> Any:
    annotation, _ = _unwrap(annotation)
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _model(annotation: Any) -> type[BaseModel] | None:
    base = _base_type(annotation)
    return base if isinstance(base, type) and issubclass(base, BaseModel) else None


def field_paths(
    model: type[BaseModel], prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every field of ``model`` and of the models inside it, with its annotation."""
    for name, info in model.model_fields.items():
        annotation = (
            typing.Annotated[info.annotation, *info.metadata]
            if info.metadata
            else (info.annotation)
        )
        path = (*prefix, name)
        yield path, annotation
        base = _base_type(info.annotation)
        origin, args = typing.get_origin(base), typing.get_args(base)
        if _model(base):
            yield from field_paths(_model(base), path)  # type: ignore[arg-type]
        elif origin is list and args and _model(args[0]):
            yield from field_paths(_model(args[0]), (*path, ITEM))  # type: ignore[arg-type]
        elif origin is dict and len(args) == 2 and _model(args[1]):
            yield from field_paths(_model(args[1]), (*path, KEY))  # type: ignore[arg-type]


def _strings_in(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings_in(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings_in(value)


def candidates(annotation: Any, current: Any, pool: list[str]) -> Iterator[Any]:
    """Values to try for a field of this type, most telling first."""
    base, optional = _unwrap(annotation)
    if optional and current is not None:
        yield None
    plain = _base_type(base)
    origin, args = typing.get_origin(plain), typing.get_args(plain)
    model = _model(plain)
    if origin is Literal:
        yield from (a for a in args if a != current)
    elif plain is bool:
        yield from (True, False)
    elif plain is int:
        yield from ((current or 1) + 1, 1)
    elif plain is float:
        yield from (99.5, 99.9)
    elif plain is str:
        yield from pool
    elif model is not None:
        if current is None:
            yield from sample_models(model, pool)
        else:
            yield from (
                {**current, name: value}
                for name, info in model.model_fields.items()
                for value in candidates(info.annotation, current.get(name), pool)
            )
    elif origin is list:
        items = list(current or [])
        if items:
            yield items[:-1]
        if items and isinstance(items[0], dict) and "name" in items[0]:
            yield [*items, {**copy.deepcopy(items[0]), "name": "changed"}]
        for value in candidates(args[0], None, pool):
            yield [*items, value]
    elif origin is dict:
        entries = dict(current or {})
        if entries:
            yield dict(list(entries.items())[1:])
        keys = candidates(args[0], None, pool)
        for name in keys:
            if name in entries:
                continue
            for value in [*candidates(args[1], None, pool)][:3]:
                yield {**entries, name: value}
    else:  # Any (a Helm values overlay entry) or a type parsed from text (address ranges)
        yield from (2, *pool)


def sample_models(model: type[BaseModel], pool: list[str]) -> Iterator[dict[str, Any]]:
    """Dicts that are valid instances of ``model``: required fields filled from samples."""
    data: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if not info.is_required():
            continue
        annotation = (
            typing.Annotated[info.annotation, *info.metadata]
            if info.metadata
            else (info.annotation)
        )
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
        for value in candidates(annotation, None, pool):
            try:
                adapter.validate_python(value)
            except ValidationError:
                continue
            data[name] = value
            break
    yield data


def navigate(
    data: dict[str, Any], path: tuple[str, ...], pool: list[str], pick: int = 0
) -> list[Any] | None:
    """The containers along ``path`` (creating sections that are missing), or None."""
    trail: list[Any] = [data]
    node: Any = data
    for segment in path[:-1]:
        if segment == ITEM:
            if not isinstance(node, list) or not node:
                return None
            node = node[pick]
        elif segment == KEY:
            if not isinstance(node, dict):
                return None
            if not node:
                node[pool[0]] = {}
            node = node[next(iter(node))]
        else:
            if not isinstance(node, dict):
                return None
            if node.get(segment) is None:
                node[segment] = {}
            node = node[segment]
        trail.append(node)
    return trail


def display(path: tuple[str, ...], data: dict[str, Any], pick: int) -> str:
    """The field path as diff writes it, with list items by name."""
    parts: list[str] = []
    node: Any = data
    for segment in path:
        if segment == ITEM:
            node = node[pick]
            # Unnamed items (policy assignments, whose order matters) are compared as a
            # whole list, so any index does: the reported path is the list's.
            parts.append(item(node.get("name", pick)))
        elif segment == KEY:
            name = next(iter(node))
            node = node[name]
            parts.append(key(name))
        else:
            node = node.get(segment) if isinstance(node, dict) else None
            parts.append(key(segment))
    return path_text(tuple(parts))


def valid(data: dict[str, Any]) -> Platform | None:
    try:
        return load_spec_text(yaml.safe_dump(data, sort_keys=False), folder=SPEC_DATA).platform
    except InputError:
        return None


def _move_banner(spec: dict[str, Any]) -> None:
    spec["services"][-1]["tenant"] = "shop"
    spec["services"][1]["callers"] = ["storefront", "banner"]


def _shift_weight(spec: dict[str, Any]) -> None:
    spec["services"][1]["versions"] = [
        {"name": "stable", "weight": 80},
        {"name": "canary", "weight": 20},
    ]


def _move_api(spec: dict[str, Any]) -> None:
    spec["services"][-1]["tenant"] = "shop"
    spec["services"][1]["callers"] = ["storefront", "banner"]
    spec["apis"][-1].update(tenant="ads", service="storefront", port=None)
    spec["services"][0]["tenant"] = "ads"
    spec["services"][1]["callers"] = ["ads/storefront", "banner"]
    del spec["apis"][-1]["port"]


def _external_vault(spec: dict[str, Any]) -> None:
    spec["hardening"]["encryptionAtRest"] = {
        "provider": "vault-kms",
        "keyRotation": "90d",
        "vaultAddress": "https://vault.corp.example:8200",
    }


def _airgap(change: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return lambda spec: spec["airgap"].update(change)


def _signing_key(spec: dict[str, Any]) -> None:
    spec["policy"]["signingKey"] = "keys/cosign.pub"


_LAB = {"git": "http://git.lab.example/mirror", "plainHttp": True, "caFile": None}


# Fields whose every change alone breaks a rule across fields (weights summing to 100, a
# service and its callers in one tenant, a Vault address only with the Vault provider):
# changed together with what they must agree with, in the spec they start from.
TOGETHER: dict[tuple[str, ...], tuple[Callable[[dict[str, Any]], None], int, Path]] = {
    ("services", ITEM, "tenant"): (_move_banner, -1, SPEC_DATA / "services.yaml"),
    ("services", ITEM, "versions", ITEM, "weight"): (
        _shift_weight,
        1,
        SPEC_DATA / "services.yaml",
    ),
    ("apis", ITEM, "tenant"): (_move_api, -1, SPEC_DATA / "services.yaml"),
    ("hardening", "encryptionAtRest", "vaultAddress"): (
        _external_vault,
        0,
        EXAMPLES / "aws-enterprise.yaml",
    ),
    # The air gap's registry and Git server are required together; plain HTTP goes with
    # an http:// Git URL and no CA.
    ("airgap", "registry"): (_airgap({"registry": "registry.corp.example:5000"}), 0, AIRGAP),
    ("airgap", "git"): (_airgap({"git": "https://git.corp.example/other"}), 0, AIRGAP),
    ("airgap", "caFile"): (_airgap({"caFile": None}), 0, AIRGAP),
    ("airgap", "plainHttp"): (_airgap(_LAB), 0, AIRGAP),
    # The signing key is a file beside the spec: the test data's own public key.
    ("policy", "signingKey"): (_signing_key, 0, SPEC_DATA / "policy-templates.yaml"),
}


def mutations(
    path: tuple[str, ...], annotation: Any
) -> Iterator[tuple[dict[str, Any], dict[str, Any], int]]:
    """(old, new, list item picked) spec data that are both valid and differ at ``path``."""
    if path in TOGETHER:
        change, pick, start = TOGETHER[path]
        old = yaml.safe_load(start.read_text(encoding="utf-8"))
        new = copy.deepcopy(old)
        change(new)
        assert valid(old) is not None and valid(new) is not None
        yield old, new, pick
        return
    components = sorted(load_catalog().components)
    for base_path, pick in [(b, p) for b in BASES for p in (0, -1)]:
        base = yaml.safe_load(base_path.read_text(encoding="utf-8"))
        pool = [*STRINGS, *dict.fromkeys(_strings_in(base))]
        key_pool = [*components, *pool] if path[-1] == "components" or KEY in path else pool
        old = copy.deepcopy(base)
        trail = navigate(old, path, key_pool, pick)
        if trail is None or valid(old) is None:
            continue
        parent = trail[-1]
        current = parent.get(path[-1]) if isinstance(parent, dict) else None
        for value in candidates(
            annotation, current, key_pool if path[-1] == "components" else pool
        ):
            new = copy.deepcopy(old)
            target = navigate(new, path, key_pool, pick)
            assert target is not None
            if value is None:
                target[-1].pop(path[-1], None)
            else:
                target[-1][path[-1]] = value
            before, after = valid(old), valid(new)
            if before is not None and after is not None and before != after:
                yield old, new, pick
                return


FIELDS = [
    (path, annotation)
    for path, annotation in field_paths(Platform)
    # A field with one allowed value (apiVersion, kind) can never change.
    if not (
        typing.get_origin(_base_type(annotation)) is Literal
        and len(typing.get_args(_base_type(annotation))) == 1
    )
]


@pytest.mark.parametrize(("path", "annotation"), FIELDS, ids=[".".join(p) for p, _ in FIELDS])
def test_diff_reports_a_change_of_every_spec_field(
    cli: Cli, tmp_path: Path, path: tuple[str, ...], annotation: Any
) -> None:
    found = next(mutations(path, annotation), None)
    assert found is not None, f"no valid change of {'.'.join(path)}: add a sample for its type"
    old, new, pick = found
    for folder in ("apis", "ca", "keys"):  # OpenAPI documents, CA files, the signing key
        shutil.copytree(SPEC_DATA / folder, tmp_path / folder)
    old_file, new_file = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old_file.write_text(yaml.safe_dump(old, sort_keys=False), encoding="utf-8")
    new_file.write_text(yaml.safe_dump(new, sort_keys=False), encoding="utf-8")
    result = cli("diff", str(old_file), str(new_file), "-o", "json")
    assert result.exit_code == 0, result.stderr
    changes = json.loads(result.stdout)["changes"]
    expected = display(path, new if _has(new, path) else old, pick)
    reported = [c["path"] for c in changes if c["path"]]
    assert any(
        p == expected
        or p.startswith((f"{expected}.", f"{expected}["))
        or expected.startswith((f"{p}.", f"{p}["))
        for p in reported
    ), (expected, reported)


def _has(data: dict[str, Any], path: tuple[str, ...]) -> bool:
    node: Any = data
    for segment in path[:-1]:
        if segment in (ITEM, KEY):
            if not node:
                return False
            node = node[0] if segment == ITEM else node[next(iter(node))]
        elif isinstance(node, dict) and segment in node:
            node = node[segment]
        else:
            return False
    return True


def test_the_walk_covers_the_sections_the_issue_names() -> None:
    names = {".".join(p) for p, _ in FIELDS}
    assert {
        "tenants",
        "tenants.<item>.quota",
        "tenants.<item>.clusters",
        "slo.rto",
        "slo.availability",
        "components.<key>.values",
        "clusters.<item>.network.podCIDR",
        "clusters.<item>.nodePools.<item>.count",
    } <= names
