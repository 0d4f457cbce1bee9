"""ApplicationSets expanded into the applications they generate, the way Argo CD does.

An ApplicationSet is not one application: its generators yield parameter sets and its
``template`` is rendered once per set, each rendering an Application of its own with
its own chart, path and value files
(https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/Generators/).
Reading the template as written would make ``chart: '{{.values.addonChart}}'`` a chart
name and ``addons/{{.values.addonChart}}/values.yaml`` a pattern that claims every
addon's values for every application. So each generated application becomes its own
``Release``, cited at the ApplicationSet and at the generator element that produced it.

What the repository holds is read as the controller would read it:

- ``list``: ``elements`` and ``elementsYaml``
  (https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/Generators-List/);
- ``clusters``: the cluster Secrets written in the repository, selected by ``matchLabels``
  and ``matchExpressions``, plus Argo CD's own cluster when nothing narrows the set, and
  the generator's ``values``
  (https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/Generators-Cluster/);
- ``git`` files (JSON/YAML files matching the globs, flattened into parameters; with
  ``git ls-files`` globbing, the default, ``*`` also crosses ``/``) and directories
  (``path``, ``path.basename``, ``path[n]``, ``path.basenameNormalized``, ``exclude``;
  ``path.Match`` per segment)
  (https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/Generators-Git/,
  https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/Generators-Git-File-Globbing/);
- ``matrix`` (the second generator sees the first one's parameters) and ``merge``
  (``mergeKeys``), nested
  (https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/Generators-Matrix/,
  https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/Generators-Merge/);
- a generator's ``selector`` filters what it yields
  (https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/Generators-Post-Selector/);
- a generator's own ``template``, merged over the ApplicationSet's (the generator's
  fields win; https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/Template/#generator-templates),
  for the generators of ``spec.generators``;
- ``templatePatch`` when it needs no template logic.

What only the running controller knows — SCM providers, pull requests, cluster decision
resources, plugins, clusters registered outside the repository, git files of another
repository — yields one application whose dependent fields are *unknown*: listed in a
notice naming the ApplicationSet and the field, never resolved to every file a glob
would match.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from stackyard.assess.inputs.appset_templates import (
    flatten,
    is_templated,
    render,
    render_tree,
    sanitize_name,
)
from stackyard.assess.inputs.clusters import IN_CLUSTER_NAME, IN_CLUSTER_SERVER, ArgoCluster
from stackyard.assess.inputs.located import Located, Overlaid, as_list, as_mapping
from stackyard.assess.inputs.releases import Release, Unknown, argo_release
from stackyard.assess.model import Evidence, Notice, noted
from stackyard.errors import YamlError
from stackyard.kube import merge_values, selector_matches
from stackyard.yamlio import LocatedDocument, iter_yaml_documents

RUNTIME_GENERATORS = {
    "scmProvider": "SCM provider generator",
    "pullRequest": "pull request generator",
    "clusterDecisionResource": "cluster decision resource generator",
    "plugin": "plugin generator",
}
NO_CLUSTER_SECRETS = "cluster generator: no cluster Secret in the repository"
# Parameter sets one ApplicationSet's generators may yield, counting every generator
# of a matrix or merge (a matrix re-runs its second generator per element of the
# first). Real ApplicationSets generate tens to hundreds of applications; a matrix of
# long lists multiplies without bound, so expansion stops here and says so.
MAX_PARAMETER_SETS = 10_000
_NOT_KINDS = ("selector", "template")  # keys beside a generator's kind


@dataclass(frozen=True)
class ArgoSource:
    """An Argo CD Application or ApplicationSet, written as a manifest or in chart values."""

    kind: str
    name: str
    evidence: Evidence
    spec: Located  # the fields of ``spec`` (for argocd-apps values: the entry itself)
    text: str  # the text of the file it is written in


@dataclass(frozen=True)
class RepositoryView:
    """What generators may read of the repository: its files and its cluster Secrets."""

    files: Sequence[str]
    clusters: Sequence[ArgoCluster]
    read: Callable[[str], Sequence[LocatedDocument]]

    def directories(self) -> list[str]:
        """Every folder holding a file read, hidden folders (``.github``) left out."""
        found: dict[str, None] = {}
        for path in self.files:
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                if not any(p.startswith(".") for p in parts[:i]):
                    found["/".join(parts[:i])] = None
        return sorted(found)


@dataclass(frozen=True)
class Element:
    """One parameter set a generator yields, with where it comes from."""

    params: Mapping[str, Any]
    cited: tuple[Evidence, ...]
    runtime: tuple[str, ...] = ()  # why some parameters are known only at run time
    template: Located | None = None  # the generator's own template, merged over the set's


@dataclass(frozen=True)
class ApplicationSetFacts:
    """An ApplicationSet as read: where, how many applications, what stays unknown."""

    name: str
    evidence: Evidence
    applications: int
    runtime: tuple[str, ...] = ()


@dataclass
class _Expansion:
    appset: ArgoSource
    go: bool
    view: RepositoryView
    notices: list[Notice]
    said: set[str] = field(default_factory=set)

    unknowns: dict[str, dict[str, None]] = field(default_factory=dict)  # reason -> fields
    spent: int = 0  # parameter sets yielded so far, against MAX_PARAMETER_SETS
    git_cache: dict[str, list[Element]] = field(default_factory=dict)  # git generator -> sets

    @property
    def exhausted(self) -> bool:
        return self.spent >= MAX_PARAMETER_SETS

    def charge(self, found: list[Element]) -> list[Element]:
        """``found``, cut to what the cap leaves; the cut is said once."""
        left = MAX_PARAMETER_SETS - self.spent
        if len(found) > left:
            found = found[:left]
            self.say_cut()
        self.spent += len(found)
        return found

    def say_cut(self) -> None:
        self.notice(
            f"generators yield more than {MAX_PARAMETER_SETS} parameter sets "
            "(counting each generator of a matrix or merge): expansion stopped there, "
            "the applications after it are not read"
        )

    def notice(self, message: str) -> None:
        if message not in self.said:
            self.said.add(message)
            line = self.appset.evidence.line
            self.notices.append(
                Notice(self.appset.evidence.file, f"line {line}: {self.appset.name}: {message}")
            )

    def unknown(self, unknown: Unknown) -> None:
        """Remember a field not known; said once per reason, every field named."""
        template = unknown.template
        shown = f"{unknown.field} '{template}'" if len(template) <= 100 else unknown.field
        if "\n" in template:
            shown = unknown.field
        self.unknowns.setdefault(unknown.reason, {})[shown] = None

    def say_unknowns(self) -> None:
        for reason, fields in self.unknowns.items():
            self.notice(f"{reason}: {'; '.join(fields)}")


def expand(
    appset: ArgoSource, view: RepositoryView, notices: list[Notice]
) -> tuple[list[Release], ApplicationSetFacts]:
    """The applications ``appset`` generates, one release each, and its facts."""
    go = _truthy(appset.spec.get("goTemplate"))
    run = _Expansion(appset, go, view, notices)
    elements: list[Element] = []
    for i, _ in enumerate(as_list(appset.spec.get("generators"))):
        generator = appset.spec.child("generators", i)
        found = _generate(run, generator, None)
        own = _own_template(generator)
        elements += [replace(e, template=own) for e in found] if own is not None else found
    template = appset.spec.child("template")
    releases = []
    for element in elements:
        merged = _merged_template(template, element.template)
        if merged is not None:
            releases.append(_application(run, merged, element))
        else:
            run.notice("no template: no application is generated")
    if not elements and not isinstance(template.data, Mapping):
        run.notice("no template: no application is generated")
    run.say_unknowns()
    runtime = tuple(dict.fromkeys(r for e in elements for r in e.runtime))
    facts = ApplicationSetFacts(appset.name, appset.evidence, len(releases), runtime)
    return releases, facts


# -- rendering one application -------------------------------------------------------


def _application(run: _Expansion, template: Located, element: Element) -> Release:
    rendered, gaps = render_tree(template.data, element.params, run.go)
    patch = run.appset.spec.get("templatePatch")
    if isinstance(patch, str) and run.go:
        rendered = _patched(run, rendered, patch, element)
    name = str(as_mapping(rendered.get("metadata")).get("name") or run.appset.name)
    reason = _reason(element)
    unknowns = tuple(
        dict.fromkeys(
            Unknown(
                _field(path),
                str(template.get(*path)),
                reason if gap.missing else f"{gap.expression} is not evaluated",
            )
            for path, gap in gaps
        )
    )
    for unknown in unknowns:
        run.unknown(unknown)
    evidence = _named_at(run, template, name)
    spec = template.child("spec").rendered(rendered.get("spec"))
    spec_unknowns = tuple(
        Unknown(u.field.removeprefix("spec."), u.template, u.reason)
        for u in unknowns
        if u.field.startswith("spec.")
    )
    release = argo_release(
        "Application", name, evidence, spec, run.appset.text, run.notices, spec_unknowns
    )
    release.application_set = run.appset.name
    release.elements = element.cited
    return release


def _own_template(generator: Located) -> Located | None:
    """A generator's own ``template`` (``list.template``, ``clusters.template``...)."""
    kind = next((str(k) for k in as_mapping(generator.data) if k not in _NOT_KINDS), "")
    own = generator.child(kind, "template") if kind else None
    return own if own is not None and isinstance(own.data, Mapping) and own.data else None


