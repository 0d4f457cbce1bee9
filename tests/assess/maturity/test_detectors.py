"""Detectors read each practice where it is really configured, and say so with evidence."""

from __future__ import annotations

import pytest

from stackyard.assess import assess_directory
from stackyard.assess.detectors import DetectorResult, detectors_by_name
from stackyard.assess.inputs import RepositoryIndex, index_repository
from stackyard.assess.model import Evidence, Status
from tests.assess.maturity.conftest import WriteTree, control


def app(name: str, chart: str, values: str, sync: str = "selfHeal: true") -> str:
    body = "".join(f"        {line}\n" for line in values.splitlines())
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
spec:
  syncPolicy:
    automated:
      {sync}
  source:
    chart: {chart}
    helm:
      values: |
{body}"""


def verdict(write_tree: WriteTree, files: dict[str, str | bytes], detector: str) -> DetectorResult:
    facts: RepositoryIndex = index_repository(write_tree(files), [])
    return detectors_by_name()[detector].detect(facts)


RKE2_TF = """\
resource "aws_instance" "server" {{
  user_data = <<-EOT
    cat > /etc/rancher/rke2/config.yaml <<EOF
    {setting}
    EOF
  EOT
}}
"""


@pytest.mark.parametrize(
    ("files", "status", "detail"),
    [
        ({"main.tf": RKE2_TF.format(setting="cni: canal")}, "missing", "canal (overlay)"),
        (
            {
                "main.tf": RKE2_TF.format(setting="cni: cilium"),
                "cilium.yaml": app("cilium", "cilium", "ipam:\n  mode: eni"),
            },
            "achieved",
            "cilium (eni)",
        ),
        (
            {
                "main.tf": RKE2_TF.format(setting="cni: cilium"),
                "cilium.yaml": app("cilium", "cilium", "hubble:\n  enabled: true"),
            },
            "partial",
            "overlay on a cloud",
        ),
        (
            {"cilium.yaml": app("cilium", "cilium", "routingMode: tunnel")},
            "achieved",
            "eBPF dataplane",
        ),
        (
            {"rke2/config.yaml": "etcd-snapshot-schedule-cron: '0 * * * *'\ntoken: x\n"},
            "missing",
            "canal (overlay (RKE2 default))",
        ),
    ],
)
def test_cni_overlay_or_vpc_native(
    write_tree: WriteTree, files: dict[str, str | bytes], status: Status, detail: str
) -> None:
    result = verdict(write_tree, files, "cni-modern")
    assert result.status == status and detail in result.detail, result


NETPOL = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: p, namespace: shop}}
spec:
  podSelector: {selector}
  policyTypes: [Ingress]
"""
CNP = """\
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {{name: p, namespace: shop}}
spec:
  endpointSelector: {{}}
  ingress: {ingress}
"""


@pytest.mark.parametrize(
    ("policy", "status"),
    [
        (NETPOL.format(selector="{}"), "achieved"),
        (NETPOL.format(selector="{matchLabels: {app: web}}"), "missing"),
        (CNP.format(ingress="[{}]"), "achieved"),
        (CNP.format(ingress="[{fromEndpoints: [{}]}]"), "missing"),
    ],
)
def test_default_deny_in_its_spellings(write_tree: WriteTree, policy: str, status: Status) -> None:
    assert verdict(write_tree, {"p.yaml": policy}, "default-deny").status == status


@pytest.mark.parametrize(
    ("values", "status"),
    [
        ("server:\n  ha:\n    enabled: true\n    raft:\n      enabled: true", "achieved"),
        ("server:\n  standalone:\n    enabled: true", "missing"),
    ],
)
def test_vault_ha_with_raft_against_standalone(
    write_tree: WriteTree, values: str, status: Status
) -> None:
    result = verdict(write_tree, {"vault.yaml": app("vault", "vault", values)}, "vault-ha")
    assert result.status == status
    # The HA switch proves the practice; the standalone switch proves its absence.
    cited = result.evidence if status == "achieved" else result.gaps
    assert cited and not (result.gaps if status == "achieved" else result.evidence)


