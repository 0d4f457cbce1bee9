"""Reading strangers' repositories: every odd file is skipped or handled with a notice."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stackyard.assess import assess_directory
from stackyard.assess.inputs import walk
from stackyard.assess.model import Evidence
from stackyard.errors import InputError
from tests.assess.maturity.conftest import DEPLOYMENT, WriteTree, index, messages


def test_a_binary_file_is_skipped_with_a_notice(write_tree: WriteTree) -> None:
    root = write_tree({"image.yaml": b"\x89PNG\r\n\x1a\n\x00\x00data", "ok.yaml": DEPLOYMENT})
    facts, notices = index(root)
    assert messages(notices, "image.yaml") == ["binary file (NUL byte): skipped"]
    assert facts.kind_counts["Deployment"] == 1


def test_invalid_yaml_keeps_the_documents_before_the_break(write_tree: WriteTree) -> None:
    root = write_tree({"mixed.yaml": DEPLOYMENT + "---\nkind: [unclosed\n"})
    facts, notices = index(root)
    (message,) = messages(notices, "mixed.yaml")
    assert message.startswith("line 14: invalid YAML") and "kept the 1 documents" in message
    assert facts.kind_counts["Deployment"] == 1


def test_helm_templates_are_read_with_actions_blanked_and_lines_kept(write_tree: WriteTree) -> None:
    template = (
        "{{- if .Values.enabled }}\n"
        + DEPLOYMENT.replace("name: web", "name: {{ .Release.Name }}")
        + "{{- end }}\n"
    )
    root = write_tree({"chart/templates/deployment.yaml": template})
    facts, notices = index(root)
    (message,) = messages(notices, "chart/templates/deployment.yaml")
    assert message == (
        "read as a template (Helm): 1 placeholder value unknown (not counted); "
        "2 template logic lines ignored"
    )
    (workload,) = facts.workloads
    assert workload.ref == "Deployment/shop/TEMPLATE"
    assert workload.containers[0].image_evidence.line == 12  # one line below the plain file


def test_a_helm_template_that_never_parses_is_skipped(write_tree: WriteTree) -> None:
    root = write_tree({"t.yaml": '{{ include "x" . }}\nkey: [a\n'})
    facts, notices = index(root)
    assert messages(notices, "t.yaml") == [
        "template (Helm) that is not YAML even with its template syntax replaced: "
        "skipped (line 3: invalid YAML: while parsing a flow sequence did not find "
        "expected ',' or ']')"
    ]
    assert not facts.kind_counts


def test_non_utf8_text_is_skipped_with_its_line(write_tree: WriteTree) -> None:
    root = write_tree({"latin.yaml": "a: 1\nname: caf\xe9\n".encode("latin-1")})
    _, notices = index(root)
    assert messages(notices, "latin.yaml") == ["not UTF-8 text (line 2): skipped"]


def test_a_symlink_loop_is_walked_once(write_tree: WriteTree) -> None:
    root = write_tree({"apps/web.yaml": DEPLOYMENT})
    os.symlink("..", root / "apps" / "loop")
    facts, notices = index(root)
    assert messages(notices, "apps/loop") == ["folder reached twice (symlink loop): skipped"]
    assert facts.kind_counts["Deployment"] == 1


def test_a_symlink_out_of_the_repository_is_not_followed(
    write_tree: WriteTree, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(DEPLOYMENT, encoding="utf-8")
    root = write_tree({"README.md": "x"})
    os.symlink(outside, root / "linked.yaml")
    os.symlink(tmp_path / "missing.yaml", root / "broken.yaml")
    facts, notices = index(root)
    assert messages(notices, "linked.yaml") == ["symlink points outside the repository: skipped"]
    assert messages(notices, "broken.yaml") == ["broken or looping symlink: skipped"]
    assert not facts.kind_counts


def test_vendored_folders_are_skipped_with_a_notice(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "vendor/lib/deploy.yaml": DEPLOYMENT,
            "node_modules/pkg/deploy.yaml": DEPLOYMENT,
            ".terraform/modules/x.tf": 'resource "a" "b" {}\n',
            ".git/config.yaml": DEPLOYMENT,
        }
    )
    facts, notices = index(root)
    assert {n.file for n in notices} == {"vendor", "node_modules", ".terraform"}
    assert all(n.message.startswith("excluded by default (") for n in notices)
    assert not facts.kind_counts and not facts.terraform


def test_duplicate_keys_keep_the_later_value_with_a_notice(write_tree: WriteTree) -> None:
    root = write_tree(
        {"d.yaml": DEPLOYMENT.replace("  namespace: shop\n", "  namespace: a\n  namespace: shop\n")}
    )
    facts, notices = index(root)
    assert messages(notices, "d.yaml") == [
        "line 6: duplicate key 'namespace' (first defined on line 5); kept the later value"
    ]
    assert facts.workloads[0].ref == "Deployment/shop/web"


@pytest.mark.parametrize(
    "text",
    [
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n"
            for p, c in zip("abcdefg", "bcdefgh", strict=True)
        ),
        "kind: !!python/object:os.system ls\n",
    ],
)
def test_hostile_yaml_skips_the_whole_file(write_tree: WriteTree, text: str) -> None:
    root = write_tree({"evil.yaml": DEPLOYMENT + "---\n" + text})
    facts, notices = index(root)
    assert messages(notices, "evil.yaml")[0].startswith("unsafe YAML, file skipped")
    assert not facts.kind_counts  # nothing from a hostile file is trusted


def test_oversized_files_are_skipped(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(walk, "MAX_FILE_BYTES", 100)
    root = write_tree({"big.yaml": DEPLOYMENT})
    _, notices = index(root)
    assert messages(notices, "big.yaml") == [
        f"file is {len(DEPLOYMENT)} bytes, over the 100 cap: skipped"
    ]


def test_a_missing_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a directory"):
        assess_directory(tmp_path / "nope")


def test_kubectl_list_exports_are_opened_with_item_positions(write_tree: WriteTree) -> None:
    export = """\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Namespace
    metadata:
      name: shop
      labels:
        pod-security.kubernetes.io/enforce: restricted
  - apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata:
      name: deny
      namespace: shop
    spec:
      podSelector: {}
      policyTypes: [Ingress]