def _merged_template(template: Located, own: Located | None) -> Located | None:
    """The ApplicationSet's template with a generator's own merged over it.

    Argo CD fills the generator's template from the ApplicationSet's, the generator's
    fields winning
    (https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/Template/#generator-templates).
    """
    if own is None:
        return template if isinstance(template.data, Mapping) else None
    base = template.data if isinstance(template.data, Mapping) else {}
    merged = merge_values(base, own.data)
    if not isinstance(template.data, Mapping):
        return Located(own.doc, own.base, merged)
    return Overlaid(template.doc, template.base, merged, own.base)


def _named_at(run: _Expansion, template: Located, name: str) -> Evidence:
    """Where the template names a generated application: its ``metadata.name`` line.

    The quote is the line as written (``name: '{{.name}}-{{.values.addonChart}}'``) and
    the rendered name its note; the generator element that supplied the parameters is
    cited beside it (``Release.elements``). A template that names nothing is cited at
    the ApplicationSet, whose name the application then takes.
    """
    if template.hit("metadata", "name") is not None:
        written = template.evidence("metadata", "name")
        return Evidence(written.file, written.line, written.end_line, noted(written.quote, name))
    return run.appset.evidence


def _patched(run: _Expansion, rendered: Any, patch: str, element: Element) -> Any:
    result = render(patch, element.params, True)
    if result.gaps:
        run.notice("templatePatch uses template logic or parameters not evaluated: not applied")
        return rendered
    try:
        documents = list(iter_yaml_documents(result.text, run.appset.evidence.file))
    except YamlError:
        run.notice("templatePatch is not YAML once rendered: not applied")
        return rendered
    for document in documents:
        if isinstance(document.data, Mapping):
            rendered = merge_values(rendered, document.data)
    return rendered


