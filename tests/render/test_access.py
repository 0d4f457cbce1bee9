"""Group-based access in the rendered tree: every declared group bound exactly as its role
says on exactly its clusters and namespaces, no human group ever bound to cluster-admin,
the two platform ClusterRoles without the RBAC escalation paths, Teleport roles and the
Keycloak connector from the same groups, and the whole tree valid against the real
Kubernetes schemas. Specs without groups render none of it (the goldens stay as they were)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from stackyard.render import write_tree
from stackyard.render.build import render_metadata, render_plan
from stackyard.render.manifests.teleportaccess import role_name
from stackyard.validate.crdschemas import check_resource
from stackyard.validate.run import validate_directory
from tests.render.conftest import EXAMPLE_NAMES, Rendered, example_text, render_text
from tests.spec_sections import without_sections

GROUPS = """
identity:
  mfa: {methods: [otp, webauthn], required: admins}
  groups:
    - {name: platform-admins, role: platform-admin}
    - {name: ops-app1, role: platform-admin, clusters: [app1]}
    - {name: auditors, role: auditor, clusters: [mgmt]}
    - {name: shop-admins, role: tenant-admin, tenant: shop}
    - {name: shop-devs, role: developer, tenant: shop, clusters: [app2]}
    - {name: shop-viewers, role: viewer, tenant: shop, clusters: [app1]}
    - {name: data-devs, role: developer, tenant: data}
    - {name: data-admins, role: tenant-admin, tenant: data}
    - {name: everyone, role: viewer}
    - {name: "Support Staff (EU)", role: viewer, clusters: [mgmt]}
    - {name: break-glass, role: cluster-admin}
"""
DATA_TENANT = "  - name: data\n    clusters: [app1]\n    namespaces: [data-etl, data-api]\n"
CLUSTERS = ("mgmt", "app1", "app2")
TENANT_NAMESPACES = {"shop": ("shop", {"app1", "app2"}), "data": None}


def mesh_local_with_groups() -> str:
    text = example_text("mesh-local")
    text = text.replace("tenants:\n", f"tenants:\n{DATA_TENANT}", 1)
    return text + GROUPS


@pytest.fixture(scope="module")
def tree() -> Rendered:
    return render_text(mesh_local_with_groups())


def bindings(result: Rendered, cluster: str) -> list[dict[str, Any]]:
    return [
        doc
        for path, doc in result.objects(f"manifests/{cluster}/")
        if doc["kind"] in ("RoleBinding", "ClusterRoleBinding")
    ]


def granted(result: Rendered, cluster: str) -> set[tuple[str, str, str]]:
    """``(oidc group, namespace or "*", role)`` of every binding to an OIDC group."""
    found = set()
    for doc in bindings(result, cluster):
        for subject in doc.get("subjects", []):
            if subject["kind"] == "Group" and subject["name"].startswith("oidc:"):
                namespace = doc["metadata"].get("namespace", "*")
                found.add((subject["name"], namespace, doc["roleRef"]["name"]))
    return found


def expected(result: Rendered, cluster: str) -> set[tuple[str, str, str]]:
    """What the spec says, worked out here without render's code."""
    platform = result.plan.spec.platform
    out = set()
    for group in platform.identity.groups:
        if group.clusters is not None and cluster not in group.clusters:
            continue
        name = f"oidc:{group.name}"
        if group.role == "platform-admin":
            out.add((name, "*", "stackyard:platform-admin"))
        elif group.role == "auditor":
            out.add((name, "*", "stackyard:auditor"))
        elif group.role == "cluster-admin":
            continue
        else:
            role = {"tenant-admin": "admin", "developer": "edit", "viewer": "view"}[group.role]
            if group.tenant is None:
                out.add((name, "*", role))
                continue
            tenant = platform.tenant(group.tenant)
            assert tenant is not None
            if cluster in tenant.clusters:
                out |= {(name, ns, role) for ns in (tenant.namespaces or [tenant.name])}
    return out


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_every_group_is_bound_as_its_role_says_on_its_clusters(
    tree: Rendered, cluster: str
) -> None:
    assert granted(tree, cluster) == expected(tree, cluster)