"""
    root = write_tree({"cluster.yaml": export})
    facts, _ = index(root)
    (policy,) = facts.of_kind("NetworkPolicy")
    assert policy.evidence() == Evidence("cluster.yaml", 10, 17, "NetworkPolicy deny")
    assert policy.evidence("spec", "podSelector").line == 16
    (namespace,) = facts.of_kind("Namespace")
    assert namespace.labels()["pod-security.kubernetes.io/enforce"] == "restricted"


def test_workloads_are_reduced_to_compact_facts(write_tree: WriteTree) -> None:
    files: dict[str, str | bytes] = {
        f"apps/web{i}.yaml": DEPLOYMENT.replace("name: web", f"name: web{i}") for i in range(50)
    }
    facts, _ = index(write_tree(files))
    assert len(facts.workloads) == 50
    assert "Deployment" not in facts.objects  # whole documents are not kept


def test_terraform_heredocs_and_templates_keep_their_lines(write_tree: WriteTree) -> None:
    main = """\
resource "aws_instance" "server" {
  ami = "ami-1"
  user_data = <<-EOT
    #!/bin/bash
    cat > /etc/rancher/rke2/config.yaml <<EOF
    cni: cilium
    etcd-snapshot-schedule-cron: "0 * * * *"
    EOF
  EOT
}

