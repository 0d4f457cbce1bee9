"""App clusters registered with mgmt's Teleport: the agent on each app cluster of an
Enterprise platform, its join token on mgmt admitting exactly that agent's service account,
the groups' Teleport roles reaching the app clusters with the groups RBAC binds there, and
the whole tree valid against the real schemas and the chart's values keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stackyard.render import write_tree
from stackyard.render.build import render_metadata, render_plan
from stackyard.render.manifests.teleportaccess import role_name
from stackyard.validate.crdschemas import check_resource
from stackyard.validate.run import validate_directory
from tests.enterprise_clusters import APP_CLUSTERS, JWKS, enterprise_with_app_clusters, with_jwks
from tests.render.conftest import Rendered, render_text
from tests.render.test_access import granted

AGENT = "teleport-kube-agent"
TOKENS = "manifests/mgmt/teleport/agent-join-tokens.yaml"
CLUSTERS = ("mgmt", *APP_CLUSTERS)


@pytest.fixture(scope="module")
def multi() -> Rendered:
    """aws-enterprise as mgmt + two app clusters, prod's keys declared, prod-b's not."""
    return render_text(with_jwks(enterprise_with_app_clusters(), "prod"))


def tokens(result: Rendered) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in result.documents(TOKENS)}


def application(result: Rendered, cluster: str) -> dict[str, Any]:
    [app] = [
        d
        for path, d in result.objects("apps/")
        if d.get("kind") == "Application" and d["metadata"]["name"] == f"{AGENT}-{cluster}"
    ]
    return app


def test_the_agent_runs_on_every_app_cluster_and_nowhere_else(multi: Rendered) -> None:
    running = [c.name for c in multi.plan.clusters if c.has(AGENT)]
    assert running == list(APP_CLUSTERS)
    assert not multi.plan.cluster("mgmt").has(AGENT)
    for cluster in APP_CLUSTERS:
        server = application(multi, cluster)["spec"]["destination"]["server"]
        assert server == f"https://api.{cluster}.platform.example.com:6443"


@pytest.mark.parametrize("example", ["aws-standard", "community-poc", "aws-enterprise"])
def test_no_agent_without_app_clusters_of_an_enterprise_platform(
    rendered: dict[str, Rendered], example: str
) -> None:
    result = rendered[example]
    assert not any(c.has(AGENT) for c in result.plan.clusters)
    assert not any(AGENT in path for path in result.files)
    assert not any(path.endswith("agent-join-tokens.yaml") for path in result.files)


def test_the_agent_joins_mgmts_teleport_proxy_under_its_cluster_name(multi: Rendered) -> None:
    teleport = multi.values("mgmt", "teleport")
    assert teleport["operator"] == {"enabled": True}  # it reconciles the join tokens
    for cluster in APP_CLUSTERS:
        values = multi.values(cluster, AGENT)
        assert values["roles"] == "kube"
        assert values["enterprise"] is True
        assert values["kubeClusterName"] == cluster
        assert values["proxyAddr"] == f"{teleport['clusterName']}:443"
        assert values["labels"] == {"stackyard.dev/cluster": cluster}
        assert values["joinParams"] == {
            "method": "kubernetes",
            "tokenName": f"stackyard-kube-agent-{cluster}",
        }


def test_the_agent_presents_a_short_lived_token_for_teleports_audience(multi: Rendered) -> None:
    audience = multi.values("mgmt", "teleport")["clusterName"]
    values = multi.values("prod", AGENT)
    [volume] = values["extraVolumes"]
    [source] = volume["projected"]["sources"]
    projected = source["serviceAccountToken"]
    assert projected["audience"] == audience
    assert projected["expirationSeconds"] <= 1800  # the auth service refuses longer ones
    [mount] = values["extraVolumeMounts"]
    assert mount["name"] == volume["name"]
    [env] = values["extraEnv"]
    assert env == {
        "name": "KUBERNETES_TOKEN_PATH",
        "value": f"{mount['mountPath']}/{projected['path']}",
    }


def test_one_token_per_app_cluster_admits_exactly_its_agents_service_account(
    multi: Rendered,
) -> None:
    found = tokens(multi)
    assert sorted(found) == sorted(f"stackyard-kube-agent-{c}" for c in APP_CLUSTERS)
    for cluster in APP_CLUSTERS:
        token = found[multi.values(cluster, AGENT)["joinParams"]["tokenName"]]
        spec = token["spec"]
        assert spec["roles"] == ["Kube"]
        assert spec["join_method"] == "kubernetes"
        assert spec["kubernetes"]["type"] == "static_jwks"
        # The chart names the agent's service account after the Helm release.
        app = application(multi, cluster)
        [chart] = [s for s in app["spec"]["sources"] if s.get("chart") == AGENT]
        account = f"{app['spec']['destination']['namespace']}:{chart['helm']['releaseName']}"
        assert spec["kubernetes"]["allow"] == [{"service_account": account}]
        assert token["metadata"]["namespace"] == "teleport"


def test_the_token_lists_the_declared_keys_and_none_before_they_are_known(
    multi: Rendered,
) -> None:
    found = tokens(multi)
    declared = found["stackyard-kube-agent-prod"]["spec"]["kubernetes"]["static_jwks"]["jwks"]
    assert json.loads(declared) == json.loads(JWKS)
    pending = found["stackyard-kube-agent-prod-b"]["spec"]["kubernetes"]["static_jwks"]["jwks"]
    assert json.loads(pending) == {"keys": []}  # admits nobody until prod-b's keys are in


def test_the_groups_teleport_roles_reach_the_app_clusters_with_their_rbac_groups(
    multi: Rendered,
) -> None:
    roles = {
        d["metadata"]["name"]: d["spec"]["allow"]
        for d in multi.documents("manifests/mgmt/teleport/access-roles.yaml")
        if d["kind"] == "TeleportRoleV7"
    }
    agent_labels = {c: multi.values(c, AGENT)["labels"] for c in APP_CLUSTERS}
    mgmt_label = multi.values("mgmt", "teleport")["labels"]
    reached_app_clusters = set()
    for group in multi.plan.spec.platform.identity.groups:
        if group.role == "cluster-admin":
            continue
        allow = roles[role_name(group)]
        [oidc_group] = allow["kubernetes_groups"]
        bound = [c for c in CLUSTERS if any(g == oidc_group for g, _, _ in granted(multi, c))]
        selector = allow["kubernetes_labels"]
        labels = {"mgmt": mgmt_label, **agent_labels}
        # The role selects a cluster exactly when the group is bound there.
        selected = [
            c
            for c in CLUSTERS
            if selector == {"*": "*"}
            or labels[c]["stackyard.dev/cluster"] in selector["stackyard.dev/cluster"]
        ]
        assert selected == bound, group.name
        reached_app_clusters.update(c for c in selected if c in APP_CLUSTERS)
    assert reached_app_clusters == set(APP_CLUSTERS)


def test_the_tokens_pass_the_teleport_operators_schema_and_a_misspelt_field_fails(
    multi: Rendered,
) -> None:
    token = tokens(multi)["stackyard-kube-agent-prod"]
    assert check_resource(token).ok
    token["spec"]["kubernetes"]["static_jwk"] = token["spec"]["kubernetes"].pop("static_jwks")
    result = check_resource(token)
    assert not result.ok
    assert "static_jwk: unknown field" in str(result.problems[0])


def test_the_multi_cluster_enterprise_tree_passes_the_real_validators(
    multi: Rendered, tmp_path: Path
) -> None:
    out = tmp_path / "repo"
    write_tree(render_plan(multi.plan), out, render_metadata(multi.plan))
    report = validate_directory(out)
    assert [f for f in report.findings if f.severity in ("error", "warning")] == []
    unchecked = " ".join(str(f.message) for f in report.findings)
    assert "agent-join-tokens.yaml" not in unchecked
    assert AGENT not in unchecked  # its values are checked against the chart's keys


def test_a_misspelt_agent_values_key_is_reported(multi: Rendered, tmp_path: Path) -> None:
    out = tmp_path / "repo"
    write_tree(render_plan(multi.plan), out, render_metadata(multi.plan))
    values = out / "values/clusters/prod" / f"{AGENT}.yaml"
    values.write_text(values.read_text().replace("joinParams:", "joinParam:"), encoding="utf-8")
    report = validate_directory(out)
    errors = [str(f.message) for f in report.findings if f.severity == "error"]
    assert any("joinParam" in e and AGENT in e for e in errors), errors
