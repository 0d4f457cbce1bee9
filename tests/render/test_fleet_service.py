"""The fleet service the platform deploys on its own mgmt cluster (``fleet.service``).

Each test renders an example with the service switched on and checks a property of what
Argo CD would apply: where it runs, that no secret value is in the tree, that the pod's
probes and port are the ones the real service answers on, that its options are ones
``stackyard serve`` accepts, and that the objects pass the real schemas, Pod Security
``restricted`` and the workload checks of ``stackyard assess``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.main import get_command

from stackyard.app import open_fleet, validate
from stackyard.assess import assess_directory
from stackyard.cli.main import app as cli
from stackyard.service import create_app
from tests.conftest import ROOT, render_example, with_example_apis
from tests.render.conftest import Rendered, example_text, render_text, schema_problems

FILE = "fleet-service.yaml"
SWITCH = "fleet:\n  service:\n    enabled: true\n"
OIDC = "    oidc: {issuer: https://login.example.com/realms/ops, clientId: fleet}\n"


def with_service(example: str, extra: str = "") -> Rendered:
    """``example`` rendered with ``fleet.service.enabled`` (and ``extra`` lines under it)."""
    text = example_text(example) + SWITCH + extra
    return render_text(text)


def fleet_objects(result: Rendered) -> list[tuple[str, dict[str, Any]]]:
    return [(p, o) for p, o in result.objects() if "/stackyard-fleet/" in p]


def deployment(result: Rendered, cluster: str) -> dict[str, Any]:
    path = f"manifests/{cluster}/stackyard-fleet/{FILE}"
    return result.find(path, "Deployment", "stackyard-fleet")


@pytest.fixture(scope="module")
def multicluster() -> Rendered:
    """Enterprise on local VMs: a mgmt cluster with External Secrets and two app clusters."""
    return with_service("local-multicluster", OIDC)


def test_the_service_runs_on_mgmt_only(multicluster: Rendered) -> None:
    running = {c.name for c in multicluster.plan.clusters if c.has("stackyard-fleet")}
    assert running == {"mgmt"}
    application = multicluster.documents("apps/applications/stackyard-fleet.yaml")[0]
    assert application["spec"]["sources"][0]["path"] == "manifests/mgmt/stackyard-fleet"
    assert application["spec"]["destination"]["namespace"] == "stackyard"
    assert {p.split("/")[1] for p, _ in fleet_objects(multicluster)} == {"mgmt"}


def test_no_secret_value_is_rendered(multicluster: Rendered) -> None:
    kinds = {o["kind"] for _, o in fleet_objects(multicluster)}
    assert "Secret" not in kinds
    (external,) = [o for _, o in fleet_objects(multicluster) if o["kind"] == "ExternalSecret"]
    assert external["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "vault"}
    assert {d["secretKey"]: set(d["remoteRef"]) for d in external["spec"]["data"]} == {
        "session-secret": {"key", "property"},
    }
    container = deployment(multicluster, "mgmt")["spec"]["template"]["spec"]["containers"][0]
    assert all("value" not in e or e["name"] == "HOME" for e in container["env"])


def test_postgresql_reads_its_url_from_vault_and_runs_two_replicas() -> None:
    result = with_service(
        "local-multicluster",
        OIDC.replace("fleet}", "fleet, clientSecretRef: {key: ops/fleet, property: secret}}")
        + "    database: postgresql\n",
    )
    spec = deployment(result, "mgmt")["spec"]
    assert spec["replicas"] == 2 and spec["strategy"] == {"type": "RollingUpdate"}
    container = spec["template"]["spec"]["containers"][0]
    (url,) = [e for e in container["env"] if e["name"] == "STACKYARD_DATABASE_URL"]
    assert url["valueFrom"]["secretKeyRef"] == {"name": "stackyard-fleet", "key": "database-url"}
    path = f"manifests/mgmt/stackyard-fleet/{FILE}"
    external = result.find(path, "ExternalSecret", "stackyard-fleet")
    refs = {d["secretKey"]: d["remoteRef"] for d in external["spec"]["data"]}
    assert refs["database-url"] == {"key": "stackyard/fleet", "property": "database-url"}
    assert refs["oidc-client-secret"] == {"key": "ops/fleet", "property": "secret"}
    claim = result.find(path, "PersistentVolumeClaim", "stackyard-fleet-data")
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert "--oidc-client-secret-file" in container["args"]


def test_sqlite_is_one_replica_replaced_not_rolled(multicluster: Rendered) -> None:
    spec = deployment(multicluster, "mgmt")["spec"]
    assert spec["replicas"] == 1 and spec["strategy"] == {"type": "Recreate"}
    path = f"manifests/mgmt/stackyard-fleet/{FILE}"
    claim = multicluster.find(path, "PersistentVolumeClaim", "stackyard-fleet-data")
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    volumes = spec["template"]["spec"]["volumes"]
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "stackyard-fleet-data"}} in (
        volumes
    )


def test_the_platform_keycloak_signs_people_in_where_it_runs() -> None:
    result = with_service("aws-standard")
    container = deployment(result, "prod")["spec"]["template"]["spec"]["containers"][0]
    args = container["args"]
    issuer = args[args.index("--oidc-issuer") + 1]
    assert issuer == "https://keycloak.platform.example.com/realms/platform"
    realm = result.documents("manifests/prod/keycloak/realm-platform.yaml")[0]
    assert '"clientId": "stackyard"' in realm["data"]["platform-realm.json"]
    external = result.find(
        f"manifests/prod/stackyard-fleet/{FILE}", "ExternalSecret", "stackyard-fleet"
    )
    refs = {d["secretKey"]: d["remoteRef"] for d in external["spec"]["data"]}
    assert refs["oidc-client-secret"] == {
        "key": "keycloak/clients/stackyard",
        "property": "client-secret",
    }


def test_a_provider_of_its_own_leaves_the_realm_without_the_services_client() -> None:
    result = with_service("aws-standard", OIDC)
    args = deployment(result, "prod")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--oidc-issuer") + 1] == "https://login.example.com/realms/ops"
    assert "--oidc-group-role" not in args  # the realm's groups mean nothing to that provider
    realm = result.documents("manifests/prod/keycloak/realm-platform.yaml")[0]
    clients = realm["data"]["platform-realm.json"]
    assert '"clientId": "stackyard"' not in clients
    assert '"clientId": "argocd"' in clients


def test_the_probes_ask_the_route_the_service_answers(
    multicluster: Rendered, tmp_path: Path
) -> None:
    container = deployment(multicluster, "mgmt")["spec"]["template"]["spec"]["containers"][0]
    probes = [container[k]["httpGet"] for k in ("startupProbe", "readinessProbe", "livenessProbe")]
    (port,) = container["ports"]
    assert all(p["port"] == port["name"] for p in probes)
    args = container["args"]
    assert int(args[args.index("--port") + 1]) == port["containerPort"]
    fleet = open_fleet(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        with TestClient(create_app(fleet)) as client:
            for probe in probes:
                assert client.get(probe["path"]).status_code == 200
    finally:
        fleet.close()


@pytest.mark.parametrize("example", ["local-multicluster", "aws-standard"])
def test_the_pod_runs_the_options_stackyard_serve_accepts(
    multicluster: Rendered, example: str
) -> None:
    result = multicluster if example == "local-multicluster" else with_service(example)
    cluster = "mgmt" if example == "local-multicluster" else "prod"
    container = deployment(result, cluster)["spec"]["template"]["spec"]["containers"][0]
    subcommand, *options = container["args"]
    serve = get_command(cli).commands[subcommand]  # type: ignore[attr-defined]
    # Parsing only: an option serve does not have raises here, as it would in the pod.
    parsed = serve.make_context("serve", options)
    assert parsed.params["port"] == container["ports"][0]["containerPort"]
    assert parsed.params["oidc_issuer"].startswith("https://")


def test_the_service_passes_pod_security_restricted(multicluster: Rendered) -> None:
    pod = deployment(multicluster, "mgmt")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    (container,) = pod["containers"]
    context = container["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert set(container["resources"]) == {"requests", "limits"}
    namespaces = multicluster.documents("manifests/mgmt/base/namespaces.yaml")
    (namespace,) = [n for n in namespaces if n["metadata"]["name"] == "stackyard"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_the_namespace_denies_by_default_and_admits_the_gateway(multicluster: Rendered) -> None:
    policies = [
        o
        for _, o in multicluster.objects("manifests/mgmt/")
        if o["kind"] in ("CiliumNetworkPolicy", "NetworkPolicy")
        and o["metadata"].get("namespace") == "stackyard"
    ]
    names = {p["metadata"]["name"] for p in policies}
    assert {"default-deny", "allow-from-gateway"} <= names


def test_the_route_publishes_the_service(multicluster: Rendered) -> None:
    routes = [
        o
        for _, o in multicluster.objects("manifests/mgmt/stackyard-fleet/")
        if o["kind"] == "HTTPRoute"
    ]
    (route,) = routes
    (rule,) = route["spec"]["rules"]
    assert rule["backendRefs"] == [{"name": "stackyard-fleet", "port": 8080}]
    assert route["spec"]["hostnames"][0].startswith("fleet.")


def test_the_objects_pass_their_real_schemas(multicluster: Rendered) -> None:
    problems = [p for p in schema_problems(multicluster) if "/stackyard-fleet/" in p[0]]
    assert problems == []
    assert fleet_objects(multicluster)


@pytest.fixture(scope="module")
def on_disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """aws-standard rendered to ``before/`` and, with the service, to ``after/``."""
    root = tmp_path_factory.mktemp("fleet")
    text = example_text("aws-standard")
    for name, spec in (("before", text), ("after", text + SWITCH)):
        path = with_example_apis(root / f"{name}.yaml")
        path.write_text(spec, encoding="utf-8")
        render_example(path, root / name)
    return root


def test_the_rendered_tree_validates_clean(on_disk: Path) -> None:
    result = validate(on_disk / "after")
    assert not result.failed and result.errors == []
    before = validate(on_disk / "before")
    assert [(w.check, w.message) for w in result.warnings] == [
        (w.check, w.message) for w in before.warnings
    ]


def test_assess_finds_no_new_gap(on_disk: Path) -> None:
    old = assess_directory(on_disk / "before", workers=0)
    new = assess_directory(on_disk / "after", workers=0)
    assert [f.object_ref for f in new.workload_findings if "stackyard" in f.object_ref] == []
    assert {a.area: a.rating for a in new.areas} == {a.area: a.rating for a in old.areas}
    assert new.level == old.level


def test_the_containerfile_builds_the_image_the_render_runs(multicluster: Rendered) -> None:
    lines = (ROOT / "Containerfile").read_text(encoding="utf-8").splitlines()
    pod = deployment(multicluster, "mgmt")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    user = pod["securityContext"]["runAsUser"]
    assert f"USER {user}:{pod['securityContext']['runAsGroup']}" in lines
    assert 'ENTRYPOINT ["stackyard"]' in lines  # the render passes serve's arguments
    assert f"EXPOSE {container['ports'][0]['containerPort']}" in lines
    assert [line for line in lines if line.startswith("FROM ")][-1] == "FROM python:3.11-slim"
