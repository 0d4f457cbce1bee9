"""The mesh, services and apis sections: defaults, cross-references and OpenAPI files."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from stackyard.errors import Problem, SpecError
from stackyard.spec import LoadedSpec, load_spec, load_spec_text
from stackyard.spec.openapi import openapi_validators
from tests.hostile.specials import make_fifo

DATA = Path(__file__).parent / "data"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A platform repository with the services spec and its OpenAPI document."""
    shutil.copy(DATA / "services.yaml", tmp_path / "platform.yaml")
    shutil.copytree(DATA / "apis", tmp_path / "apis")
    return tmp_path


def spec_text() -> str:
    return (DATA / "services.yaml").read_text(encoding="utf-8")


def load(folder: Path, text: str | None = None) -> LoadedSpec:
    if text is not None:
        (folder / "platform.yaml").write_text(text, encoding="utf-8")
    return load_spec(folder / "platform.yaml")


def problems(folder: Path, text: str | None = None) -> list[Problem]:
    with pytest.raises(SpecError) as info:
        load(folder, text)
    return info.value.problems


def test_a_spec_without_the_new_sections_keeps_the_mesh_off(minimal_text: str) -> None:
    platform = load_spec_text(minimal_text, "platform.yaml").platform
    assert not platform.mesh.enabled
    assert platform.mesh.mode == "ambient"
    assert platform.mesh.mtls == "strict"
    assert platform.services == [] and platform.apis == []
    assert platform.mesh_namespaces == []


def test_the_services_spec_loads_with_its_openapi_document(folder: Path) -> None:
    spec = load(folder)
    platform = spec.platform
    assert platform.mesh_namespaces == ["shop", "shop-batch"]
    checkout = platform.service("shop", "checkout")
    assert checkout is not None and checkout.canary and not checkout.ab
    banner = platform.service("ads", "banner")
    assert banner is not None and banner.ab and platform.service_namespace(banner) == "ads"
    (api,) = platform.apis
    assert api.host_name(platform.domain) == "api.p.example.com"
    assert api.path_prefix == "/orders"
    assert [api.plan_of(c).name for c in api.consumers] == ["gold", "gold"]  # type: ignore[union-attr]
    document = spec.openapi["orders"]
    assert document.title == "Orders" and document.version == "3.1.0"
    assert document.text == (folder / "apis" / "orders.yaml").read_text(encoding="utf-8")


def test_every_tenant_joins_the_mesh_when_none_is_named(folder: Path) -> None:
    text = spec_text().replace("  tenants: [shop]\n", "  namespaces: [edge]\n")
    assert load(folder, text).platform.mesh_namespaces == ["shop", "shop-batch", "ads", "edge"]


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        (
            "  tenants: [shop]",
            "  tenants: [shop, shoe]",
            "mesh.tenants[1]",
            "unknown tenant 'shoe'",
        ),
        ("    namespace: shop\n", "    namespace: ads\n", "services[1].namespace", "not one of"),
        (
            "callers: [storefront, ads/banner]",
            "callers: [storefront, ads/bannr]",
            "services[1].callers[1]",
            "unknown caller 'ads/bannr'",
        ),
        (
            "callers: [storefront,",
            "callers: [storefrnt,",
            "services[1].callers[0]",
            "tenant 'shop' declares no service 'storefrnt'",
        ),
        (
            "  - name: banner\n    tenant: ads",
            "  - name: banner\n    tenant: adz",
            "services[2].tenant",
            "unknown tenant 'adz'",
        ),
        (
            "  - name: checkout\n",
            "  - name: storefront\n",
            "services[1].name",
            "already has a service 'storefront'",
        ),
        (
            "    service: checkout\n",
            "    service: checkot\n",
            "apis[0].service",
            "tenant 'shop' declares no service 'checkot'",
        ),
        ("    port: http\n", "    port: https\n", "apis[0].port", "has no port 'https'"),
        ("plan: gold}", "plan: platinum}", "apis[0].consumers[0].plan", "unknown plan 'platinum'"),
        (
            "  - name: orders\n    tenant: shop",
            "  - name: orders\n    tenant: shoe",
            "apis[0].tenant",
            "unknown tenant 'shoe'",
        ),
    ],
)
def test_a_broken_reference_is_named_at_its_line(
    folder: Path, old: str, new: str, field: str, message: str
) -> None:
    text = spec_text()
    written = text[: text.index(old)].count("\n") + len(new.splitlines())
    text = text.replace(old, new, 1)
    problem = next(p for p in problems(folder, text) if p.field == field)
    assert message in problem.message
    assert problem.location.file == str(folder / "platform.yaml")
    assert problem.location.line == written


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("{name: canary, weight: 10}", "{name: canary, weight: 20}", "sum to 110, not 100"),
        ("{name: canary, weight: 10}", "{name: canary, match: {cookie: c=1}}", "not both"),
        ("{name: canary, weight: 10}", "{name: canary}", "'canary' has none"),
        ("{name: canary, weight: 10}", "{name: stable, weight: 10}", "'stable' is given twice"),
        ("      - {name: stable}\n", "", "found none"),
        ('{name: gamma, match: {cookie: "gamma=1"}}', "{name: gamma}", "'stable', 'gamma'"),
        ('{cookie: "gamma=1"}', "{}", "a match needs headers or a cookie"),
        ('{cookie: "gamma=1"}', "{cookie: gamma}", "should match pattern"),
        ("{name: grpc, port: 9090,", "{name: http, port: 9090,", "'http' is given twice"),
        ("{name: grpc, port: 9090,", '{name: "9090", port: 9090,', "needs a letter"),
    ],
)
def test_a_bad_traffic_split_is_refused(folder: Path, old: str, new: str, message: str) -> None:
    text = spec_text()
    assert old in text
    found = problems(folder, text.replace(old, new, 1))
    assert any(message in p.message for p in found), found
    assert all(p.field.startswith("services[") for p in found)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("apis/missing.yaml", "No such file"),
        ("../outside.yaml", "relative to the spec file's folder"),
        ("/etc/passwd", "relative to the spec file's folder"),
        ("apis/../../outside.yaml", "no leading / and no .."),
    ],
)
def test_an_openapi_path_outside_or_missing_is_refused(
    folder: Path, path: str, message: str
) -> None:
    (folder.parent / "outside.yaml").write_text("openapi: 3.1.0\n", encoding="utf-8")
    text = spec_text().replace("openapi: apis/orders.yaml", f"openapi: {path}")
    (problem,) = problems(folder, text)
    assert problem.field == "apis[0].openapi"
    assert message in problem.message
    assert problem.location.line == next(
        i for i, line in enumerate(text.splitlines(), 1) if "openapi:" in line
    )