def test_a_keycloak_client_alone_is_not_sso(write_tree: WriteTree) -> None:
    client = 'resource "keycloak_openid_client" "argocd" {\n  client_id = "argocd"\n}\n'
    files: dict[str, str | bytes] = {
        "kc.tf": client,
        "grafana.yaml": app("grafana", "grafana", "replicas: 1"),
    }
    assert verdict(write_tree, files, "oidc-clients").status == "achieved"
    assert verdict(write_tree, files, "sso-wired").status == "missing"


def test_argocd_and_harbor_wiring_is_recognised(write_tree: WriteTree) -> None:
    files: dict[str, str | bytes] = {
        "argocd.yaml": app(
            "argocd", "argo-cd", "configs:\n  cm:\n    oidc.config: |\n      name: Keycloak"
        ),
        "harbor.yaml": app(
            "harbor", "harbor", 'core:\n  configureUserSettings: \'{"auth_mode": "oidc_auth"}\''
        ),
    }
    result = verdict(write_tree, files, "sso-all-uis")
    assert result.status == "achieved" and "Argo CD, Harbor" in result.detail
    assert Evidence("argocd.yaml", 15, 16, "cm.oidc.config: name: Keycloak") in result.evidence


@pytest.mark.parametrize(
    ("config", "status"),
    [
        (
            "etcd-snapshot-schedule-cron: '0 * * * *'\netcd-s3: true\netcd-s3-bucket: b\n",
            "achieved",
        ),
        ("etcd-snapshot-schedule-cron: '0 * * * *'\n", "partial"),
        ("etcd-disable-snapshots: true\n", "missing"),
    ],
)
def test_etcd_snapshots_need_a_schedule_and_an_offsite_copy(
    write_tree: WriteTree, config: str, status: Status
) -> None:
    assert (
        verdict(write_tree, {"nodes/rke2/config.yaml": config}, "etcd-snapshots").status == status
    )


def test_kubeadm_etcd_snapshots_from_a_script(write_tree: WriteTree) -> None:
    script = "#!/bin/sh\netcdctl snapshot save /backup/etcd.db\naws s3 cp /backup/etcd.db s3://b/\n"
    result = verdict(write_tree, {"backup/etcd.sh": script}, "etcd-snapshots")
    assert result.status == "achieved"
    assert (
        Evidence("backup/etcd.sh", 2, 2, "etcdctl snapshot save /backup/etcd.db") in result.evidence
    )


def test_velero_without_schedules_is_partial(write_tree: WriteTree) -> None:
    files: dict[str, str | bytes] = {"velero.yaml": app("velero", "velero", "configuration: {}")}
    assert verdict(write_tree, files, "velero-schedules").status == "partial"
    files["schedule.yaml"] = (
        "apiVersion: velero.io/v1\nkind: Schedule\n"
        "metadata: {name: daily}\nspec: {schedule: '@daily'}\n"
    )
    assert verdict(write_tree, files, "velero-schedules").status == "achieved"


def test_resources_are_counted_per_application(write_tree: WriteTree) -> None:
    files: dict[str, str | bytes] = {
        "a.yaml": app("a", "grafana", "resources:\n  requests: {cpu: 1}\n  limits: {memory: 1Gi}"),
        "b.yaml": app("b", "loki", "replicas: 1"),
        "c.yaml": app("c", "kyverno-policies", "podSecurityStandard: baseline"),
    }
    result = verdict(write_tree, files, "resource-requests")
    assert result.status == "partial"
    assert result.detail == "requests on 1 of 2 applications"  # policy-only charts run no pods


def test_self_heal_must_be_on_every_application(write_tree: WriteTree) -> None:
    files: dict[str, str | bytes] = {
        "a.yaml": app("a", "grafana", "x: 1"),
        "b.yaml": app("b", "loki", "x: 1", sync="prune: true"),
    }
    result = verdict(write_tree, files, "auto-sync-self-heal")
    assert result.status == "partial" and "1 of 2 applications" in result.detail


@pytest.mark.parametrize(("factor", "status"), [("webauthn", "achieved"), ("optional", "missing")])
def test_teleport_second_factor(write_tree: WriteTree, factor: str, status: Status) -> None:
    values = f"authentication:\n  secondFactor: {factor}"
    files: dict[str, str | bytes] = {"t.yaml": app("teleport", "teleport-cluster", values)}
    assert verdict(write_tree, files, "access-mfa").status == status