resource "aws_instance" "agent" {
  user_data = templatefile("${path.module}/templates/agent.sh.tpl", { token = var.token })
}
"""
    template = "#!/bin/sh\ncat > /etc/rancher/rke2/config.yaml <<EOF\netcd-s3: true\nEOF\n"
    root = write_tree({"infra/main.tf": main, "infra/templates/agent.sh.tpl": template})
    facts, notices = index(root)
    assert notices == []
    settings = {(s.key, s.evidence.file, s.evidence.line) for s in facts.node_settings}
    assert settings == {
        ("cni", "infra/main.tf", 6),
        ("etcd-snapshot-schedule-cron", "infra/main.tf", 7),
        ("etcd-s3", "infra/templates/agent.sh.tpl", 3),
    }
    server = facts.resources("aws_instance")[0]
    assert (server.address, server.line, server.end_line) == ("aws_instance.server", 1, 10)
    assert server.evidence("ami") == Evidence("infra/main.tf", 2, 2, "ami = ami-1")


def test_terraform_that_does_not_parse_is_a_notice(write_tree: WriteTree) -> None:
    root = write_tree({"bad.tf": 'resource "a" {\n  x = \n'})
    facts, notices = index(root)
    assert messages(notices, "bad.tf") == [
        'line 1: Terraform block resource "a" not read (python-hcl2: Unexpected token '
        "Token('STRING_CHARS', '\\n\\n') at line 2, column 7.); "
        "the other blocks of the file are read"
    ]
    assert not facts.terraform


APPSET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: grafana
spec:
  goTemplate: true
  generators:
    - clusters: {}
  template:
    metadata:
      name: "grafana-{{.name}}"
    spec:
      sources:
        - repoURL: https://grafana.github.io/helm-charts
          chart: grafana
          helm:
            valueFiles:
              - $values/gitops/values/common/grafana.yaml
              - $values/gitops/values/clusters/{{.name}}/grafana.yaml
        - repoURL: https://git.example.com/platform.git
          ref: values
"""
CLUSTER_SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: {name}
  labels:
    argocd.argoproj.io/secret-type: cluster
stringData:
  name: {name}
  server: https://{name}.example.com
"""
CLUSTER_VALUES = {
    "apps/grafana.yaml": APPSET,
    "values/common/grafana.yaml": "replicas: 1\n",
    "values/clusters/prod/grafana.yaml": "replicas: 3\n",
    "values/clusters/dev/grafana.yaml": "replicas: 1\nunrelated: true\n",
    "other/grafana.yaml": "replicas: 9\n",
}


def test_each_generated_application_resolves_its_own_cluster_values(
    write_tree: WriteTree,
) -> None:
    root = write_tree(
        {
            **CLUSTER_VALUES,
            "clusters/prod.yaml": CLUSTER_SECRET.format(name="prod"),
            "clusters/dev.yaml": CLUSTER_SECRET.format(name="dev"),
        }
    )
    facts, _ = index(root)
    stacks = {s.name: s for s in facts.values("grafana")}
    assert set(stacks) == {
        "grafana-dev",
        "grafana-prod",
        "grafana-in-cluster",
        "other/grafana.yaml",
    }
    prod = stacks["grafana-prod"]
    assert [layer.file for layer in prod.layers] == [
        "values/common/grafana.yaml",
        "values/clusters/prod/grafana.yaml",
    ]
    hit = prod.get("replicas")
    assert hit is not None and hit.value == 3
    assert hit.evidence == Evidence("values/clusters/prod/grafana.yaml", 1, 1, "replicas: 3")
    dev = stacks["grafana-dev"].get("replicas")
    assert dev is not None and dev.evidence.file == "values/clusters/dev/grafana.yaml"
    # Argo CD's own cluster has no values file of its own: only the common one.
    local = stacks["grafana-in-cluster"]
    assert [layer.file for layer in local.layers] == ["values/common/grafana.yaml"]


def test_a_cluster_template_without_cluster_secrets_claims_no_values_file(
    write_tree: WriteTree,
) -> None:
    # 5ac5b48 turned {{.name}} into a glob: prod's and dev's files were both claimed.
    root = write_tree(CLUSTER_VALUES)
    facts, notices = index(root)
    (release,) = [r for r in facts.releases if r.application_set == "grafana"]
    assert [layer.file for layer in release.file_layers] == ["values/common/grafana.yaml"]
    assert release.sources[0].unresolved_files == (
        "$values/gitops/values/clusters/{{.name}}/grafana.yaml",
    )
    assert release.values_unknown
    said = messages(notices, "apps/grafana.yaml")
    assert said == [
        "line 1: grafana: known only at run time (cluster generator: no cluster Secret in the "
        "repository): metadata.name 'grafana-{{.name}}'; spec.sources[0].helm.valueFiles[1] "
        "'$values/gitops/values/clusters/{{.name}}/grafana.yaml'"
    ]


def test_values_are_found_through_every_front_door(write_tree: WriteTree) -> None:
    rke2 = """\
apiVersion: helm.cattle.io/v1
kind: HelmChartConfig
metadata:
  name: rke2-cilium
  namespace: kube-system
spec:
  valuesContent: |-
    kubeProxyReplacement: true
    ipam:
      mode: eni
"""
    kustomization = """\
