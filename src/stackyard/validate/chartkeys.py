"""Which Helm values keys a pinned chart has, and whether values fit its schema.

Helm ignores values keys a chart does not read, so a misspelt or moved key (``hubble.relayy``,
a key renamed between chart versions) silently does nothing. Stackyard therefore checks
every key it writes against the chart's own ``values.yaml``. The key trees are derived once
from the upstream charts by ``scripts/build_reference_data.py`` and shipped in
``validate/data/charts``; nothing is fetched or read outside the package at run time.

Key tree format (one JSON file per chart and pinned version, ``<chart>-<version>.json``):

- a JSON object is a mapping whose keys are known; each member is the key's own tree;
- a member named ``"*"`` in such an object means other keys are allowed there too,
  unchecked (a ``values.schema.json`` with ``additionalProperties``, a subchart's section);
- the string ``"*"`` means any key and any value (a map whose default is ``{}`` such as
  ``podAnnotations``, a ``null`` placeholder, a schema object without properties, or a key
  that holds a Kubernetes object the chart copies verbatim: ``*Annotations``, ``*Labels``,
  ``*Selector``, ``affinity``, ``*SecurityContext``, ``resources``, ``*Probe``,
  ``*Strategy``, ``env`` and ``extraEnv*`` maps);
- ``[]`` is a list; its items are not checked;
- ``null`` is a scalar (string, number, boolean): a mapping written there is reported.

Keys holding another program's configuration, which the chart copies verbatim, accept
any key (Istio ``meshConfig``, Alertmanager ``config``, Falco's ``falco``) or any key
beside the chart's own (Argo CD ``configs.cm``); the build script lists them. Where that
program's configuration API is pinned as Go types (Envoy Gateway's ``config.envoyGateway``,
the ``EnvoyGateway`` type), the key tree below the key is derived from the types' JSON names.

Keys come from ``values.yaml`` and from ``values.schema.json`` where the chart has one;
keys that appear only in comments are unknown. Istio's ``_internal_defaults_do_not_set``
wrapper is removed (users set its children at the top level); alloy also accepts its
deprecated top-level ``agent``; a subchart's section holds that subchart's keys when the
exact version was available, else allows any key.

``charts/index.json`` maps chart and version to the files and their provenance (upstream
repository, commit, and whether the git ``Chart.yaml`` matched the pinned version), and
lists the pinned charts that have no key tree, with the reason, so validation can say so.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, NamedTuple, TypeAlias

from jsonschema import Draft7Validator, validators

from stackyard.validate.precheck import Check, compiled_check
from stackyard.validate.schemaerrors import SchemaProblem, closest, path_text, problems_from

ANY = "*"
ISTIO_WRAPPER = "_internal_defaults_do_not_set"

KeyTree: TypeAlias = "dict[str, KeyTree] | list[object] | str | None"


@dataclass(frozen=True)
class ChartKeys:
    """The reference data of one chart at one pinned version."""

    chart: str
    version: str
    tree: KeyTree
    source_dir: str
    upstream: str
    commit: str
    source_chart_version: str
    exact_version: bool
    schema_file: str | None
    defaults_file: str | None


@dataclass(frozen=True)
class NoKeyTree:
    """A pinned chart whose keys cannot be checked, and why."""

    chart: str
    version: str
    reason: str


class UnknownKey(NamedTuple):
    """A values key the chart does not have, with the closest sibling it does have."""

    path: tuple[str, ...]
    suggestion: str | None

    @property
    def dotted(self) -> str:
        """The key's path as text, e.g. ``hubble.relayy``."""
        return path_text(self.path)

    def __str__(self) -> str:
        hint = f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""
        return f"{self.dotted}: not a key of the chart{hint}"


@cache
def _data(name: str) -> Any:
    """A parsed data file; shared between callers, so never changed in place."""
    folder = resources.files("stackyard.validate") / "data" / "charts"
    return json.loads((folder / name).read_text(encoding="utf-8"))


def _index() -> dict[str, Any]:
    index: dict[str, Any] = _data("index.json")
    return index


def pinned_charts() -> list[tuple[str, str]]:
    """Every ``(chart, version)`` with reference data or a recorded reason for none."""
    index = _index()
    pairs = {
        (c, v) for part in ("charts", "noKeyTree") for c, vs in index[part].items() for v in vs
    }
    return sorted(pairs)