def test_the_expectation_is_not_empty_where_it_matters(tree: Rendered) -> None:
    # The property above would hold vacuously if nothing were bound anywhere.
    app1 = granted(tree, "app1")
    assert ("oidc:data-devs", "data-etl", "edit") in app1
    assert ("oidc:data-devs", "data-api", "edit") in app1
    assert ("oidc:shop-viewers", "shop", "view") in app1
    assert ("oidc:ops-app1", "*", "stackyard:platform-admin") in app1
    mgmt = granted(tree, "mgmt")
    assert not any(g == "oidc:shop-viewers" for g, _, _ in mgmt)  # shop does not live on mgmt
    assert ("oidc:Support Staff (EU)", "*", "view") in mgmt
    assert not any(g == "oidc:shop-devs" for g, _, _ in granted(tree, "app1"))


def test_tenant_bindings_land_in_namespaces_the_render_creates(tree: Rendered) -> None:
    for cluster in CLUSTERS:
        namespaces = {
            doc["metadata"]["name"]
            for _, doc in tree.objects(f"manifests/{cluster}/")
            if doc["kind"] == "Namespace"
        }
        for doc in bindings(tree, cluster):
            if doc["kind"] == "RoleBinding":
                assert doc["metadata"]["namespace"] in namespaces


def oidc_cluster_admins(result: Rendered) -> list[str]:
    return [
        f"{path}: {doc['metadata']['name']}"
        for path, doc in result.objects()
        if doc["kind"] in ("RoleBinding", "ClusterRoleBinding")
        and doc["roleRef"]["name"] == "cluster-admin"
        and any(s["name"].startswith("oidc:") for s in doc.get("subjects", []))
    ]


def test_no_human_group_is_bound_to_cluster_admin(tree: Rendered) -> None:
    assert oidc_cluster_admins(tree) == []
    assert "break-glass" not in "".join(
        tree.files[p] for p in tree.files if p.startswith("manifests/")
    )


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_no_example_binds_an_oidc_group_to_cluster_admin(
    rendered: dict[str, Rendered], name: str
) -> None:
    assert oidc_cluster_admins(rendered[name]) == []


@pytest.fixture(scope="module")
def without_identity() -> dict[str, Rendered]:
    """Every example rendered without its ``identity`` section, so without groups."""
    return {
        name: render_text(without_sections(example_text(name), "identity"))
        for name in EXAMPLE_NAMES
    }


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_a_spec_without_groups_renders_no_access_objects(
    without_identity: dict[str, Rendered], name: str
) -> None:
    result = without_identity[name]
    assert not result.plan.spec.platform.identity.groups
    assert not [p for p in result.files if p.endswith(("/access.yaml", "/access-roles.yaml"))]
    assert "ignoreAggregatedRoles" not in "".join(result.files.values())


def cluster_role(result: Rendered, cluster: str, name: str) -> dict[str, Any]:
    return result.find(f"manifests/{cluster}/base/access.yaml", "ClusterRole", name)