helmCharts:
  - name: loki-stack
    repo: https://grafana.github.io/helm-charts
    valuesInline:
      promtail:
        enabled: true
"""
    flux = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: vault
  namespace: vault
spec:
  interval: 10m
  chart:
    spec:
      chart: vault
  values:
    server:
      ha:
        enabled: true
"""
    quoted = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: harbor
spec:
  source:
    chart: harbor
    helm:
      values: "trivy:\\n  enabled: false\\n"
"""
    root = write_tree(
        {
            "rke2/cilium.yaml": rke2,
            "logging/kustomization.yaml": kustomization,
            "flux/vault.yaml": flux,
            "apps/harbor.yaml": quoted,
            "helm/teleport-values.yaml": "authentication:\n  secondFactor: webauthn\n",
        }
    )
    facts, notices = index(root)
    assert notices == []
    ipam = facts.values("cilium")[0].get("ipam", "mode")
    assert ipam is not None and ipam.evidence == Evidence(
        "rke2/cilium.yaml", 10, 10, "ipam.mode: eni"
    )
    promtail = facts.values("promtail")[0].get("enabled")
    assert promtail is not None and promtail.evidence.line == 6
    ha = facts.values("vault")[0].get("server", "ha", "enabled")
    assert ha is not None and ha.evidence.line == 14
    trivy = facts.values("harbor")[0].get("trivy", "enabled")
    assert trivy is not None and trivy.value is False
    assert trivy.evidence.line == 9  # a quoted string cannot be mapped line by line
    factor = facts.values("teleport")[0].get("authentication", "secondFactor")
    assert factor is not None and factor.evidence.file == "helm/teleport-values.yaml"


def test_a_local_umbrella_chart_maps_its_dependencies(write_tree: WriteTree) -> None:
    chart = (
        "apiVersion: v2\nname: platform\nversion: 1.0.0\n"
        "dependencies:\n  - name: vault\n    alias: secrets\n"
    )
    root = write_tree(
        {
            "charts/platform/Chart.yaml": chart,
            "charts/platform/values.yaml": "secrets:\n  injector:\n    enabled: false\n",
        }
    )
    facts, _ = index(root)
    (stack,) = facts.values("vault")
    hit = stack.get("injector", "enabled")
    assert hit is not None and hit.evidence == Evidence(
        "charts/platform/values.yaml", 3, 3, "injector.enabled: false"
    )


def test_kustomizations_are_noted_with_their_resources_and_patches(write_tree: WriteTree) -> None:
    kustomization = "resources:\n  - a.yaml\n  - b.yaml\npatches:\n  - path: p.yaml\n"
    facts, _ = index(write_tree({"overlays/prod/kustomization.yaml": kustomization}))
    assert facts.kustomizations == [
        Evidence("overlays/prod/kustomization.yaml", 1, 5, "kustomization: 2 resources, 1 patches")
    ]


OWN_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
spec:
  source:
    {source}
    helm:
      valuesObject:
        {values}
"""


def test_values_of_charts_no_detector_reads_are_summarised_then_dropped(
    write_tree: WriteTree,
) -> None:
    values = "resources: {requests: {cpu: 1}, limits: {memory: 1Gi}}"
    app = OWN_APP.format(name="shop", source="chart: shop-api", values=values)
    facts, _ = index(write_tree({"apps/shop.yaml": app}))
    (release,) = facts.releases
    assert release.summary.requests == Evidence("apps/shop.yaml", 10, 10, "valuesObject.resources:")
    assert release.summary.limits is not None
    assert release.layers() == []
    assert [stack.layers for stack in facts.values("shop-api")] == [()]  # the release, no values


def test_the_repositorys_own_umbrella_chart_feeds_its_known_subcharts(
    write_tree: WriteTree,
) -> None:
    chart = "apiVersion: v2\nname: platform\nversion: 1.0.0\ndependencies:\n  - name: vault\n"
    app = OWN_APP.format(
        name="platform",
        source="path: charts/platform",
        values="vault: {server: {ha: {enabled: true}}}",
    )
    facts, _ = index(write_tree({"apps/platform.yaml": app, "charts/platform/Chart.yaml": chart}))
    (stack,) = facts.values("vault")
    hit = stack.get("server", "ha", "enabled")
    assert hit is not None and hit.value is True and hit.evidence.file == "apps/platform.yaml"
