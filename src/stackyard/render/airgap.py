"""Where an air-gapped platform's Argo CD and nodes fetch from: the internal servers.

With the spec's ``airgap`` section, nothing the render writes points at the internet:

- Argo CD pulls every chart from the internal OCI registry, ``<registry>/charts`` with
  the chart's name and pinned version (Argo CD's Helm OCI support: a ``repoURL`` without
  scheme and a repository Secret with ``enableOCI``,
  https://argo-cd.readthedocs.io/en/stable/user-guide/helm/#helm-oci). The Secret carries
  no credentials: those are a ``repo-creds`` template for the registry, created at
  bootstrap, which Argo CD matches by URL prefix
  (https://argo-cd.readthedocs.io/en/stable/operator-manual/declarative-setup/
  #repository-credentials), the same way the GitOps repository's credentials stay out.
- Git sources (the GitOps repository, charts kept in Git, the Gateway API CRDs) move to
  ``<git>/<the repository's path>`` on the internal Git server.
- Images are not rewritten: the nodes' container runtime maps every public registry of
  :data:`UPSTREAM_REGISTRIES` to ``<registry>/<public host>`` (``bootstrap/mirrors.py``),
  so a chart's default image ``quay.io/jetstack/cert-manager-controller`` is pulled as
  ``<registry>/quay.io/jetstack/cert-manager-controller``. A bundle stores images under
  that layout.
"""

from __future__ import annotations

from stackyard.catalog.model import HelmInstall
from stackyard.render.context import RenderContext
from stackyard.render.tree import Manifest
from stackyard.spec import Airgap

UPSTREAM_REGISTRIES: dict[str, str] = {
    "docker.io": "https://registry-1.docker.io",
    "quay.io": "https://quay.io",
    "ghcr.io": "https://ghcr.io",
    "registry.k8s.io": "https://registry.k8s.io",
    "gcr.io": "https://gcr.io",
    "public.ecr.aws": "https://public.ecr.aws",
    "mcr.microsoft.com": "https://mcr.microsoft.com",
}
"""The public registries the nodes pull through the internal one, with their endpoints.

Every image of the catalog's charts, static manifests and node components (RKE2's
``docker.io/rancher``, kubeadm's ``registry.k8s.io``) lives on one of these;
``stackyard validate`` reports an image on any other host in an air-gapped render.
"""

CHARTS_SECRET = "repo-airgap-charts"
GIT_SECRET = "repo-airgap-gitops"


def airgap(context: RenderContext) -> Airgap | None:
    """The spec's ``airgap`` section, if the platform is air-gapped."""
    return context.platform.airgap


def gitops_url(context: RenderContext) -> str:
    """The GitOps repository's URL as Argo CD reads it (the internal copy when air-gapped)."""
    return git_url(context, context.platform.gitops.repoURL)


def git_url(context: RenderContext, url: str) -> str:
    """A Git repository's URL as Argo CD reads it (the internal copy when air-gapped)."""
    section = airgap(context)
    return url if section is None else section.git_url(url)


def chart_source(context: RenderContext, install: HelmInstall) -> Manifest:
    """An Application's chart source: repository, chart or path, pinned version."""
    if install.repoURL.endswith(".git"):
        return {
            "repoURL": git_url(context, install.repoURL),
            "targetRevision": install.version,
            "path": install.chart,
        }
    section = airgap(context)
    repo = install.repoURL if section is None else section.charts_repository
    return {"repoURL": repo, "targetRevision": install.version, "chart": install.chart}


def helm_controller_source(context: RenderContext, install: HelmInstall) -> Manifest:
    """RKE2's ``HelmChart`` fields that fetch a chart from the internal registry (none without).

    helm-controller pulls an ``oci://`` chart itself, with ``repoCA`` as the CA PEM
    (https://docs.rke2.io/helm); ``repo`` is then not used, so it is dropped (None).
    """
    section = airgap(context)
    if section is None:
        return {}
    fields: Manifest = {
        "repo": None,
        "chart": f"oci://{section.charts_repository}/{install.chart}",
    }
    if context.plan.spec.airgap_ca is not None:
        fields["repoCA"] = context.plan.spec.airgap_ca
    if section.plainHttp:
        fields["plainHTTP"] = True
    return fields