ESCALATION_VERBS = {"escalate", "bind", "impersonate", "approve", "sign", "*"}


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_platform_admin_has_no_escalation_path(tree: Rendered, cluster: str) -> None:
    role = cluster_role(tree, cluster, "stackyard:platform-admin")
    selectors = [s["matchLabels"] for s in role["aggregationRule"]["clusterRoleSelectors"]]
    # Aggregating admin or edit would pull in the built-in edit (impersonate ServiceAccounts).
    assert all(
        not key.endswith(("aggregate-to-admin", "aggregate-to-edit"))
        for labels in selectors
        for key in labels
    )
    companions = [
        doc
        for _, doc in tree.objects(f"manifests/{cluster}/")
        if doc["kind"] == "ClusterRole"
        and any(doc["metadata"].get("labels", {}).items() >= s.items() for s in selectors)
    ]
    assert [c["metadata"]["name"] for c in companions] == ["stackyard:platform-admin:built-in"]
    rules = companions[0]["rules"]
    for rule in rules:
        assert not ESCALATION_VERBS & set(rule["verbs"]), rule
        if "" in rule.get("apiGroups", []) or "*" in rule.get("apiGroups", []):
            assert "*" not in rule["apiGroups"] and "*" not in rule["resources"]
            assert "nodes/proxy" not in rule["resources"]
            assert "serviceaccounts/token" not in rule["resources"]
    core = next(r for r in rules if r.get("apiGroups") == [""])
    assert {"pods", "pods/exec", "secrets", "nodes", "namespaces"} <= set(core["resources"])


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_auditor_reads_everything_but_secrets(tree: Rendered, cluster: str) -> None:
    role = cluster_role(tree, cluster, "stackyard:auditor")
    selectors = [s["matchLabels"] for s in role["aggregationRule"]["clusterRoleSelectors"]]
    assert {"rbac.authorization.k8s.io/aggregate-to-view": "true"} in selectors
    companion = cluster_role(tree, cluster, "stackyard:auditor:built-in")
    assert any(companion["metadata"]["labels"].items() >= s.items() for s in selectors)
    for rule in companion["rules"]:
        assert set(rule["verbs"]) <= {"get", "list", "watch"}
        assert "*" not in rule["apiGroups"]
        if "" in rule["apiGroups"]:
            assert "secrets" not in rule["resources"] and "*" not in rule["resources"]
            assert not [r for r in rule["resources"] if r.endswith(("/exec", "/proxy"))]
    core = next(r for r in companion["rules"] if r["apiGroups"] == [""])
    assert {"pods", "nodes", "namespaces", "persistentvolumes"} <= set(core["resources"])


def test_argo_cd_ignores_the_rules_the_aggregation_fills_in(tree: Rendered) -> None:
    cm = tree.values("mgmt", "argo-cd")["configs"]["cm"]
    assert cm["resource.compareoptions"] == "ignoreAggregatedRoles: true\n"


def test_argo_cd_makes_every_platform_admin_group_an_admin() -> None:
    rbac = render_text(
        bare_enterprise()
        + ENTERPRISE_GROUPS.replace(
            "{name: auditors, role: auditor}", "{name: Ops Team, role: platform-admin}"
        )
    ).values("prod", "argo-cd")["configs"]["rbac"]
    assert rbac["policy.csv"] == "g, platform-admins, role:admin\ng, Ops Team, role:admin\n"
    assert rbac["policy.default"] == "role:readonly"


def test_a_group_name_that_is_no_dns_label_gets_a_safe_distinct_object_name(
    tree: Rendered,
) -> None:
    [binding] = [
        doc for doc in bindings(tree, "mgmt") if doc["subjects"][0]["name"].endswith("(EU)")
    ]
    name = binding["metadata"]["name"]
    assert name.startswith("stackyard:viewer:support-staff-eu-") and " " not in name


def test_the_rendered_tree_passes_the_real_validators(tree: Rendered, tmp_path: Path) -> None:
    out = tmp_path / "repo"
    write_tree(render_plan(tree.plan), out, render_metadata(tree.plan))
    report = validate_directory(out)
    problems = [f for f in report.findings if f.severity in ("error", "warning")]
    assert problems == []


# --- Teleport (Enterprise, aws-enterprise runs it with Keycloak) --------------------------


def bare_enterprise() -> str:
    """The enterprise example without its own identity section (the tests declare theirs)."""
    return example_text("aws-enterprise").split("\nidentity:", 1)[0] + "\n"


ENTERPRISE_GROUPS = """
identity:
  mfa: {methods: [webauthn]}
  groups:
    - {name: platform-admins, role: platform-admin}
    - {name: web-admins, role: tenant-admin, tenant: team-web}
    - {name: data-devs, role: developer, tenant: team-data}
    - {name: auditors, role: auditor}
    - {name: break-glass, role: cluster-admin}
"""


@pytest.fixture(scope="module")
def enterprise() -> Rendered:
    return render_text(bare_enterprise() + ENTERPRISE_GROUPS)


def teleport_objects(result: Rendered, kind: str) -> list[dict[str, Any]]:
    return [
        d
        for d in result.documents("manifests/prod/teleport/access-roles.yaml")
        if d["kind"] == kind
    ]


