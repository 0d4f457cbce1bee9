"""ApplicationSets are read as Argo CD reads them: one release per generated application.

Each generator type is expanded from what the repository holds (list elements, cluster
Secrets, git files and folders, matrix and merge of them), in both template syntaxes;
what only the running controller knows is an unknown, said in a notice, and never
resolved to every file a glob matches.
"""

from __future__ import annotations

import json

import pytest

from stackyard.assess.inputs import Release, RepositoryIndex
from stackyard.assess.model import Evidence, Notice
from tests.assess.maturity.conftest import WriteTree, index, messages

HEADER = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: {name}
  namespace: argocd
spec:
"""
CLUSTER = """\
apiVersion: v1
kind: Secret
metadata:
  name: {name}
  labels:
    argocd.argoproj.io/secret-type: cluster
    env: {env}
  annotations:
    team: {team}
stringData:
  name: {name}
  server: https://{name}.example.com
"""
ADDON_TEMPLATE = """\
  template:
    metadata:
      name: "{name}"
    spec:
      project: default
      source:
        repoURL: https://charts.example.com
        chart: "{chart}"
        targetRevision: 1.0.0
        helm:
          valueFiles:
            - "{values}"
      destination:
        server: https://kubernetes.default.svc
        namespace: addons
      syncPolicy:
        automated:
          selfHeal: true
"""


def appset(name: str, generators: str, template: str, go: bool = True) -> str:
    """An ApplicationSet manifest: ``generators`` is the indented YAML of the list."""
    head = HEADER.format(name=name) + ("  goTemplate: true\n" if go else "")
    return head + "  generators:\n" + generators + template


def generated(facts: RepositoryIndex, name: str) -> dict[str, Release]:
    """The applications ``name`` generated, by application name."""
    return {r.name: r for r in facts.releases if r.application_set == name}


def said(notices: list[Notice], file: str) -> str:
    """Every notice about ``file``, one per line."""
    return "\n".join(messages(notices, file))


def addon_values(*charts: str, with_resources: str = "") -> dict[str, str]:
    """A values file per addon; only ``with_resources`` sets requests."""
    files = {}
    for chart in charts:
        body = "resources:\n  requests: {cpu: 10m}\n" if chart == with_resources else "x: 1\n"
        files[f"addons/{chart}/values.yaml"] = body
    return files


LIST_GO = """\
    - list:
        elements:
          - values: {addonChart: cert-manager}
          - values: {addonChart: ingress-nginx}
          - values: {addonChart: velero}
"""


def test_list_elements_each_become_a_release_with_their_own_chart_and_values(
    write_tree: WriteTree,
) -> None:
    template = ADDON_TEMPLATE.format(
        name="addon-{{.values.addonChart}}",
        chart="{{.values.addonChart}}",
        values="addons/{{.values.addonChart}}/values.yaml",
    )
    root = write_tree(
        {
            "apps/addons.yaml": appset("addons", LIST_GO, template),
            **addon_values("cert-manager", "ingress-nginx", "velero", with_resources="velero"),
        }
    )
    facts, notices = index(root)
    apps = generated(facts, "addons")
    assert sorted(apps) == ["addon-cert-manager", "addon-ingress-nginx", "addon-velero"]
    velero = apps["addon-velero"]
    assert velero.charts == ("velero",)
    assert [layer.file for layer in velero.file_layers] == ["addons/velero/values.yaml"]
    assert velero.summary.requests == Evidence("addons/velero/values.yaml", 1, 2, "resources:")
    # 5ac5b48 globbed addons/*/values.yaml: every addon claimed velero's requests.
    assert apps["addon-cert-manager"].summary.requests is None
    # Cited where the template names it and at the element that supplied its chart,
    # each quoting what is written there (not at the whole ApplicationSet).
    assert velero.evidence == Evidence(
        "apps/addons.yaml", 16, 16, "metadata.name: addon-{{.values.addonChart}} — addon-velero"
    )
    assert velero.elements == (Evidence("apps/addons.yaml", 13, 13, "values.addonChart: velero"),)
    assert velero.self_heal is not None and velero.self_heal.evidence.line == 31
    assert said(notices, "apps/addons.yaml") == ""
    assert [a.applications for a in facts.application_sets] == [3]


def test_elements_yaml_is_read_like_elements(write_tree: WriteTree) -> None:
    generators = """\
    - list:
        elementsYaml: |
          - values: {addonChart: vault}
          - values: {addonChart: loki}
