"""Object storage: disabling MinIO needs an external store; an external store must be complete."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

from stackyard.catalog import build_catalog
from stackyard.plan import Finding, Plan, make_plan
from stackyard.spec import load_spec_text
from tests.plan.conftest import example_text

PlanText = Callable[[str], Plan]

LOCAL = example_text("local-multicluster")
WITHOUT_MINIO = LOCAL.replace("components:\n", "components:\n  minio: {enabled: false}\n", 1)
EXTERNAL = """
objectStorage:
  endpoint: https://s3.storage.example.com
  credentialsSecret: object-storage
"""


def findings(plan: Plan, check: str) -> list[Finding]:
    return [f for f in plan.findings if f.check == check]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_disabling_minio_without_an_external_store_is_an_error(plan_text: PlanText) -> None:
    (finding,) = findings(plan_text(WITHOUT_MINIO), "SY701")
    assert finding.severity == "error"
    assert "velero" in finding.message and "thanos" in finding.message
    assert finding.location.line == line_of(WITHOUT_MINIO, "minio: {enabled: false}")
    assert finding.field == "components.minio.enabled"


def test_sy701_names_the_consumers_whose_entry_requires_a_store() -> None:
    # Loki falls back to its own volume (objectStore.required: false); an entry that says
    # it cannot is named too, with no change in Python.
    root = resources.files("stackyard.catalog")
    entries = []
    for item in (root / "data").iterdir():
        text = item.read_text(encoding="utf-8")
        if item.name == "loki.yaml":
            assert "  required: false\n" in text
            text = text.replace("  required: false\n", "  required: true\n")
        entries.append((item.name, text))
    values = [(i.name, i.read_text(encoding="utf-8")) for i in (root / "values").iterdir()]
    catalog = build_catalog(entries, values)
    spec = load_spec_text(WITHOUT_MINIO, "platform.yaml")
    (shipped,) = findings(make_plan(spec), "SY701")
    (edited,) = findings(make_plan(spec, catalog), "SY701")
    assert "loki" not in shipped.message
    assert edited.message.startswith("loki, thanos, velero need an object store")


def test_disabling_minio_with_an_external_store_plans_clean(plan_text: PlanText) -> None:
    plan = plan_text(WITHOUT_MINIO + EXTERNAL)
    assert [f for f in plan.findings if f.check.startswith("SY70")] == []
    assert plan.errors == []


def test_the_shipped_examples_need_no_object_store_finding(
    example_plans: dict[str, Plan],
) -> None:
    for plan in example_plans.values():
        assert [f for f in plan.findings if f.check.startswith("SY70")] == []


def test_an_external_store_off_aws_needs_an_endpoint_and_keys(plan_text: PlanText) -> None:
    text = WITHOUT_MINIO + "\nobjectStorage:\n  region: eu-west-1\n"
    found = findings(plan_text(text), "SY702")
    assert sorted(f.message.split(";")[0] for f in found) == [
        "objectStorage has no credentialsSecret",
        "objectStorage has no endpoint",
    ]
    assert {f.location.line for f in found} == {line_of(text, "objectStorage:")}


def test_aws_s3_needs_neither_endpoint_nor_keys(plan_text: PlanText) -> None:
    text = example_text("aws-standard") + "\nobjectStorage:\n  region: ap-northeast-2\n"
    assert findings(plan_text(text), "SY702") == []


def test_minio_beside_an_external_store_is_a_warning(plan_text: PlanText) -> None:
    (finding,) = findings(plan_text(LOCAL + EXTERNAL), "SY703")
    assert finding.severity == "warning"
    assert "mgmt" in finding.message


def test_tempo_without_an_external_store_claims_no_minio(plan_text: PlanText) -> None:
    """Tempo's values name only the spec's store: beside MinIO it still keeps its own volume.

    The plan (and so ``plan --why`` and the failure model) must not claim a dependency on
    MinIO that the rendered values never use; Velero, beside it, does write to MinIO.
    """
    with_tempo = LOCAL.replace("tempo: {enabled: false}", "tempo: {enabled: true}", 1)
    assert with_tempo != LOCAL
    plan = plan_text(with_tempo)
    assert any(c.get("tempo") for c in plan.clusters), "tempo is planned"
    stores = {(e.consumer, e.provider) for e in plan.edges if e.capability == "object-storage"}
    assert ("velero", "minio") in stores
    assert not any(consumer == "tempo" for consumer, _ in stores)
    assert not any(e.consumer == "tempo" and e.provider == "minio" for e in plan.edges)
