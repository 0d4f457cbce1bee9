"""Argo CD Applications and ApplicationSets declared inside Helm chart values.

Argo CD is often installed from an umbrella chart whose values also declare the root
application: the ``argocd-apps`` chart renders one Application per entry of
``applications:`` and one ApplicationSet per entry of ``applicationsets:`` — a map keyed
by name since chart 2.0.0, a list of entries with ``name`` before
(https://github.com/argoproj/argo-helm/tree/main/charts/argocd-apps, ``values.yaml`` and
``templates/applicationsets.yaml``). The ``argo-cd`` chart renders ``extraObjects:``
verbatim, and before chart 5.0.0 rendered ``server.additionalApplications``
(https://github.com/argoproj/argo-helm/tree/main/charts/argo-cd). Read as written, the
values file is where these applications live, so their evidence — ``selfHeal: true``
included — cites its lines.

An entry's fields are the object's ``spec`` fields (``source``, ``destination``,
``syncPolicy``; ``generators``, ``template``, ``goTemplate``), which is why each entry is
read as the spec of an ``ArgoSource``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from stackyard.assess.inputs.appsets import ArgoSource
from stackyard.assess.inputs.located import Located, as_list
from stackyard.assess.inputs.objects import KubeObject
from stackyard.assess.model import noted

ARGO_CHARTS = frozenset({"argocd-apps", "argo-cd"})
_ENTRIES = {
    "argocd-apps": (("Application", ("applications",)), ("ApplicationSet", ("applicationsets",))),
    "argo-cd": (
        ("Application", ("server", "additionalApplications")),
        ("ApplicationSet", ("server", "additionalApplicationSets")),
    ),
}


def argo_sources(values: Located, chart: str, text: str) -> Iterator[ArgoSource]:
    """The Applications and ApplicationSets that ``values`` of ``chart`` declare."""
    for kind, path in _ENTRIES.get(chart, ()):
        block = values.get(*path)
        # Quoted as written: the entry's key (``platform-addons:``) or its ``name:`` line
        # and the kind as a note, since chart values never write ``kind:``.
        if isinstance(block, Mapping):
            named = [(str(k), values.child(*path, str(k)), f"{k}:") for k in block]
        else:
            named = [
                (str(item.get("name", "")), values.child(*path, i), f"name: {item.get('name')}")
                for i, item in enumerate(as_list(block))
                if isinstance(item, Mapping) and item.get("name")
            ]
        for name, entry, quote in named:
            if isinstance(entry.data, Mapping) and entry.data:
                cited = entry.evidence(text=noted(quote, f"{kind} {name}"))
                yield ArgoSource(kind, name, cited, entry, text)


def extra_objects(values: Located, chart: str) -> Iterator[KubeObject]:
    """The objects the argo-cd chart's ``extraObjects`` installs as written."""
    if chart != "argo-cd":
        return
    for i, item in enumerate(as_list(values.get("extraObjects"))):
        if isinstance(item, Mapping) and item.get("apiVersion") and item.get("kind"):
            yield KubeObject(values.doc, (*values.base, "extraObjects", i))