def test_a_link_out_of_the_spec_folder_is_refused(folder: Path) -> None:
    outside = folder.parent / "elsewhere.yaml"
    shutil.copy(DATA / "apis" / "orders.yaml", outside)
    os.symlink(outside, folder / "apis" / "link.yaml")
    text = spec_text().replace("apis/orders.yaml", "apis/link.yaml")
    (problem,) = problems(folder, text)
    assert "outside the spec's folder" in problem.message


def test_a_fifo_as_openapi_document_is_refused_without_blocking(folder: Path) -> None:
    make_fifo(folder / "apis" / "fifo.yaml")
    (problem,) = problems(folder, spec_text().replace("apis/orders.yaml", "apis/fifo.yaml"))
    assert "a FIFO, not a regular file" in problem.message


def test_a_huge_openapi_document_is_refused(folder: Path) -> None:
    (folder / "apis" / "orders.yaml").write_bytes(b"# x\n" * (1024 * 1024 + 1))
    (problem,) = problems(folder)
    assert "over 4194304 bytes" in problem.message


def test_a_yaml_bomb_in_the_openapi_document_is_refused(folder: Path) -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * 10) + "]")
    (folder / "apis" / "orders.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (problem,) = problems(folder)
    assert problem.field == "apis[0].openapi"
    assert "apis/orders.yaml" in problem.message


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("openapi: 3.1.0\ninfo: {title: T}\npaths: {}\n", "'version' is a required property"),
        ("swagger: '2.0'\n", "has no 'openapi' version field"),
        ("openapi: 2.0.0\ninfo: {title: T, version: '1'}\n", "only OpenAPI 3.0, 3.1 and 3.2"),
        ("- a list\n", "has no 'openapi' version field"),
        ("openapi: 3.1.0\ninfo: {title: T, version: '1'\n", "line 3: invalid YAML"),
        (
            "openapi: 3.1.0\ninfo: {title: T, version: '1'}\npaths:\n  /a:\n    get:\n"
            "      responses:\n        '200': {$ref: 'https://example.com/r.yaml'}\n",
            "points outside the document",
        ),
        (
            "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  /a:\n    get:\n"
            "      responses:\n        '200': {$ref: '#/components/responses/Nope'}\n",
            "'#/components/responses/Nope' points to nothing",
        ),
    ],
)
def test_an_invalid_openapi_document_is_refused_with_the_validator_message(
    folder: Path, document: str, message: str
) -> None:
    (folder / "apis" / "orders.yaml").write_text(document, encoding="utf-8")
    (problem,) = problems(folder)
    assert problem.field == "apis[0].openapi"
    assert message in problem.message, problem.message


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0", "3.2.0"])
@pytest.mark.parametrize("backend", ["auto", "jsonschema-rs"])
def test_openapi_documents_are_checked_by_jsonschema_even_with_jsonschema_rs_installed(
    monkeypatch: pytest.MonkeyPatch, version: str, backend: str
) -> None:
    """openapi-spec-validator checks with jsonschema-rs whenever it can import it.

    Where it can, its messages read '"version" is a required property' followed by the
    schema and the whole document, which is not what Stackyard shows; the validators pin
    jsonschema whatever the library's environment variable says.
    """
    assert importlib.util.find_spec("jsonschema_rs") is not None  # validate's pre-check
    monkeypatch.setenv("OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND", backend)
    openapi_validators.cache_clear()
    try:
        validator = openapi_validators()[version.rsplit(".", 1)[0]]
        document = {"openapi": version, "info": {"title": "T"}, "paths": {}}
        messages = [error.message for error in validator(document).iter_errors()]
    finally:
        openapi_validators.cache_clear()
    assert messages == ["'version' is a required property"]


def test_a_spec_given_as_text_cannot_name_openapi_files() -> None:
    with pytest.raises(SpecError) as info:
        load_spec_text(spec_text(), "platform.yaml")
    (problem,) = info.value.problems
    assert "not read from a file" in problem.message
