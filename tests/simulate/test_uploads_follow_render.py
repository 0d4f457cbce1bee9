"""Loki, Thanos, Tempo and Mimir uploads go where their rendered values send them.

The plan links every object-store consumer to a MinIO it runs beside; the rendered
values decide where the data really goes: the spec's external store, S3, MinIO, or the
consumer's own volume (then nothing is uploaded).
"""

from __future__ import annotations

from stackyard.plan import make_plan
from stackyard.render.build import render_plan
from stackyard.render.tree import RenderedTree
from stackyard.simulate.dependencies import build_runtime_model
from stackyard.simulate.model import FunctionInstance, RuntimeModel
from stackyard.simulate.run import run_scenario
from stackyard.simulate.scenario import single_failure
from stackyard.spec import load_spec_text
from tests.conftest import EXAMPLES
from tests.simulate.conftest import local_text

EXTERNAL_STORE = """objectStorage:
  endpoint: https://s3.example.com
  credentialsSecret: object-storage
clusters:
"""


def uploads(model: RuntimeModel) -> dict[str, FunctionInstance]:
    """The object-upload functions of ``model``, by consumer."""
    return {f.consumer or "": f for f in model.functions if f.id == "object-uploads" and f.consumer}


def rendered(text: str) -> tuple[RenderedTree, RuntimeModel]:
    """The rendered tree of a spec and the runtime model built from it."""
    plan = make_plan(load_spec_text(text, "platform.yaml", EXAMPLES))
    tree = render_plan(plan)
    return tree, build_runtime_model(plan, tree)


def example(name: str) -> tuple[RenderedTree, RuntimeModel]:
    """The rendered tree and runtime model of ``examples/<name>.yaml``."""
    return rendered((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))


def cited_line(tree: RenderedTree, function: FunctionInstance) -> str:
    """The rendered line a function's source cites (``field = value (file:line)``)."""
    assert function.source is not None
    file, line = function.source.rsplit("(", 1)[1].rstrip(")").rsplit(":", 1)
    return tree.files[file].splitlines()[int(line) - 1].strip()


def test_with_an_external_store_beside_minio_uploads_go_to_the_external_store() -> None:
    # MinIO still runs on mgmt (the plan links Thanos to it); the values point at the spec's store.
    tree, model = rendered(local_text().replace("clusters:\n", EXTERNAL_STORE, 1))
    found = uploads(model)
    assert set(found) == {"thanos@mgmt", "loki@mgmt"}
    for function in found.values():
        assert not any(p.startswith("minio@") for p in function.providers), function.key
        assert function.key.endswith("/outside")
        assert cited_line(tree, function) == "endpoint: s3.example.com"

    minio_down = run_scenario(model, single_failure(model, "minio@mgmt", "1h"))
    assert "object-uploads" not in {o.function.id for o in minio_down.simulation.affected()}
    thanos_down = run_scenario(model, single_failure(model, "thanos@mgmt", "1h"))
    assert "object-uploads/thanos@mgmt/outside" in {
        o.function.key for o in thanos_down.simulation.affected()
    }


def test_without_an_external_store_loki_on_local_vms_keeps_chunks_on_its_volume() -> None:
    _, model = example("local-multicluster")
    found = uploads(model)
    # Loki's values say filesystem: no uploads to MinIO, whatever the plan links.
    assert "loki@mgmt" not in found
    # Thanos reads its bucket from a Secret render does not write: the plan's MinIO stands.
    assert found["thanos@mgmt"].providers[0] == "minio@mgmt"


def test_tempo_on_its_chart_default_uploads_nothing() -> None:
    tree, model = example("aws-standard")
    assert "tempo@prod" not in uploads(model)  # the chart's local backend
    mimir = uploads(model)["mimir@prod"]
    assert cited_line(tree, mimir) == "endpoint: s3.ap-northeast-2.amazonaws.com"