def helm_chart_argument(context: RenderContext, install: HelmInstall) -> str:
    """How ``helm install`` names the chart: ``NAME --repo URL``, or the internal OCI chart."""
    section = airgap(context)
    if section is not None:
        return f"oci://{section.charts_repository}/{install.chart}"
    return f"{install.chart} --repo {install.repoURL}"


def chart_repository(context: RenderContext, install: HelmInstall) -> str:
    """The repository an Application pulls a chart from (the AppProject's sources)."""
    return str(chart_source(context, install)["repoURL"])


def repository_secrets(context: RenderContext, namespace: str, wave: int) -> list[Manifest]:
    """The Argo CD repository Secrets of the internal registry and Git server (no credentials)."""
    section = airgap(context)
    if section is None:
        return []
    charts: dict[str, str] = {
        "name": "airgap-charts",
        "url": section.charts_repository,
        "type": "helm",
        "enableOCI": "true",
    }
    if section.plainHttp:
        charts["insecureOCIForceHttp"] = "true"
    git = {"name": "airgap-gitops", "url": gitops_url(context), "type": "git"}
    return [
        _repository(CHARTS_SECRET, namespace, wave, charts),
        _repository(GIT_SECRET, namespace, wave, git),
    ]


def _repository(name: str, namespace: str, wave: int, data: dict[str, str]) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"argocd.argoproj.io/secret-type": "repository"},
            "annotations": {"argocd.argoproj.io/sync-wave": str(wave)},
        },
        "type": "Opaque",
        "stringData": data,
    }


def argocd_certificates(context: RenderContext) -> dict[str, str]:
    """Argo CD's trusted server certificates (``argocd-tls-certs-cm``): host -> CA PEM."""
    section = airgap(context)
    pem = context.plan.spec.airgap_ca
    if section is None or pem is None:
        return {}
    hosts = {_hostname(section.registry_host), _hostname(section.git.split("://", 1)[1])}
    return dict.fromkeys(sorted(hosts), pem)


def _hostname(authority: str) -> str:
    """``host[:port][/path]`` -> ``host``: Argo CD keys server certificates by host name."""
    return authority.split("/", 1)[0].split(":", 1)[0]


def airgap_section(context: RenderContext) -> str:
    """The README's air-gap section: where everything comes from, and the credentials."""
    section = airgap(context)
    if section is None:
        return ""
    namespace = context.argocd_namespace
    ca_note = ""
    if context.plan.spec.airgap_ca is not None:
        ca_note = (
            f", and add `--ca-file` with the registry's CA (the spec's `{section.caFile}`, "
            "also in each cluster's node files)"
        )
    return f"""
## Air gap

This platform fetches nothing from the internet. Argo CD pulls every chart from the OCI
registry `{section.charts_repository}` and reads Git from `{section.git}`; the nodes pull
every image through `{section.registry}` (the mirror files in `nodes/<cluster>/`). Push the
charts, images and this repository there first (`stackyard bundle push`).

`apps/repositories.yaml` declares both repositories without credentials. If they need
credentials, create one credential template per server before the first sync; Argo CD
matches it by URL prefix:

```sh
kubectl -n {namespace} create secret generic creds-airgap-registry \\
  --from-literal=url={section.registry} --from-literal=type=helm \\
  --from-literal=enableOCI=true --from-literal=username=<user> --from-literal=password=<token>
kubectl -n {namespace} label secret creds-airgap-registry argocd.argoproj.io/secret-type=repo-creds
kubectl -n {namespace} create secret generic creds-airgap-git \\
  --from-literal=url={section.git} --from-literal=username=<user> --from-literal=password=<token>
kubectl -n {namespace} label secret creds-airgap-git argocd.argoproj.io/secret-type=repo-creds
```

The bootstrap `helm install` commands read the charts from `oci://{section.charts_repository}`:
log in first with `helm registry login {section.registry_host}` if the registry needs
credentials{ca_note}.

The nodes' registry credentials, if the registry needs them for pulls, are added on each
node at install (RKE2: `configs.<host>.auth` in `registries.yaml`; containerd: a `header`
in `hosts.toml`), never here.
"""
