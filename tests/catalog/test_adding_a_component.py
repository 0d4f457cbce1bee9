"""Adding a component with a UI, external egress and a required Secret is one catalog entry
and one values file: ``data/wiki.yaml`` and ``data/values/wiki.yaml``, nothing in Python.

The test builds a catalog with the shipped entries plus the wiki, plans a spec that turns
it on, renders the plan (which must use the plan's catalog, not the shipped one), and
checks that the wiki got its route, its network policies, its README row and its Argo CD
Application with its values, and that ``stackyard validate`` finds nothing wrong; where
Keycloak runs, its OIDC client is in the platform realm.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackyard.catalog import Catalog, build_catalog
from stackyard.errors import CatalogError
from stackyard.plan import Plan, make_plan
from stackyard.render import write_tree
from stackyard.render.build import render_metadata, render_plan
from stackyard.render.tree import RenderedTree
from stackyard.spec import load_spec_text
from stackyard.validate.run import validate_directory
from tests.render.conftest import EXAMPLES, example_text

DATA = Path(__file__).parent / "data"


def _shipped(folder: str) -> list[tuple[str, str]]:
    root = resources.files("stackyard.catalog") / folder
    return [
        (f"catalog/{folder}/{item.name}", item.read_text(encoding="utf-8"))
        for item in root.iterdir()
        if item.name.endswith(".yaml")
    ]


def with_wiki() -> Catalog:
    """The shipped catalog plus the wiki's entry and values file."""
    entry = DATA / "wiki.yaml"
    values = DATA / "values" / "wiki.yaml"
    return build_catalog(
        [*_shipped("data"), (str(entry), entry.read_text())],
        [*_shipped("values"), (str(values), values.read_text())],
    )


def _render(example: str) -> tuple[RenderedTree, Plan]:
    spec = yaml.safe_load(example_text(example))
    spec.setdefault("components", {})["wiki"] = {"enabled": True}
    plan = make_plan(
        load_spec_text(yaml.safe_dump(spec), f"{example}+wiki.yaml", EXAMPLES), with_wiki()
    )
    assert not plan.errors, plan.errors
    return render_plan(plan), plan


def _documents(tree: RenderedTree, path: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(dict(tree)[path]) if d]


def _find(tree: RenderedTree, kind: str, name: str, namespace: str) -> list[dict[str, Any]]:
    found = []
    for path, text in tree:
        if not path.endswith(".yaml"):
            continue
        for doc in yaml.safe_load_all(text):
            if not isinstance(doc, dict) or doc.get("kind") != kind:
                continue
            meta = doc.get("metadata", {})
            if meta.get("name") == name and meta.get("namespace") == namespace:
                found.append(doc)
    return found


@pytest.mark.parametrize(
    ("example", "cluster", "domain"),
    [
        ("local-multicluster", "mgmt", "platform.local.example"),
        ("community-poc", "poc", "poc.example.internal"),
    ],
)
def test_the_wiki_renders_from_its_entry_and_values_file(
    example: str, cluster: str, domain: str, tmp_path: Path
) -> None:
    tree, plan = _render(example)
    assert plan.catalog["wiki"].ui is not None
    assert [c.name for c in plan.clusters if c.has("wiki")] == [cluster]

    # The UI: an HTTPRoute on the Gateway, or an Ingress where ingress-nginx runs.
    routes = _find(tree, "HTTPRoute", "wiki", "wiki") + _find(tree, "Ingress", "wiki", "wiki")
    assert len(routes) == 1
    route = routes[0]
    if route["kind"] == "HTTPRoute":
        assert route["spec"]["hostnames"] == [f"wiki.{domain}"]
        assert route["spec"]["rules"][0]["backendRefs"] == [{"name": "wiki", "port": 80}]
    else:
        rule = route["spec"]["rules"][0]
        assert rule["host"] == f"wiki.{domain}"
        backend = rule["http"]["paths"][0]["backend"]["service"]
        assert backend == {"name": "wiki", "port": {"number": 80}}

    # Egress to the world (its catalog ``egress``) and ingress from the gateway (its UI).
    policies = {
        (d["metadata"]["name"]): d
        for path, _ in tree
        if path.endswith("network-policies.yaml") and f"/{cluster}/" in path
        for d in _documents(tree, path)
        if d["metadata"]["namespace"] == "wiki"
    }
    assert {"default-deny", "allow-dependencies", "allow-from-gateway"} <= set(policies)
    egress = policies["allow-dependencies"]["spec"]["egress"]
    assert len(egress) == 1  # the world, and nothing else: the wiki has no dependencies
    world = egress[0]
    assert world == {"toEntities": ["world"]} or world["to"][0]["ipBlock"]["cidr"] == "0.0.0.0/0"

    # The README lists the Secret the operator creates.
    readme = dict(tree)["README.md"]
    assert f"| `wiki/wiki-git` | token | {cluster} | the wiki's Git access token |" in readme

    # The Application installs the chart with the values file's values.
    (common,) = [text for path, text in tree if path.endswith("values/common/wiki.yaml")]
    values = yaml.safe_load(common)
    assert values["envFromSecrets"] == [{"name": "wiki-git"}]
    assert values["resources"]["requests"] == {"cpu": "10m", "memory": "16Mi"}
    applications = [
        d
        for path, text in tree
        if path.endswith(".yaml")
        for d in yaml.safe_load_all(text)
        if isinstance(d, dict)
        and d.get("kind") in ("Application", "ApplicationSet")
        and d["metadata"]["name"].startswith("wiki")
    ]
    assert applications, "no Argo CD Application for the wiki"
    assert "values/common/wiki.yaml" in yaml.safe_dump(applications)

    # stackyard validate: schemas, chart values keys, policies, references.
    write_tree(tree, tmp_path / "repo", render_metadata(plan))
    report = validate_directory(tmp_path / "repo")
    errors = [f for f in report.findings if f.severity == "error"]
    assert errors == []


def test_a_value_builder_the_registry_lacks_fails_the_render() -> None:
    entry = (DATA / "wiki.yaml").read_text() + "values: {builder: no-such-builder}\n"
    catalog = build_catalog([*_shipped("data"), ("wiki.yaml", entry)], _shipped("values"))
    spec = yaml.safe_load(example_text("community-poc"))
    spec.setdefault("components", {})["wiki"] = {"enabled": True}
    plan = make_plan(load_spec_text(yaml.safe_dump(spec), "poc+wiki.yaml"), catalog)
    with pytest.raises(CatalogError, match="no value builder named 'no-such-builder'"):
        render_plan(plan)


def test_the_wikis_oidc_client_joins_the_platform_realm() -> None:
    tree, plan = _render("aws-standard")
    (cluster,) = [c.name for c in plan.clusters if c.has("keycloak")]
    (configmap,) = _documents(tree, f"manifests/{cluster}/keycloak/realm-platform.yaml")
    realm = json.loads(configmap["data"]["platform-realm.json"])
    clients = {c["clientId"]: c for c in realm["clients"]}
    assert "team-wiki" in clients and "wiki" not in clients
    root = "https://wiki.platform.example.com"
    assert clients["team-wiki"]["redirectUris"] == [f"{root}/login/generic_oauth"]
    assert clients["team-wiki"]["webOrigins"] == [root]
