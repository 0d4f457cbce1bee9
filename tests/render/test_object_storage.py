"""Every object-store consumer writes to MinIO, to S3, or to the spec's external store."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from stackyard.plan import make_plan
from stackyard.render.build import render_plan
from stackyard.render.tree import RenderError
from stackyard.spec import load_spec_text
from tests.render.conftest import Rendered, example_text, render_text

LOCAL = example_text("local-multicluster")
WITHOUT_MINIO = LOCAL.replace("components:\n", "components:\n  minio: {enabled: false}\n", 1)
EXTERNAL = WITHOUT_MINIO + (
    "\nobjectStorage:\n"
    "  endpoint: http://objects.storage.example.com:9000\n"
    "  credentialsSecret: object-storage\n"
    "  buckets:\n"
    "    velero: site-backups\n"
)


def values(rendered: Rendered, component: str, cluster: str) -> dict[str, Any]:
    loaded = yaml.safe_load(rendered.files[f"values/clusters/{cluster}/{component}.yaml"])
    return loaded or {}


def location(rendered: Rendered, cluster: str) -> dict[str, Any]:
    return rendered.find(
        f"manifests/{cluster}/velero/backups.yaml", "BackupStorageLocation", "default"
    )["spec"]


def test_disabling_minio_never_invents_an_endpoint() -> None:
    # The plan refuses it (SY701); rendering the plan anyway must not make up s3.<domain>.
    plan = make_plan(load_spec_text(WITHOUT_MINIO, "platform.yaml"))
    with pytest.raises(RenderError, match="no object store"):
        dict(render_plan(plan))


def test_minio_stays_the_store_when_it_runs(rendered: dict[str, Rendered]) -> None:
    local = rendered["local-multicluster"]
    assert location(local, "mgmt")["config"]["s3Url"] == "http://minio.minio.svc:9000"
    assert location(local, "app1")["config"]["s3Url"] == "https://minio.platform.local.example"
    common = yaml.safe_load(local.files["values/common/thanos.yaml"])
    assert common["existingObjstoreSecret"] == "thanos-objstore"
    assert "objstoreConfig" not in values(local, "thanos", "mgmt")
    assert values(local, "loki", "mgmt")["loki"]["storage"]["type"] == "filesystem"


def test_velero_backs_up_to_the_external_store() -> None:
    rendered = render_text(EXTERNAL)
    for cluster in ("mgmt", "app1", "app2"):
        spec = location(rendered, cluster)
        assert spec["objectStorage"] == {"bucket": "site-backups", "prefix": cluster}
        assert spec["config"] == {
            "region": "us-east-1",
            "s3Url": "http://objects.storage.example.com:9000",
            "s3ForcePathStyle": "true",
        }
        assert spec["credential"] == {"name": "object-storage", "key": "cloud"}
    assert not any("s3.platform.local.example" in text for text in rendered.files.values())


def test_stores_write_to_the_external_store() -> None:
    rendered = render_text(EXTERNAL)
    host = "objects.storage.example.com:9000"
    loki = values(rendered, "loki", "mgmt")
    assert loki["loki"]["storage"]["s3"]["endpoint"] == host
    assert loki["loki"]["storage"]["bucketNames"]["chunks"] == "local-multicluster-loki"
    assert loki["singleBinary"]["extraEnvFrom"] == [{"secretRef": {"name": "object-storage"}}]
    thanos = values(rendered, "thanos", "mgmt")
    assert thanos["existingObjstoreSecret"] == ""
    assert thanos["objstoreConfig"]["config"]["endpoint"] == host
    assert thanos["objstoreConfig"]["config"]["bucket"] == "local-multicluster-thanos"
    assert thanos["objstoreConfig"]["config"]["insecure"] is True
    for component in ("receive", "storegateway", "compactor"):
        assert thanos[component]["extraEnvVarsSecret"] == "object-storage"
    # MinIO is off, so nothing creates buckets in it.
    assert not any(path.endswith("/minio.yaml") for path in rendered.files)


def test_tempo_and_etcd_snapshots_use_the_external_store() -> None:
    text = example_text("aws-standard") + (
        "\nobjectStorage:\n"
        "  endpoint: https://objects.example.com/\n"
        "  credentialsSecret: object-storage\n"
        "  buckets: {etcdSnapshots: etcd-copies, tempo: traces}\n"
    )
    rendered = render_text(text)
    config = yaml.safe_load(rendered.files["nodes/prod/rke2/config.yaml"])
    etcd = {key: value for key, value in config.items() if key.startswith("etcd-s3")}
    assert etcd == {
        "etcd-s3": True,
        "etcd-s3-endpoint": "objects.example.com",
        "etcd-s3-region": "us-east-1",
        "etcd-s3-bucket": "etcd-copies",
        "etcd-s3-folder": "prod",
        "etcd-s3-retention": etcd["etcd-s3-retention"],
        "etcd-s3-bucket-lookup-type": "path",
    }
    assert "AWS_ACCESS_KEY_ID" in rendered.files["nodes/prod/README.md"]
    tempo = values(rendered, "tempo", "prod")["tempo"]
    assert tempo["storage"]["trace"]["backend"] == "s3"
    assert tempo["storage"]["trace"]["s3"]["bucket"] == "traces"
    assert tempo["storage"]["trace"]["s3"]["endpoint"] == "objects.example.com"
    assert tempo["extraEnvFrom"] == [{"secretRef": {"name": "object-storage"}}]
    readme = rendered.files["README.md"]
    assert "`tracing/object-storage`" in readme or "/object-storage`" in readme


def test_aws_s3_with_instance_roles_renders_no_credentials(
    rendered: dict[str, Rendered],
) -> None:
    aws = rendered["aws-enterprise"]
    spec = location(aws, "prod")
    assert spec["objectStorage"]["bucket"] == "aws-enterprise-backups"
    assert spec["config"] == {"region": "ap-northeast-2"}
    assert "credential" not in spec
    tempo = values(aws, "tempo", "prod")["tempo"]
    assert tempo["storage"]["trace"]["s3"]["endpoint"] == "s3.ap-northeast-2.amazonaws.com"
    assert "extraEnvFrom" not in tempo
    config = yaml.safe_load(aws.files["nodes/prod/rke2/config.yaml"])
    assert config["etcd-s3-bucket"] == "aws-enterprise-etcd"
    assert "etcd-s3-bucket-lookup-type" not in config