@cache
def chart_keys(chart: str, version: str) -> ChartKeys | NoKeyTree:
    """The key tree of ``chart`` at ``version``, as the catalog names and pins it.

    Args:
        chart: the catalog's ``install.chart`` (a name, or a path for Git sources).
        version: the catalog's pinned ``install.version``.

    Returns:
        The chart's reference data, or why there is none. The tree is shared: do not
        change it.
    """
    index = _index()
    reason = index["noKeyTree"].get(chart, {}).get(version)
    if reason is not None:
        return NoKeyTree(chart, version, str(reason))
    entry = index["charts"].get(chart, {}).get(version)
    if entry is None:
        known = ", ".join(sorted(index["charts"].get(chart, {}))) or "none"
        reason = f"no reference data for {chart} {version} (versions with data: {known})"
        return NoKeyTree(chart, version, reason)
    return ChartKeys(
        chart=chart,
        version=version,
        tree=_data(entry["keys"]),
        source_dir=entry["sourceDir"],
        upstream=entry["upstream"],
        commit=entry["commit"],
        source_chart_version=entry["sourceChartVersion"],
        exact_version=entry["exactVersion"],
        schema_file=entry["schema"],
        defaults_file=entry["defaults"],
    )


def unknown_keys(tree: KeyTree, values: Mapping[str, Any]) -> list[UnknownKey]:
    """Every key in ``values`` that the chart's key tree does not have.

    Args:
        tree: a chart's key tree (:attr:`ChartKeys.tree`).
        values: the Helm values Stackyard writes for the chart.

    Returns:
        The unknown keys in document order; keys below an unknown key are not listed.
    """
    return list(_unknown(tree, values, ()))


def _unknown(
    tree: KeyTree, values: Mapping[str, Any], path: tuple[str, ...]
) -> Iterator[UnknownKey]:
    if tree == ANY or isinstance(tree, list):
        return
    for raw_key, value in values.items():
        key = str(raw_key)
        here = (*path, key)
        if not isinstance(tree, dict):  # a scalar in the chart: it has no keys below
            yield UnknownKey(here, None)
            continue
        if key not in tree:
            if ANY not in tree:
                yield UnknownKey(here, closest(key, (k for k in tree if k != ANY)))
            continue
        if isinstance(value, Mapping):
            yield from _unknown(tree[key], value, here)


def coalesce(defaults: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's coalescing of user values over chart defaults.

    Maps merge key by key, anything else replaces the default, and a ``null`` user value
    removes the key (``helm.sh/helm/v3/pkg/chartutil/coalesce.go``).
    """
    return copy.deepcopy(_coalesced(defaults, values))


def _coalesced(defaults: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`coalesce` without copies: new mappings where the two merge, the rest shared.

    For reading only (a schema check): changing it would change the chart defaults.
    """
    merged = dict(values)
    for key, default in defaults.items():
        if key not in merged:
            merged[key] = default
        elif merged[key] is None:
            del merged[key]
        elif isinstance(merged[key], Mapping) and isinstance(default, Mapping):
            merged[key] = _coalesced(default, merged[key])
    return merged


# The problems of values already checked, by chart data files and the values' repr (types kept).
_SCHEMA_PROBLEMS: dict[tuple[str, str | None, str], tuple[SchemaProblem, ...]] = {}
_SCHEMA_PROBLEMS_LIMIT = 10_000


@cache
def _values_validator(schema_file: str) -> tuple[Any, Check]:
    schema = _data(schema_file)
    # Draft 7 where the schema names none or an unknown URI (`https://` draft-07 spellings,
    # bare `http://json-schema.org/schema#`), as Helm's own validator does.
    cls = validators.validator_for(schema, default=Draft7Validator)
    return cls(schema), compiled_check(cls, schema)


def chart_defaults(keys: ChartKeys) -> dict[str, Any]:
    """The chart's ``values.yaml`` as the chart ships it (Istio's wrapper included).

    Stored only for charts with a ``values.schema.json``; ``{}`` for the others.
    """
    if keys.defaults_file is None:
        return {}
    return copy.deepcopy(dict(_data(keys.defaults_file)))


def values_schema_problems(keys: ChartKeys, values: Mapping[str, Any]) -> list[SchemaProblem]:
    """Check values against the chart's ``values.schema.json``, as ``helm install`` does.

    Helm validates the chart defaults coalesced with the user's values, so a required key
    the defaults leave empty (external-dns ``policy``) is reported when values omit it.

    Args:
        keys: the chart's reference data.
        values: the Helm values Stackyard writes for the chart.

    Returns:
        The schema's objections with the JSON path of each; ``[]`` when the chart has no
        schema.
    """
    if keys.schema_file is None:
        return []
    memo = repr(values)  # a fleet's clusters often share a chart's values: judged once
    known = _SCHEMA_PROBLEMS.get((keys.schema_file, keys.defaults_file, memo))
    if known is not None:
        return list(known)
    shipped = _data(keys.defaults_file) if keys.defaults_file else {}
    # Read, never changed, by the validator: no copy of the defaults it shares is needed.
    merged = _coalesced(shipped, values)
    validator, check = _values_validator(keys.schema_file)
    problems = [] if check(merged) else problems_from(validator.iter_errors(merged))
    if len(_SCHEMA_PROBLEMS) >= _SCHEMA_PROBLEMS_LIMIT:
        _SCHEMA_PROBLEMS.clear()
    _SCHEMA_PROBLEMS[(keys.schema_file, keys.defaults_file, memo)] = tuple(problems)
    return problems
