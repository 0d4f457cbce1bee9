"""The key check knows what charts really accept: commented keys, template keys, free maps.

The key trees are derived from upstream files Stackyard did not write. The strongest test
is upstream's own values: ``resources/upstream-values`` holds the key structure (never
the content) of the ``ci/*.yaml`` values each chart's maintainers install it with, derived
by ``scripts/build_reference_data.py --upstream-values``; every key in them must pass.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stackyard.validate import ChartKeys, chart_keys, unknown_keys
from stackyard.validate.chartsources import add_key, commented_keys, open_key, template_keys

UPSTREAM = Path(__file__).resolve().parent / "resources" / "upstream-values"
# Keys in upstream CI files that no template of the chart reads at the pinned commit:
# Helm ignores them, so reporting them is right (kyverno's templates read
# webhooksCleanup.enabled and admissionController.networkPolicy, for instance).
DEAD_UPSTREAM_KEYS = {
    ("grafana-12.11.1", "with-gateway-values.yaml", "route.redirect"),
    ("grafana-12.11.1", "with-nondefault-values.yaml", "global.environment"),
    ("kyverno-3.9.0", "hooks-values.yaml", "webhooksCleanup.enable"),
    ("kyverno-3.9.0", "networkpolicy-values.yaml", "networkPolicy"),
    ("loki-18.11.0", "keda-querier-values.yaml", "loki.kedaAutoscaling"),
    ("loki-18.11.0", "non-default-values.yaml", "memcached.replicas"),
}


def _keys(chart: str, version: str) -> ChartKeys:
    found = chart_keys(chart, version)
    assert isinstance(found, ChartKeys), found
    return found


def _tree_of(stem: str) -> Any:
    chart, _, version = stem.rpartition("-")
    return _keys(chart, version).tree


@pytest.mark.parametrize("path", sorted(UPSTREAM.glob("*.json")), ids=lambda p: p.stem)
def test_upstream_ci_values_have_no_false_unknown_keys(path: Path) -> None:
    tree = _tree_of(path.stem)
    reported = {
        (path.stem, name, unknown.dotted)
        for name, skeleton in json.loads(path.read_text(encoding="utf-8")).items()
        for unknown in unknown_keys(tree, skeleton)
    }
    assert reported <= DEAD_UPSTREAM_KEYS
    assert len(list(UPSTREAM.glob("*.json"))) >= 10


@pytest.mark.parametrize(
    ("chart", "version", "values"),
    [
        # documented only as "# adminPassword: strongpassword"
        ("grafana", "12.11.1", {"adminPassword": "x", "persistence": {"storageClassName": "a"}}),
        ("grafana", "12.11.1", {"grafana.ini": {"auth.generic_oauth": {"enabled": True}}}),
        ("argo-cd", "10.1.1", {"configs": {"cm": {"resource.exclusions": "x"}}}),
        ("argo-cd", "10.1.1", {"configs": {"params": {"server.insecure": True}}}),
        ("loki", "18.11.0", {"loki": {"limits_config": {"retention_period": "744h"}}}),
        ("opentelemetry-collector", "0.170.0", {"config": {"exporters": {"otlp/x": {}}}}),
        # read by the templates through `with (merge .Values.controller.image ...)`
        ("ingress-nginx", "4.15.1", {"controller": {"image": {"repository": "r"}}}),
    ],
)
def test_keys_the_chart_accepts_without_a_default_are_known(
    chart: str, version: str, values: dict[str, Any]
) -> None:
    assert unknown_keys(_keys(chart, version).tree, values) == []


def test_a_misspelt_key_next_to_documented_ones_is_still_reported() -> None:
    found = unknown_keys(_keys("grafana", "12.11.1").tree, {"adminPasword": "x"})
    assert [k.dotted for k in found] == ["adminPasword"]


def test_every_chart_with_a_template_source_records_its_commit() -> None:
    index = json.loads(
        (
            Path(__file__).resolve().parents[2] / "src/stackyard/validate/data/charts/index.json"
        ).read_text(encoding="utf-8")
    )
    for versions in index["charts"].values():
        for entry in versions.values():
            if entry.get("ref") == "" and entry["sourceChartVersion"] == "unknown":
                # Read from its values.yaml alone, at a commit (teleport-kube-agent): no
                # templates, and the index says it is not the exact version.
                assert entry["templates"] is None and entry["exactVersion"] is False, entry
                continue
            assert entry["templates"], entry


VALUES_TEXT = """\
persistence:
  enabled: false
  # storageClassName: default
  ## Prose: with a colon that is no key
# adminPassword: strongpassword
serviceAccount:
  labels: {}
  #  annotations:
  #    eks.amazonaws.com/role-arn: arn
extraVolumes: []
  # - name: x
  #   existingClaim: y
config: |
  # not: a comment, block text
  key: value
# Note: this sentence is prose
# ref: https://example.com
"""


def test_commented_keys_are_read_at_their_column() -> None:
    found = {".".join(path): shape for path, shape in commented_keys(VALUES_TEXT)}
    assert found["persistence.storageClassName"] is None
    assert found["adminPassword"] is None
    assert found["serviceAccount.annotations"] == "*"  # the sibling reading of "#  key"
    assert "extraVolumes.existingClaim" not in found  # list content is an example
    assert not any(k.startswith(("config", "not", "Note", "ref", "Prose")) for k in found)


def test_template_reads_and_verbatim_copies_are_found() -> None:
    text = (
        '{{ .Values.a.b }} {{ index .Values "c" "d-e" }} {{ toYaml .Values.f.g | nindent 2 }}\n'
        "{{- with .Values.h }}\n  {{- tpl (. | toYaml) $ }}\n{{- end }}"
    )
    read, verbatim = template_keys([text])
    assert {("a", "b"), ("c", "d-e"), ("f", "g"), ("h",)} <= read
    assert verbatim == {("f", "g"), ("h",)}


def test_adding_keys_never_changes_a_known_shape() -> None:
    tree: Any = {"a": {"b": None}, "c": None, "d": "*"}
    tree = add_key(tree, ("a", "b"), "*")
    tree = add_key(tree, ("c", "x"), None)
    tree = add_key(tree, ("d", "y"), None)
    assert tree == {"a": {"b": None}, "c": {"x": None}, "d": "*"}
    assert open_key(tree, ("a",)) == {"a": "*", "c": {"x": None}, "d": "*"}