def _reason(element: Element) -> str:
    if element.runtime:
        return f"known only at run time ({'; '.join(element.runtime)})"
    return "not provided by the generators"


def _field(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


# -- generators ----------------------------------------------------------------------


def _generate(
    run: _Expansion, generator: Located, parent: Element | None, nested: bool = False
) -> list[Element]:
    if run.exhausted:
        run.say_cut()
        return []
    data = as_mapping(generator.data)
    if parent is not None and parent.params:
        interpolated, _ = render_tree(dict(data), parent.params, run.go)
        generator = Located(generator.doc, generator.base, interpolated)
        data = interpolated
    kind = next((str(k) for k in data if k not in _NOT_KINDS), "")
    if kind == "list":
        found = _list(run, generator)
    elif kind == "clusters":
        found = _clusters(run, generator)
    elif kind == "git":
        found = _cached_git(run, generator)
    elif kind == "matrix":
        found = _matrix(run, generator)
    elif kind == "merge":
        found = _merge(run, generator)
    elif kind in RUNTIME_GENERATORS:
        cited = generator.evidence(kind)
        found = [Element({}, (cited,), (RUNTIME_GENERATORS[kind],))]
    else:
        run.notice(f"generator {kind or '(empty)'} is not read")
        found = []
    if nested and isinstance(as_mapping(data.get(kind)).get("template"), Mapping):
        # Argo CD uses the template of the generators of ``spec.generators`` only.
        run.notice(f"the {kind} generator's own template inside a matrix or merge is not read")
    selector = as_mapping(data.get("selector"))
    if selector:
        found = [e for e in found if e.runtime or _selected(selector, _flat(e.params, run.go))]
    # A matrix or merge yields what its generators yielded, already counted.
    return found if kind in ("matrix", "merge") else run.charge(found)


def _list(run: _Expansion, generator: Located) -> list[Element]:
    found = []
    for i, item in enumerate(as_list(generator.get("list", "elements"))):
        if not isinstance(item, Mapping):
            continue
        params = dict(item) if run.go else _fast_list_params(item)
        cited = generator.evidence("list", "elements", i, text=_label(item))
        found.append(Element(params, (cited,)))
    text = generator.get("list", "elementsYaml")
    if isinstance(text, str) and text.strip():
        cited = generator.evidence("list", "elementsYaml")
        items = _yaml_list(text, run.appset.evidence.file) if not is_templated(text) else None
        if items is None:
            found.append(Element({}, (cited,), ("elementsYaml that is not evaluated",)))
        else:
            found += [Element(dict(item) if run.go else flatten(item), (cited,)) for item in items]
    return found


def _clusters(run: _Expansion, generator: Located) -> list[Element]:
    spec = as_mapping(generator.get("clusters"))
    selector = as_mapping(spec.get("selector"))
    values = as_mapping(spec.get("values"))
    cited = generator.evidence("clusters")
    if not run.view.clusters:
        return [Element(_with_values({}, values, run.go), (cited,), (NO_CLUSTER_SECRETS,))]
    found = []
    narrowed = bool(selector.get("matchLabels") or selector.get("matchExpressions"))
    for cluster in run.view.clusters:
        if _selected(selector, cluster.labels):
            params = _cluster_params(cluster, run.go)
            found.append(Element(_with_values(params, values, run.go), (cited, cluster.evidence)))
    if not narrowed and not any(c.server == IN_CLUSTER_SERVER for c in run.view.clusters):
        local = {
            "name": IN_CLUSTER_NAME,
            "nameNormalized": IN_CLUSTER_NAME,
            "server": IN_CLUSTER_SERVER,
            "project": "",
        }
        found.append(Element(_with_values(local, values, run.go), (cited,)))
    return found


def _cached_git(run: _Expansion, generator: Located) -> list[Element]:
    """The git generator's sets, read once per distinct generator.

    A matrix re-runs its second generator for every element of the first; a git
    generator that does not use those parameters would read the same files each time.
    """
    key = repr(generator.data)
    if key not in run.git_cache:
        run.git_cache[key] = _git(run, generator)
    return run.git_cache[key]


def _git(run: _Expansion, generator: Located) -> list[Element]:
    git = as_mapping(generator.get("git"))
    prefix = str(git.get("pathParamPrefix") or "")
    values = as_mapping(git.get("values"))
    kind = "files" if git.get("files") else "directories"
    entries = [as_mapping(e) for e in as_list(git.get(kind))]
    includes = [str(e.get("path", "")) for e in entries if not _truthy(e.get("exclude"))]
    excludes = [str(e.get("path", "")) for e in entries if _truthy(e.get("exclude"))]
    cited = generator.evidence("git", kind)
    repo = str(git.get("repoURL", ""))
    if any(is_templated(p) for p in includes):
        return [Element({}, (cited,), (f"git {kind} whose path is not known",))]
    found: list[Element] = []
    if kind == "files":
        for path in run.view.files:
            if any(_git_glob(p, path) for p in includes) and not any(
                _git_glob(p, path) for p in excludes
            ):
                found += _file_elements(run, path, prefix, values)
    else:
        for folder in run.view.directories():
            if any(_path_match(p, folder) for p in includes) and not any(
                _path_match(p, folder) for p in excludes
            ):
                params = _path_params(folder, None, prefix, run.go)
                matched = next(i for i, p in enumerate(includes) if _path_match(p, folder))
                entry = generator.evidence(
                    "git", kind, _index_of(entries, includes[matched]), "path"
                )
                folder_cited = Evidence(
                    entry.file, entry.line, entry.end_line, noted(entry.quote, folder)
                )
                found.append(Element(_with_values(params, values, run.go), (folder_cited,)))
    if not found:
        reason = f"git {kind} generator: nothing in this repository matches {', '.join(includes)}"
        return [Element({}, (cited,), (f"{reason} (repoURL {repo})" if repo else reason,))]
    return found


def _file_elements(
    run: _Expansion, path: str, prefix: str, values: Mapping[str, Any]
) -> Iterator[Element]:
    for document in run.view.read(path):
        first, last = document.span(())
        data = document.data
        items = [data] if isinstance(data, Mapping) else as_list(data)
        # The file's own first key and value, quoted; the file is the element.
        label = next((_label(i) for i in items if isinstance(i, Mapping) and _label(i)), "")
        cited = Evidence(path, first, last, noted(label, f"git file {path}") if label else path)
        for item in items:
            if not isinstance(item, Mapping):
                continue
            params: dict[str, Any] = dict(item) if run.go else flatten(item)
            params.update(_path_params(path.rpartition("/")[0] or ".", path, prefix, run.go))
            yield Element(_with_values(params, values, run.go), (cited,))


def _matrix(run: _Expansion, generator: Located) -> list[Element]:
    children = as_list(generator.get("matrix", "generators"))
    if len(children) != 2:
        run.notice("a matrix generator needs exactly two generators: no application from it")
        return []
    found = []
    for a in _generate(run, generator.child("matrix", "generators", 0), None, True):
        if run.exhausted:
            run.say_cut()
            break
        for b in _generate(run, generator.child("matrix", "generators", 1), a, True):
            params = merge_values(b.params, a.params) if run.go else {**b.params, **a.params}
            runtime = tuple(dict.fromkeys(a.runtime + b.runtime))
            found.append(Element(params, a.cited + b.cited, runtime))
    return found


def _merge(run: _Expansion, generator: Located) -> list[Element]:
    keys = [str(k) for k in as_list(generator.get("merge", "mergeKeys"))]
    children = as_list(generator.get("merge", "generators"))
    sets = [
        _generate(run, generator.child("merge", "generators", i), None, True)
        for i in range(len(children))
    ]
    if not sets or not keys:
        run.notice("a merge generator needs generators and mergeKeys: no application from it")
        return []
    base = list(sets[0])
    for others in sets[1:]:
        by_key = {_merge_key(e, keys, run.go): e for e in others if not e.runtime}
        late = tuple(dict.fromkeys(r for e in others if e.runtime for r in e.runtime))
        for i, element in enumerate(base):
            other = by_key.get(_merge_key(element, keys, run.go))
            if other is not None and not element.runtime:
                params = (
                    merge_values(element.params, other.params)
                    if run.go
                    else {**element.params, **other.params}
                )
                base[i] = Element(params, element.cited + other.cited, element.runtime)
            elif late:
                runtime = tuple(dict.fromkeys(element.runtime + late))
                base[i] = Element(element.params, element.cited, runtime)
    return base


# -- parameters ----------------------------------------------------------------------


def _fast_list_params(item: Mapping[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in item.items():
        if key == "values" and isinstance(value, Mapping):
            params.update({f"values.{k}": str(v) for k, v in value.items()})
        else:
            params[str(key)] = value if isinstance(value, str) else str(value)
    return params


def _cluster_params(cluster: ArgoCluster, go: bool) -> dict[str, Any]:
    params: dict[str, Any] = {
        "name": cluster.name,
        "nameNormalized": sanitize_name(cluster.name),
        "server": cluster.server,
        "project": cluster.project,
    }
    labels = {str(k): str(v) for k, v in cluster.labels.items()}
    annotations = {str(k): str(v) for k, v in cluster.annotations.items()}
    if go:
        params["metadata"] = {"labels": labels, "annotations": annotations}
    else:
        params.update({f"metadata.labels.{k}": v for k, v in labels.items()})
        params.update({f"metadata.annotations.{k}": v for k, v in annotations.items()})
    return params


def _path_params(folder: str, file: str | None, prefix: str, go: bool) -> dict[str, Any]:
    basename = folder.rpartition("/")[2]
    path: dict[str, Any] = {
        "path": folder,
        "basename": basename,
        "basenameNormalized": sanitize_name(basename),
        "segments": folder.split("/"),
    }
    if file is not None:
        filename = file.rpartition("/")[2]
        path["filename"] = filename
        path["filenameNormalized"] = sanitize_name(filename)
    if go:
        return {prefix: {"path": path}} if prefix else {"path": path}
    name = f"{prefix}.path" if prefix else "path"
    flat: dict[str, Any] = {name: folder}
    flat.update({f"{name}.{k}": v for k, v in path.items() if k not in ("path", "segments")})
    flat.update({f"{name}[{i}]": s for i, s in enumerate(path["segments"]) if s})
    return flat


def _with_values(params: dict[str, Any], values: Mapping[str, Any], go: bool) -> dict[str, Any]:
    """A generator's ``values``, rendered with the element's own parameters."""
    if not values:
        return params
    rendered = {}
    for key, value in values.items():
        result = render(str(value), params, go)
        if not result.gaps:  # a value that cannot be rendered is a parameter not provided
            rendered[str(key)] = result.text
    if go:
        return {**params, "values": rendered}
    return {**params, **{f"values.{k}": v for k, v in rendered.items()}}


def _flat(params: Mapping[str, Any], go: bool) -> Mapping[str, str]:
    return flatten(params) if go else {k: str(v) for k, v in params.items()}


def _merge_key(element: Element, keys: list[str], go: bool) -> tuple[str, ...]:
    flat = _flat(element.params, go)
    return tuple(flat.get(k, "") for k in keys)


def _selected(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """A label selector on generator parameters or cluster labels, as the API server reads it."""
    return selector_matches(selector, {str(k): str(v) for k, v in labels.items()})


def _git_glob(pattern: str, path: str) -> bool:
    # git ls-files pathspec: '*' matches '/' too (the controller's default globbing).
    return fnmatch.fnmatchcase(path, pattern.lstrip("/"))


def _path_match(pattern: str, folder: str) -> bool:
    # Go's path.Match: '*' stays within one segment.
    parts = pattern.strip("/").split("/")
    segments = folder.split("/")
    return len(parts) == len(segments) and all(
        fnmatch.fnmatchcase(s, p) for s, p in zip(segments, parts, strict=True)
    )


def _yaml_list(text: str, source: str) -> list[Mapping[str, Any]] | None:
    try:
        documents = list(iter_yaml_documents(text, source))
    except YamlError:
        return None
    data = documents[0].data if documents else None
    return [i for i in as_list(data) if isinstance(i, Mapping)] if data is not None else None


def _index_of(entries: list[Mapping[str, Any]], path: str) -> int:
    """The index of the ``git.directories`` entry whose ``path`` is ``path``."""
    return next(i for i, e in enumerate(entries) if str(e.get("path", "")) == path)


def _label(item: Mapping[str, Any]) -> str:
    for key, value in item.items():
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return f"{key}: {value}"
        if isinstance(value, Mapping):
            inner = _label(value)
            if inner:
                return f"{key}.{inner}"
    return ""


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")