"""
    template = ADDON_TEMPLATE.format(
        name="{{.values.addonChart}}", chart="{{.values.addonChart}}", values="v.yaml"
    )
    facts, _ = index(write_tree({"addons.yaml": appset("from-yaml", generators, template)}))
    assert sorted(r.charts[0] for r in generated(facts, "from-yaml").values()) == ["loki", "vault"]


FAST_TEMPLATE = ADDON_TEMPLATE.format(
    name="{{name}}-monitoring",
    chart="kube-prometheus-stack",
    values="values/{{metadata.labels.env}}/{{name}}.yaml",
)


def test_cluster_generator_reads_the_cluster_secrets_labels_and_selector(
    write_tree: WriteTree,
) -> None:
    generators = """\
    - clusters:
        selector:
          matchExpressions:
            - {key: env, operator: In, values: [prod]}
"""
    root = write_tree(
        {
            "apps/monitoring.yaml": appset("monitoring", generators, FAST_TEMPLATE, go=False),
            "clusters/eu.yaml": CLUSTER.format(name="eu", env="prod", team="a"),
            "clusters/us.yaml": CLUSTER.format(name="us", env="prod", team="b"),
            "clusters/lab.yaml": CLUSTER.format(name="lab", env="dev", team="c"),
            "values/prod/eu.yaml": "resources:\n  requests: {cpu: 1}\n",
            "values/prod/us.yaml": "x: 1\n",
        }
    )
    facts, _ = index(root)
    apps = generated(facts, "monitoring")
    # The selector leaves out the dev cluster and Argo CD's own cluster.
    assert sorted(apps) == ["eu-monitoring", "us-monitoring"]
    eu = apps["eu-monitoring"]
    assert [layer.file for layer in eu.file_layers] == ["values/prod/eu.yaml"]
    assert eu.elements[1] == Evidence(
        "clusters/eu.yaml", 12, 12, "stringData.server: https://eu.example.com — cluster eu"
    )
    assert apps["us-monitoring"].summary.requests is None


def test_cluster_generator_without_selector_adds_argo_cds_own_cluster(
    write_tree: WriteTree,
) -> None:
    generators = """\
    - clusters:
        values:
          team: '{{ index .metadata.annotations "team" }}'
"""
    template = ADDON_TEMPLATE.format(
        name="{{.nameNormalized}}-{{.values.team}}", chart="grafana", values="g.yaml"
    )
    root = write_tree(
        {
            "apps/grafana.yaml": appset("grafana", generators, template),
            "clusters/eu.yaml": CLUSTER.format(name="EU_1", env="prod", team="sre"),
        }
    )
    facts, notices = index(root)
    assert sorted(generated(facts, "grafana")) == ["eu-1-sre", "in-cluster-{{.values.team}}"]
    # Argo CD's own cluster has no annotations: the value is not provided.
    assert said(notices, "apps/grafana.yaml") == (
        "line 1: grafana: not provided by the generators: "
        "metadata.name '{{.nameNormalized}}-{{.values.team}}'"
    )


def test_git_files_are_read_and_flattened_into_parameters(write_tree: WriteTree) -> None:
    generators = """\
    - git:
        repoURL: https://git.example.com/platform.git
        revision: HEAD
        files:
          - path: "addons/**/config.json"
          - path: "addons/disabled/config.json"
            exclude: true