def test_each_group_but_cluster_admin_gets_a_teleport_role_impersonating_its_group(
    enterprise: Rendered,
) -> None:
    roles = {
        r["metadata"]["name"]: r["spec"]["allow"]
        for r in teleport_objects(enterprise, "TeleportRoleV7")
    }
    groups = enterprise.plan.spec.platform.identity.groups
    assert set(roles) == {f"stackyard-{g.name}" for g in groups if g.role != "cluster-admin"}
    for group in groups:
        allow = roles.get(f"stackyard-{group.name}")
        if allow is None:
            continue
        assert allow["kubernetes_groups"] == [f"oidc:{group.name}"]
        assert allow["logins"] == []
        assert allow["kubernetes_labels"] == {"*": "*"}


def test_the_connector_maps_each_group_claim_to_its_role(enterprise: Rendered) -> None:
    [connector] = teleport_objects(enterprise, "TeleportOIDCConnector")
    spec = connector["spec"]
    mapping = {m["value"]: m["roles"] for m in spec["claims_to_roles"]}
    assert mapping == {
        g.name: [f"stackyard-{g.name}"]
        for g in enterprise.plan.spec.platform.identity.groups
        if g.role != "cluster-admin"
    }
    assert all(m["claim"] == "groups" for m in spec["claims_to_roles"])
    assert spec["issuer_url"] == "https://keycloak.platform.example.com/realms/platform"
    assert spec["client_secret"] == "secret://teleport-oidc/client-secret"
    assert "teleport-oidc" in enterprise.files["README.md"]


def test_teleport_runs_its_operator_and_labels_its_kubernetes_cluster(
    enterprise: Rendered,
) -> None:
    values = enterprise.values("prod", "teleport")
    assert values["operator"] == {"enabled": True}
    assert values["labels"] == {"stackyard.dev/cluster": "prod"}


def test_teleport_roles_select_exactly_the_clusters_where_the_group_is_bound() -> None:
    text = mesh_local_with_groups().replace("  teleport: {enabled: false}\n", "", 1)
    result = render_text(text)
    [path] = [p for p in result.files if p.endswith("/teleport/access-roles.yaml")]
    labels = {
        d["metadata"]["name"]: d["spec"]["allow"]["kubernetes_labels"]
        for d in result.documents(path)
    }
    for group in result.plan.spec.platform.identity.groups:
        if group.role == "cluster-admin":
            continue
        bound = [
            c for c in CLUSTERS if any(g == f"oidc:{group.name}" for g, _, _ in granted(result, c))
        ]
        selector = labels[role_name(group)]
        if bound == list(CLUSTERS):
            assert selector == {"*": "*"}, group.name
        else:
            assert selector == {"stackyard.dev/cluster": bound}, group.name
    assert labels["stackyard-ops-app1"] == {"stackyard.dev/cluster": ["app1"]}
    assert labels["stackyard-shop-admins"] == {"stackyard.dev/cluster": ["app1", "app2"]}


def test_the_enterprise_tree_passes_the_real_validators_teleport_crs_included(
    enterprise: Rendered, tmp_path: Path
) -> None:
    out = tmp_path / "repo"
    write_tree(render_plan(enterprise.plan), out, render_metadata(enterprise.plan))
    report = validate_directory(out)
    assert [f for f in report.findings if f.severity in ("error", "warning")] == []
    checked = {str(f.location.file) for f in report.findings}
    assert not any("access-roles.yaml" in file for file in checked)  # not even "not checked"


def test_the_teleport_schemas_refuse_a_misspelt_field(enterprise: Rendered) -> None:
    [role, *_] = teleport_objects(enterprise, "TeleportRoleV7")
    assert check_resource(role).ok
    allow = role["spec"]["allow"]
    allow["kubernetes_group"] = allow.pop("kubernetes_groups")
    result = check_resource(role)
    assert not result.ok
    assert "kubernetes_group: unknown field" in str(result.problems[0])


def test_without_groups_teleport_values_are_unchanged(
    without_identity: dict[str, Rendered],
) -> None:
    values = without_identity["aws-enterprise"].values("prod", "teleport")
    assert "operator" not in values and "labels" not in values
    assert "teleport-oidc" not in without_identity["aws-enterprise"].files["README.md"]


def test_roles_documents_are_yaml_without_anchors(tree: Rendered) -> None:
    text = tree.files["manifests/mgmt/base/access.yaml"]
    assert "&id" not in text and "*id" not in text
    assert yaml.safe_load_all(text)
