"""The README.md written at the root of every rendered repository.

The prose lives in ``readme_template.md`` (``string.Template`` placeholders); this
module only fills in the platform's facts.
"""

from __future__ import annotations

from importlib import resources
from string import Template

from stackyard.render.context import IN_CLUSTER, RenderContext
from stackyard.render.tree import RenderedTree


def readme(context: RenderContext, tree: RenderedTree) -> str:
    """Layout, bootstrap steps and credential handling for this platform."""
    template = Template(
        (resources.files("stackyard.render") / "readme_template.md").read_text("utf-8")
    )
    platform = context.platform
    install = context.component("argo-cd").install
    rows = [
        f"| `{c.name}` | {c.cluster.role} | {context.server(c)} | {len(c.components)} |"
        for c in context.plan.clusters
    ]
    return template.substitute(
        name=platform.name,
        edition=platform.edition,
        provider=platform.provider,
        distribution=platform.kubernetes.distribution,
        version=platform.kubernetes.version,
        argocd_cluster=context.argocd_cluster.name,
        argocd_repo=install.repoURL if install.method == "helm" else "",
        argocd_version=install.version if install.method == "helm" else "",
        namespace=context.argocd_namespace,
        repo=platform.gitops.repoURL,
        in_cluster=IN_CLUSTER,
        clusters="\n".join(rows),
        files=len(tree) + 2,  # this README and the render marker
    )