"""
    template = ADDON_TEMPLATE.format(
        name="{{addon.chart}}-{{path.basename}}",
        chart="{{addon.chart}}",
        values="{{path}}/values.yaml",
    )
    config = {"addon": {"chart": "cert-manager"}}
    root = write_tree(
        {
            "apps/addons.yaml": appset("files", generators, template, go=False),
            "addons/tls/config.json": json.dumps(config),
            "addons/tls/values.yaml": "resources:\n  limits: {cpu: 1}\n",
            "addons/disabled/config.json": json.dumps({"addon": {"chart": "falco"}}),
            "addons/disabled/values.yaml": "x: 1\n",
        }
    )
    facts, _ = index(root)
    (app,) = generated(facts, "files").values()
    assert app.name == "cert-manager-tls" and app.charts == ("cert-manager",)
    assert [layer.file for layer in app.file_layers] == ["addons/tls/values.yaml"]
    assert app.elements == (
        Evidence(
            "addons/tls/config.json",
            1,
            1,
            "addon.chart: cert-manager — git file addons/tls/config.json",
        ),
    )


def test_git_directories_give_path_parameters_and_honour_exclude(write_tree: WriteTree) -> None:
    generators = """\
    - git:
        repoURL: https://git.example.com/platform.git
        revision: HEAD
        directories:
          - path: teams/*
          - path: teams/sandbox
            exclude: true
"""
    template = """\
  template:
    metadata:
      name: "{{.path.basenameNormalized}}-{{index .path.segments 0}}"
    spec:
      source:
        repoURL: https://git.example.com/platform.git
        path: "{{.path.path}}"
      destination:
        server: https://kubernetes.default.svc
        namespace: "{{.path.basename}}"
"""
    root = write_tree(
        {
            "apps/teams.yaml": appset("teams", generators, template),
            "teams/Payments_EU/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: p}\n",
            "teams/search/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: s}\n",
            "teams/sandbox/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n",
            "teams/search/deep/more.yaml": "a: 1\n",
        }
    )
    facts, _ = index(root)
    apps = generated(facts, "teams")
    assert sorted(apps) == ["payments-eu-teams", "search-teams"]
    assert apps["search-teams"].sources[0].path == "teams/search"
    assert apps["search-teams"].namespace == "search"


def test_matrix_feeds_the_first_generators_parameters_to_the_second(
    write_tree: WriteTree,
) -> None:
    generators = """\
    - matrix:
        generators:
          - clusters:
              selector:
                matchLabels: {env: prod}
          - git:
              repoURL: https://git.example.com/platform.git
              revision: HEAD
              files:
                - path: "clusters/{{.name}}/addons.yaml"
"""
    template = ADDON_TEMPLATE.format(
        name="{{.name}}-{{.chart}}",
        chart="{{.chart}}",
        values="clusters/{{.name}}/{{.chart}}.yaml",
    )
    root = write_tree(
        {
            "apps/matrix.yaml": appset("per-cluster", generators, template),
            "clusters/eu.yaml": CLUSTER.format(name="eu", env="prod", team="a"),
            "clusters/us.yaml": CLUSTER.format(name="us", env="prod", team="b"),
            "clusters/eu/addons.yaml": "- chart: vault\n- chart: keda\n",
            "clusters/us/addons.yaml": "- chart: vault\n",
            "clusters/eu/vault.yaml": "server: {ha: {enabled: true}}\n",
            "clusters/us/vault.yaml": "server: {ha: {enabled: false}}\n",
        }
    )
    facts, _ = index(root)
    apps = generated(facts, "per-cluster")
    assert sorted(apps) == ["eu-keda", "eu-vault", "us-vault"]
    assert [layer.file for layer in apps["us-vault"].file_layers] == ["clusters/us/vault.yaml"]
    assert [e.file for e in apps["eu-keda"].elements] == [
        "apps/matrix.yaml",
        "clusters/eu.yaml",
        "clusters/eu/addons.yaml",
    ]


def test_merge_overrides_base_parameters_by_merge_key(write_tree: WriteTree) -> None:
    generators = """\
    - merge:
        mergeKeys: [addon]
        generators:
          - list:
              elements:
                - {addon: vault, chart: vault, version: "1"}
                - {addon: loki, chart: loki, version: "1"}
          - list:
              elements:
                - {addon: loki, version: "2"}
"""
    template = ADDON_TEMPLATE.format(
        name="{{.addon}}-{{.version}}", chart="{{.chart}}", values="v.yaml"
    )
    facts, _ = index(write_tree({"apps/merge.yaml": appset("merged", generators, template)}))
    assert sorted(generated(facts, "merged")) == ["loki-2", "vault-1"]


@pytest.mark.parametrize(
    ("generator", "reason"),
    [
        ("    - pullRequest:\n        github: {owner: o, repo: r}\n", "pull request generator"),
        ("    - scmProvider:\n        github: {organization: o}\n", "SCM provider generator"),
        (
            "    - clusterDecisionResource:\n        configMapRef: ocm\n",
            "cluster decision resource generator",
        ),
        ("    - clusters: {}\n", "cluster generator: no cluster Secret in the repository"),
        (
            "    - git:\n        repoURL: https://git.example.com/other.git\n"
            "        files: [{path: 'envs/*.json'}]\n",
            "git files generator: nothing in this repository matches envs/*.json "
            "(repoURL https://git.example.com/other.git)",
        ),
    ],
)
def test_run_time_generators_leave_their_fields_unknown_and_say_so(
    write_tree: WriteTree, generator: str, reason: str
) -> None:
    template = ADDON_TEMPLATE.format(
        name="preview-{{.number}}", chart="{{.values.chart}}", values="previews/{{.branch}}.yaml"
    )
    root = write_tree(
        {
            "apps/runtime.yaml": appset("runtime", generator, template),
            "previews/main.yaml": "resources:\n  requests: {cpu: 1}\n",
            "previews/dev.yaml": "resources:\n  requests: {cpu: 1}\n",
        }
    )
    facts, notices = index(root)
    (app,) = generated(facts, "runtime").values()
    assert app.charts == () and app.values_unknown
    assert app.file_layers == [] and app.summary.requests is None
    text = said(notices, "apps/runtime.yaml")
    assert text == (
        f"line 1: runtime: known only at run time ({reason}): "
        "metadata.name 'preview-{{.number}}'; spec.source.chart '{{.values.chart}}'; "
        "spec.source.helm.valueFiles[0] 'previews/{{.branch}}.yaml'"
    )
    assert app.self_heal is not None  # what the template says for every application holds


def test_a_parameter_no_generator_provides_is_unknown_not_globbed(
    write_tree: WriteTree,
) -> None:
    template = ADDON_TEMPLATE.format(
        name="addon-{{.values.addonChart}}",
        chart="{{.values.addonChart}}",
        values="addons/{{.values.addonChart}}/{{.values.missing}}.yaml",
    )
    root = write_tree(
        {
            "apps/addons.yaml": appset("addons", LIST_GO, template),
            "addons/velero/prod.yaml": "resources:\n  requests: {cpu: 1}\n",
        }
    )
    facts, notices = index(root)
    assert all(r.summary.requests is None for r in generated(facts, "addons").values())
    assert said(notices, "apps/addons.yaml") == (
        "line 1: addons: not provided by the generators: spec.source.helm.valueFiles[0] "
        "'addons/{{.values.addonChart}}/{{.values.missing}}.yaml'"
    )


def test_a_simple_template_patch_is_applied(write_tree: WriteTree) -> None:
    template = ADDON_TEMPLATE.format(
        name="{{.values.addonChart}}", chart="{{.values.addonChart}}", values="v.yaml"
    ).replace("        automated:\n          selfHeal: true\n", "        syncOptions: []\n")
    patch = """\
  templatePatch: |
    spec:
      syncPolicy:
        automated:
          selfHeal: true
"""
    root = write_tree({"apps/patched.yaml": appset("patched", LIST_GO, template + patch)})
    facts, notices = index(root)
    assert all(r.self_heal is not None for r in generated(facts, "patched").values())
    assert said(notices, "apps/patched.yaml") == ""


UMBRELLA_CHART = """\
apiVersion: v2
name: platform
version: 1.0.0
dependencies:
  - {name: argo-cd, alias: argocd, version: 7.7.0, repository: https://argoproj.github.io/argo-helm}
  - {name: argocd-apps, alias: apps, version: 1.6.2, repository: https://argoproj.github.io/argo-helm}
"""
# argocd-apps before 2.0.0 took lists of entries with a name; argo-cd renders extraObjects.
UMBRELLA_VALUES = """\
argocd:
  extraObjects:
    - apiVersion: argoproj.io/v1alpha1
      kind: Application
      metadata: {name: extra, namespace: argocd}
      spec:
        source: {repoURL: https://charts.jetstack.io, chart: cert-manager}
        syncPolicy: {automated: {selfHeal: true}}
apps:
  applications:
    - name: root
      project: default
      source: {repoURL: https://git.example.com/p.git, path: apps}
      destination: {server: https://kubernetes.default.svc, namespace: argocd}
      syncPolicy:
        automated:
          selfHeal: true
"""


def test_umbrella_values_declare_applications_in_list_form_and_extra_objects(
    write_tree: WriteTree,
) -> None:
    root = write_tree(
        {"platform/Chart.yaml": UMBRELLA_CHART, "platform/values.yaml": UMBRELLA_VALUES}
    )
    facts, _ = index(root)
    by_name = {r.name: r for r in facts.releases}
    assert sorted(by_name) == ["extra", "root"]
    heal = by_name["root"].self_heal
    assert heal is not None
    assert heal.evidence == Evidence("platform/values.yaml", 17, 17, "automated.selfHeal: true")
    assert by_name["root"].evidence == Evidence(
        "platform/values.yaml", 11, 17, "name: root — Application root"
    )
    assert by_name["extra"].charts == ("cert-manager",)


def test_argocd_apps_values_in_map_form_generate_their_application_sets(
    write_tree: WriteTree,
) -> None:
    values = """\
applicationsets:
  addons:
    goTemplate: true
    generators:
      - list:
          elements:
            - {chart: vault}
            - {chart: loki}
    template:
      metadata: {name: "{{.chart}}"}
      spec:
        source: {repoURL: https://helm.example.com, chart: "{{.chart}}"}
        destination: {server: https://kubernetes.default.svc, namespace: "{{.chart}}"}
        syncPolicy: {automated: {selfHeal: true}}
"""
    facts, _ = index(write_tree({"bootstrap/argocd-apps-values.yaml": values}))
    apps = generated(facts, "addons")
    assert sorted(apps) == ["loki", "vault"]
    assert apps["vault"].evidence.file == "bootstrap/argocd-apps-values.yaml"
    assert [a.name for a in facts.application_sets] == ["addons"]