def test_a_single_alertmanager_is_cited(write_tree: WriteTree) -> None:
    values = "alertmanager:\n  alertmanagerSpec:\n    replicas: 1"
    result = verdict(
        write_tree, {"m.yaml": app("m", "kube-prometheus-stack", values)}, "alertmanager-ha"
    )
    assert result.status == "missing"
    assert result.gaps == (Evidence("m.yaml", 15, 15, "alertmanagerSpec.replicas: 1"),)
    assert not result.evidence


def test_image_verification_must_enforce(write_tree: WriteTree) -> None:
    policy = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {{name: verify}}
spec:
  validationFailureAction: {action}
  rules:
    - name: signed
      verifyImages:
        - imageReferences: ["harbor.example.com/*"]
"""
    audit = verdict(write_tree, {"p.yaml": policy.format(action="Audit")}, "admission-verify")
    assert audit.status == "partial"
    enforce = verdict(write_tree, {"p.yaml": policy.format(action="Enforce")}, "admission-verify")
    assert enforce.status == "achieved"
    assert enforce.evidence[0].line == 8


def test_ci_signing_and_sbom_are_found_in_gitlab_ci(write_tree: WriteTree) -> None:
    ci = (
        "build:\n  script:\n"
        "    - syft packages $IMAGE -o spdx-json > sbom.json\n"
        "    - cosign sign --yes $IMAGE\n"
    )
    files: dict[str, str | bytes] = {".gitlab-ci.yml": ci}
    assert verdict(write_tree, files, "sbom").evidence == (
        Evidence(".gitlab-ci.yml", 3, 3, "- syft packages $IMAGE -o spdx-json > sbom.json"),
    )
    assert verdict(write_tree, files, "image-signing").status == "achieved"
    assert "GitLab CI" in verdict(write_tree, files, "ci-pipelines").detail


def test_pod_security_on_some_namespaces_is_partial(write_tree: WriteTree) -> None:
    namespaces = """\
apiVersion: v1
kind: Namespace
metadata: {name: a, labels: {pod-security.kubernetes.io/enforce: baseline}}
---
apiVersion: v1
kind: Namespace
metadata: {name: b}
"""
    result = verdict(write_tree, {"ns.yaml": namespaces}, "pod-security-admission")
    assert result.status == "partial" and "1 of 2 namespaces" in result.detail


def test_a_failing_detector_becomes_a_notice(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = dict(detectors_by_name())

    class Broken:
        name = "grafana"
        looks_for = "Grafana"

        def detect(self, index: RepositoryIndex) -> DetectorResult:
            raise KeyError("boom")

    registry["grafana"] = Broken()
    monkeypatch.setattr("stackyard.assess.run.detectors_by_name", lambda: registry)
    assessment = assess_directory(write_tree({"a.yaml": "a: 1\n"}))
    assert control(assessment, "OBS-GRAFANA").status == "missing"
    assert any("detector grafana failed (KeyError" in n.message for n in assessment.notices)


KPS_DASHBOARDS = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: prometheus
spec:
  source:
    chart: kube-prometheus-stack
    helm:
      valuesObject:
        grafana:
          enabled: false
          {force}
"""
GRAFANA_SIDECAR = app("grafana", "grafana", "sidecar:\n  dashboards:\n    enabled: true")


@pytest.mark.parametrize(
    ("prometheus", "grafana", "status"),
    [
        # The chart's dashboards, deployed for the Grafana beside it, whose sidecar loads them.
        ("forceDeployDashboards: true", GRAFANA_SIDECAR, "achieved"),
        # Deployed, but no Grafana sidecar picks them up.
        ("forceDeployDashboards: true", None, "missing"),
        # Neither its Grafana nor forced: the chart renders no dashboards.
        ("forceDeployDashboards: false", GRAFANA_SIDECAR, "missing"),
    ],
)
def test_kube_prometheus_stack_dashboards_count_when_a_grafana_sidecar_loads_them(
    write_tree: WriteTree, prometheus: str, grafana: str | None, status: Status
) -> None:
    files: dict[str, str | bytes] = {"prometheus.yaml": KPS_DASHBOARDS.format(force=prometheus)}
    if grafana:
        files["grafana.yaml"] = grafana
    result = verdict(write_tree, files, "dashboards-as-code")
    assert result.status == status
    if status == "achieved":
        assert ("prometheus.yaml", 12) in {(e.file, e.line) for e in result.evidence}
