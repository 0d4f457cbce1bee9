"""Ansible tasks that install Helm charts or apply Kubernetes objects.

Clusters bootstrapped with Ansible often install their CNI, ingress or GitOps
controller from a task rather than from Git-reconciled manifests. A task of the
``kubernetes.core.helm`` module (also ``community.kubernetes.helm`` and the short
``helm``) becomes a ``Release`` cited at the task's lines: ``chart_ref``,
``release_name`` (alias ``name``), ``release_namespace`` (alias ``namespace``),
``chart_repo_url``, ``chart_version``, inline ``values`` and ``values_files``
(https://docs.ansible.com/ansible/latest/collections/kubernetes/core/helm_module.html).
A ``kubernetes.core.k8s`` task (or ``k8s``) with an inline ``definition`` yields the
object it applies; one with ``src`` names a file the walk reads anyway.

Tasks are found in playbooks (plays' ``tasks``, ``pre_tasks``, ``post_tasks``,
``handlers``), in task files that are a YAML list at the top level (a role's
``tasks/main.yml``), and inside ``block``/``rescue``/``always`` groups, to a bounded
depth.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from stackyard.assess.inputs.charts import canonical_chart
from stackyard.assess.inputs.located import Located, PathKey, as_list
from stackyard.assess.inputs.objects import KubeObject
from stackyard.assess.inputs.releases import Release, ReleaseSource, ValuesLayer
from stackyard.yamlio import LocatedDocument

HELM_MODULES = frozenset({"kubernetes.core.helm", "community.kubernetes.helm", "helm"})
K8S_MODULES = frozenset({"kubernetes.core.k8s", "community.kubernetes.k8s", "k8s"})
TASK_LISTS = ("tasks", "pre_tasks", "post_tasks", "handlers", "block", "rescue", "always")
MAX_NESTING = 8
# values: "{{ lookup('file', 'cilium-values.yaml') | from_yaml }}" (or 'template').
_LOOKUP = re.compile(r"lookup\(\s*['\"](?:file|template)['\"]\s*,\s*['\"]([^'\"]+)['\"]")


def ansible_releases(doc: LocatedDocument) -> Iterator[Release]:
    """A release per Helm task of a playbook or task list."""
    for task, module in _tasks(doc):
        if module in HELM_MODULES:
            release = _helm_release(task, module)
            if release is not None:
                yield release


def ansible_objects(doc: LocatedDocument) -> Iterator[KubeObject]:
    """The objects ``k8s`` tasks define inline."""
    for task, module in _tasks(doc):
        if module not in K8S_MODULES:
            continue
        definition = task.get(module, "definition")
        base = (*task.base, module, "definition")
        for i, item in enumerate(definition if isinstance(definition, list) else [definition]):
            if isinstance(item, Mapping) and item.get("kind") and item.get("apiVersion"):
                path = (*base, i) if isinstance(definition, list) else base
                yield KubeObject(doc, path)


def _tasks(doc: LocatedDocument) -> Iterator[tuple[Located, str]]:
    """Every task (with the module it calls, among those read here) of the document."""
    if not isinstance(doc.data, list):
        return
    stack: list[tuple[PathKey, int]] = [((), 0)]
    while stack:
        path, depth = stack.pop()
        items = Located(doc, path).data
        for i, item in enumerate(as_list(items)):
            if not isinstance(item, Mapping):
                continue
            where = (*path, i)
            for module in HELM_MODULES | K8S_MODULES:
                if isinstance(item.get(module), Mapping):
                    yield Located(doc, where), module
            if depth < MAX_NESTING:
                stack += [((*where, key), depth + 1) for key in TASK_LISTS if key in item]


def _helm_release(task: Located, module: str) -> Release | None:
    args = task.child(module)
    chart_ref = str(args.get("chart_ref") or "")
    if not chart_ref or args.get("state") == "absent":
        return None
    chart = canonical_chart(chart_ref)
    name = str(args.get("release_name") or args.get("name") or chart)
    files = [str(f) for f in as_list(args.get("values_files"))]
    values = args.get("values")
    if isinstance(values, str):
        files += _LOOKUP.findall(values)
    source = ReleaseSource(
        chart,
        str(args.get("chart_repo_url") or ""),
        "",
        tuple(files),
        args.evidence("chart_ref"),
    )
    release = Release(
        f"Ansible {module}",
        name,
        task.file,
        task.evidence(text=f"{module}: {chart_ref}"),
        (source,),
        namespace=str(args.get("release_namespace") or args.get("namespace") or ""),
    )
    if isinstance(values, Mapping):
        release.inline.append(ValuesLayer(args.child("values"), chart, name, "values"))
    return release
