from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft4Validator

from stackyard.validate import (
    check_resource,
    find_crd,
    json_schema,
    known_crds,
    openapi_to_jsonschema,
)
from stackyard.validate.crdschemas import CrdCheck

VALID = sorted((Path(__file__).resolve().parent / "resources" / "valid").glob("*.yaml"))

Load = Callable[[str], dict[str, Any]]


def problems(check: CrdCheck) -> list[tuple[str, str]]:
    return [(p.path, p.message) for p in check.problems]


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_a_valid_resource_passes(path: Path) -> None:
    check = check_resource(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert check.status == "valid", check.problems
    assert check.ok
    assert check.crd is not None


def test_a_missing_required_field_is_named_by_its_path(resource: Load) -> None:
    appset = resource("argocd-applicationset")
    del appset["spec"]["template"]["spec"]["destination"]
    check = check_resource(appset)
    assert check.status == "invalid"
    assert problems(check) == [("spec.template.spec.destination", "required field is missing")]


def test_a_value_of_the_wrong_type_is_rejected(resource: Load) -> None:
    pool = resource("metallb-ipaddresspool")
    pool["spec"]["autoAssign"] = "yes"
    assert problems(check_resource(pool)) == [("spec.autoAssign", "expected boolean, got string")]


def test_an_unknown_field_is_rejected_with_a_suggestion(resource: Load) -> None:
    issuer = resource("cert-manager-clusterissuer")
    issuer["spec"]["acme"]["emial"] = issuer["spec"]["acme"].pop("email")
    assert problems(check_resource(issuer)) == [
        ("spec.acme.emial", "unknown field (did you mean 'email'?)")
    ]


def test_an_unknown_field_at_the_root_is_rejected(resource: Load) -> None:
    monitor = resource("servicemonitor")
    monitor["specs"] = monitor.pop("spec")
    found = problems(check_resource(monitor))
    assert ("specs", "unknown field (did you mean 'spec'?)") in found


def test_any_field_is_accepted_where_the_schema_preserves_unknown_fields(
    resource: Load,
) -> None:
    app = resource("argocd-application")
    app["spec"]["source"]["helm"]["valuesObject"] = {"whatever": {"nested": [1, {"a": None}]}}
    assert check_resource(app).ok
    app["spec"]["source"]["helmm"] = app["spec"]["source"].pop("helm")
    assert [p for p, _ in problems(check_resource(app))] == ["spec.source.helmm"]


@pytest.mark.parametrize("port", [8080, "metrics"])
def test_an_int_or_string_field_accepts_both(resource: Load, port: int | str) -> None:
    monitor = resource("servicemonitor")
    monitor["spec"]["endpoints"][0]["targetPort"] = port
    assert check_resource(monitor).ok


def test_an_int_or_string_field_rejects_other_types(resource: Load) -> None:
    monitor = resource("servicemonitor")
    monitor["spec"]["endpoints"][0]["targetPort"] = [8080]
    assert problems(check_resource(monitor)) == [
        ("spec.endpoints[0].targetPort", "expected integer or string, got array")
    ]


def test_null_is_accepted_only_where_the_schema_is_nullable(resource: Load) -> None:
    secret = resource("externalsecret")
    secret["status"] = {"refreshTime": None}
    assert check_resource(secret).ok
    secret["spec"]["refreshInterval"] = None
    assert problems(check_resource(secret)) == [
        ("spec.refreshInterval", "expected string, got null")
    ]


def test_formats_are_not_checked(resource: Load) -> None:
    secret = resource("externalsecret")
    secret["status"] = {"refreshTime": "yesterday"}  # format: date-time
    assert check_resource(secret).ok


def test_a_pattern_python_cannot_compile_is_skipped_not_fatal(resource: Load) -> None:
    # CiliumNetworkPolicy's `log.value` uses RE2's `\PC`, which Python's re rejects.
    policy = resource("cilium-networkpolicy")
    policy["spec"]["log"] = {"value": "allow-dns"}
    assert check_resource(policy).ok


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"namespace": "apps"}, [("metadata.name", "required field is missing")]),
        ({"name": "Allow_DNS"}, [("metadata.name", "must be a lowercase DNS subdomain")]),
        ({"generateName": "allow-dns-"}, []),
    ],
)
def test_metadata_needs_a_valid_name(
    resource: Load, metadata: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    policy = resource("cilium-networkpolicy")
    policy["metadata"] = metadata
    found = [(path, message.split(" (")[0]) for path, message in problems(check_resource(policy))]
    assert found == expected


def test_a_kind_without_crd_is_unknown_not_valid() -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}}
    check = check_resource(deployment)
    assert check.status == "unknown"
    assert not check.ok
    assert problems(check) == [("", "no CRD schema for apps/v1/Deployment")]


def test_a_version_the_crd_does_not_serve_is_rejected(resource: Load) -> None:
    secret = resource("externalsecret")
    secret["apiVersion"] = "external-secrets.io/v1beta1"  # defined, served: false
    check = check_resource(secret)
    assert check.status == "invalid"
    assert problems(check) == [
        (
            "apiVersion",
            "external-secrets.io/v1beta1 does not serve ExternalSecret; "
            "served: external-secrets.io/v1",
        )
    ]


def test_a_resource_without_api_version_is_invalid() -> None:
    check = check_resource({"kind": "Gateway", "metadata": {"name": "x"}})
    assert check.status == "invalid"
    assert [p for p, _ in problems(check)] == ["apiVersion"]


def test_gateway_api_experimental_fields_need_the_experimental_channel(resource: Load) -> None:
    gateway = resource("gateway")
    gateway["spec"]["defaultScope"] = "All"
    assert [p for p, _ in problems(check_resource(gateway))] == ["spec.defaultScope"]
    assert check_resource(gateway, channel="experimental").ok


def test_schemas_without_root_fields_still_accept_api_version_kind_and_metadata() -> None:
    virtual_service = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "grafana", "namespace": "monitoring"},
        "spec": {
            "hosts": ["grafana.example.com"],
            "http": [{"route": [{"destination": {"host": "grafana", "port": {"number": 80}}}]}],
        },
    }
    assert check_resource(virtual_service).ok


def test_the_index_knows_scope_and_provenance() -> None:
    issuer = find_crd("cert-manager.io/v1", "ClusterIssuer")
    assert issuer is not None
    assert issuer.scope == "Cluster"
    assert issuer.ref == "v1.21.1"
    assert len(issuer.commit) == 40
    assert find_crd("cert-manager.io/v1", "Issuer") is not None
    assert find_crd("cert-manager.io/v1", "Issuers") is None


def test_translation_leaves_the_stored_schema_untouched() -> None:
    node = {"type": "object", "properties": {"a": {"type": "string", "nullable": True}}}
    translated = openapi_to_jsonschema(node)
    assert translated["additionalProperties"] is False
    assert translated["properties"]["a"]["type"] == ["string", "null"]
    assert node == {"type": "object", "properties": {"a": {"type": "string", "nullable": True}}}


def test_every_stored_crd_schema_translates_to_a_valid_json_schema() -> None:
    crds = known_crds()
    assert len(crds) > 250
    for crd in crds:
        Draft4Validator.check_schema(json_schema(crd))
        if crd.experimental_file:
            Draft4Validator.check_schema(json_schema(crd, channel="experimental"))
