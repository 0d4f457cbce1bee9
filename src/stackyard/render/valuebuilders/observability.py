"""Values for metrics, logs, traces and cost, wired to the stores the plan runs.

Every cluster's Prometheus (or Prometheus agent) labels its series with the cluster name
and remote-writes to the one metrics store, Thanos Receive or Mimir, when the plan runs
one. Grafana's default datasource is that store, else the local Prometheus; Loki and
Tempo are linked both ways. Log and trace agents (Promtail, Alloy, the OpenTelemetry
Collector) push through :func:`endpoint_url`, in-cluster or over the public HTTPS name.
Loki and Mimir keep objects where :mod:`.storage` says; Tempo and Thanos keep theirs in the
spec's external object store when it declares one (:mod:`stackyard.render.objectstore`),
else as before: Tempo on its volume, Thanos through the ``thanos-objstore`` Secret.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from stackyard.kube import merge_values
from stackyard.plan import ClusterPlan
from stackyard.render.addresses import (
    CA_BUNDLE_SECRET,
    CA_KEY,
    endpoint_url,
    oidc_client_id,
    public_host,
)
from stackyard.render.auditlog import alloy_audit_values, promtail_audit_values
from stackyard.render.context import RenderContext
from stackyard.render.objectstore import (
    ExternalStore,
    bucket_name,
    credentials_env_from,
    external_store,
)
from stackyard.render.valuebuilders.identity import keycloak_issuer
from stackyard.render.valuebuilders.provider import aws_region
from stackyard.render.valuebuilders.storage import (
    loki_store,
    minio_endpoint,
    object_store,
    storage_size,
)
from stackyard.render.values import ValueBuilder, Values
from stackyard.spec.units import GIB, parse_quantity


def metrics_store(context: RenderContext) -> str | None:
    """The metrics store the plan runs (thanos or mimir), if any."""
    store = context.plan.settings.observability.metricsStore.value
    return store if context.clusters_running(store) else None


def _store_url(
    context: RenderContext, cluster: ClusterPlan, use: Literal["push", "query"]
) -> str | None:
    store = metrics_store(context)
    if store is None:
        return None
    return endpoint_url(context, cluster, store, use)


def _kube_prometheus_common(context: RenderContext, cluster: ClusterPlan) -> Values:
    spec: Values = {"externalLabels": {"cluster": cluster.name}}
    url = _store_url(context, cluster, "push")
    if url is not None:
        target: Values = {"url": url}
        if url.startswith("https://"):
            # Across clusters the store's certificate chains to the platform CA bundle,
            # supplied at bootstrap in each namespace that needs it (manifests/endpoints).
            target["tlsConfig"] = {"ca": {"secret": {"name": CA_BUNDLE_SECRET, "key": CA_KEY}}}
        spec["remoteWrite"] = [target]
    values: Values = {"prometheus": {"prometheusSpec": spec}}
    if cluster.has("cilium"):
        # Cilium replaces kube-proxy: nothing to scrape, and its alert would always fire.
        values["kubeProxy"] = {"enabled": False}
    return values


def _prometheus(context: RenderContext, cluster: ClusterPlan) -> Values:
    values = _kube_prometheus_common(context, cluster)
    storage = storage_size(context, "prometheus")
    spec = values["prometheus"]["prometheusSpec"]
    spec["storageSpec"] = {
        "volumeClaimTemplate": {
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": storage}},
            }
        }
    }
    # Keep the TSDB inside its volume: size-based retention at 90% of it.
    spec["retentionSize"] = f"{math.floor(parse_quantity(storage) * 0.9 / GIB)}GiB"
    # kube-prometheus-stack's dashboards as ConfigMaps for Grafana's sidecar.
    values["grafana"] = {"forceDeployDashboards": cluster.has("grafana")}
    return values


def _prometheus_agent(context: RenderContext, cluster: ClusterPlan) -> Values:
    values = _kube_prometheus_common(context, cluster)
    # Contract C2: the agent's WAL buffer; the PrometheusAgent resource has no retention
    # field, so the flag goes through additionalArgs.
    values["prometheus"]["prometheusSpec"]["additionalArgs"] = [
        {
            "name": "storage.agent.retention.max-time",
            "value": context.platform.observability.walRetention,
        }
    ]
    return values


def _grafana(context: RenderContext, cluster: ClusterPlan) -> Values:
    host = public_host(context, "grafana")
    ini: Values = {"server": {"domain": host, "root_url": f"https://{host}"}}
    values: Values = {"grafana.ini": ini}
    issuer = keycloak_issuer(context)
    if issuer is not None:
        oidc = f"{issuer}/protocol/openid-connect"
        ini["auth.generic_oauth"] = {
            "enabled": True,
            "name": "Keycloak",
            "client_id": oidc_client_id(context, "grafana"),
            "scopes": "openid email profile offline_access roles",
            "auth_url": f"{oidc}/auth",
            "token_url": f"{oidc}/token",
            "api_url": f"{oidc}/userinfo",
            "signout_redirect_url": f"{oidc}/logout",
            "use_pkce": True,
            "allow_sign_up": True,
            "role_attribute_path": (
                "contains(roles[*], 'admin') && 'Admin' || "
                "contains(roles[*], 'editor') && 'Editor' || 'Viewer'"
            ),
        }
        # The client secret reaches Grafana as an environment variable from a Secret.
        values["envValueFrom"] = {
            "GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET": {
                "secretKeyRef": {"name": "grafana-oidc", "key": "client-secret"}
            }
        }
    values["datasources"] = {
        "datasources.yaml": {"apiVersion": 1, "datasources": _datasources(context, cluster)}
    }
    return values


def _datasources(context: RenderContext, cluster: ClusterPlan) -> list[dict[str, Any]]:
    sources: list[dict[str, Any]] = []
    store_url = _store_url(context, cluster, "query")
    local = (
        endpoint_url(context, cluster, "prometheus", "query") if cluster.has("prometheus") else None
    )
    if local is not None:
        sources.append(_datasource("Prometheus", "prometheus", "prometheus", local))
    if store_url is not None:
        store = metrics_store(context) or ""
        sources.append(_datasource(store.capitalize(), "metrics-store", "prometheus", store_url))
    if sources:
        sources[-1]["isDefault"] = True  # the store when there is one, else local Prometheus
    loki = endpoint_url(context, cluster, "loki", "query")
    tempo = endpoint_url(context, cluster, "tempo", "query")
    if loki is not None:
        source = _datasource("Loki", "loki", "loki", loki)
        if tempo is not None:
            source["jsonData"] = {
                "derivedFields": [
                    {
                        "name": "TraceID",
                        "datasourceUid": "tempo",
                        "matcherRegex": r"(?:traceID|trace_id)=(\w+)",
                        "url": "$${__value.raw}",
                    }
                ]
            }
        sources.append(source)
    if tempo is not None:
        source = _datasource("Tempo", "tempo", "tempo", tempo)
        if loki is not None:
            source["jsonData"] = {
                "tracesToLogsV2": {
                    "datasourceUid": "loki",
                    "spanStartTimeShift": "-1h",
                    "spanEndTimeShift": "1h",
                    "filterByTraceID": True,
                    "filterBySpanID": False,
                }
            }
        sources.append(source)
    return sources


def _datasource(name: str, uid: str, kind: str, url: str) -> dict[str, Any]:
    return {"name": name, "uid": uid, "type": kind, "access": "proxy", "url": url}


def _loki(context: RenderContext, cluster: ClusterPlan) -> Values:
    store = loki_store(context, cluster)
    backend = "filesystem" if store == "filesystem" else "s3"
    loki: Values = {
        "schemaConfig": {
            "configs": [
                {
                    "from": "2024-04-01",
                    "store": "tsdb",
                    "object_store": backend,
                    "schema": "v13",
                    "index": {"prefix": "index_", "period": "24h"},
                }
            ]
        },
        "compactor": {"retention_enabled": True, "delete_request_store": backend},
    }
    single: Values = {"persistence": {"size": storage_size(context, "loki")}}
    if store == "filesystem":
        loki["storage"] = {"type": "filesystem"}
    elif store == "external":
        external = _external(context)
        bucket = external.bucket("loki")
        s3: Values = {"endpoint": external.host, "region": external.region}
        if external.path_style:
            s3["s3ForcePathStyle"] = True
        if external.insecure:
            s3["insecure"] = True
        loki["storage"] = {
            "type": "s3",
            "bucketNames": {"chunks": bucket, "ruler": bucket, "admin": bucket},
            "s3": s3,
        }
        env_from = credentials_env_from(external)
        if env_from:
            single["extraEnvFrom"] = env_from
    elif store == "s3":
        bucket = bucket_name(context, "loki")
        loki["storage"] = {
            "type": "s3",
            "bucketNames": {"chunks": bucket, "ruler": bucket, "admin": bucket},
            "s3": {"region": aws_region(context, cluster)},
        }
    else:
        bucket = bucket_name(context, "loki")
        loki["storage"] = {
            "type": "s3",
            "bucketNames": {"chunks": bucket, "ruler": bucket, "admin": bucket},
            "s3": {
                "endpoint": minio_endpoint(context),
                "s3ForcePathStyle": True,
                "insecure": True,
            },
        }
        single["extraEnvFrom"] = [{"secretRef": {"name": "loki-object-storage"}}]
    # The plan's replica decision (plan/replicas.py), which already holds Loki to one
    # replica on its own volume: every replica keeps a copy of each stream.
    planned = cluster.get("loki")
    factor = planned.replicas.count if planned is not None else 1
    loki["commonConfig"] = {"replication_factor": factor}
    return {"loki": loki, "singleBinary": single}


def _external(context: RenderContext) -> ExternalStore:
    store = external_store(context)
    if store is None:  # callers ask only where object_store() said "external"
        raise ValueError("no external object store in the spec")
    return store


# The Thanos components that read or write the bucket (Bitnami chart keys).
_THANOS_BUCKET_USERS = ("receive", "storegateway", "compactor")


def _thanos(context: RenderContext, cluster: ClusterPlan) -> Values:
    values: Values = {"receive": {"persistence": {"size": storage_size(context, "thanos")}}}
    external = external_store(context)
    if external is None:
        return values
    # Thanos' S3 client falls back to the AWS credential chain (environment, then the
    # instance role) when access_key is empty, so the objstore config holds no secret
    # and the chart may write it: https://thanos.io/tip/thanos/storage.md/#s3
    config: Values = {
        "bucket": external.bucket("thanos"),
        "endpoint": external.host,
        "region": external.region,
        "insecure": external.insecure,
    }
    if not external.is_aws:
        config["bucket_lookup_type"] = "path" if external.path_style else "virtual-hosted"
    values["existingObjstoreSecret"] = ""
    values["objstoreConfig"] = {"type": "S3", "config": config}
    if external.credentials_secret is not None:
        for component in _THANOS_BUCKET_USERS:
            values.setdefault(component, {})["extraEnvVarsSecret"] = external.credentials_secret
    return values


def _mimir(context: RenderContext, cluster: ClusterPlan) -> Values:
    store = object_store(context, cluster)
    if store == "external":
        external = _external(context)
        s3: Values = {
            "bucket_name": external.bucket("mimir"),
            "endpoint": external.host,
            "region": external.region,
        }
        if external.insecure:
            s3["insecure"] = True
        if not external.is_aws:
            s3["bucket_lookup_type"] = "path" if external.path_style else "virtual-hosted"
        env_from = credentials_env_from(external)
        extra: Values = {"global": {"extraEnvFrom": env_from}} if env_from else {}
    elif store == "s3":
        region = aws_region(context, cluster)
        s3 = {
            "bucket_name": bucket_name(context, "mimir"),
            "endpoint": f"s3.{region}.amazonaws.com",
            "region": region,
        }
        extra = {}
    else:
        s3 = {
            "bucket_name": bucket_name(context, "mimir"),
            "endpoint": minio_endpoint(context),
            "insecure": True,
        }
        extra = {"global": {"extraEnvFrom": [{"secretRef": {"name": "mimir-object-storage"}}]}}
    config: Values = {
        "common": {"storage": {"backend": "s3", "s3": s3}},
        "blocks_storage": {"storage_prefix": "blocks"},
        "ruler_storage": {"storage_prefix": "ruler"},
        "alertmanager_storage": {"storage_prefix": "alertmanager"},
    }
    return {
        "mimir": {"structuredConfig": config},
        "ingester": {"persistentVolume": {"size": storage_size(context, "mimir")}},
        **extra,
    }


def _tempo(context: RenderContext, cluster: ClusterPlan) -> Values:
    values: Values = {"persistence": {"size": storage_size(context, "tempo")}}
    external = external_store(context)
    if external is None:
        return values
    # Tempo's S3 backend: https://grafana.com/docs/tempo/latest/configuration/hosted-storage/s3/
    # With no access_key it reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from its
    # environment, then the instance role or IRSA. The volume stays for the WAL.
    s3: Values = {
        "bucket": external.bucket("tempo"),
        "endpoint": external.host,
        "region": external.region,
        "insecure": external.insecure,
        "forcepathstyle": external.path_style,
    }
    tempo: Values = {"storage": {"trace": {"backend": "s3", "s3": s3}}}
    env_from = credentials_env_from(external)
    if env_from:
        tempo["extraEnvFrom"] = env_from
    values["tempo"] = tempo
    return values


def _promtail(context: RenderContext, cluster: ClusterPlan) -> Values:
    url = endpoint_url(context, cluster, "loki", "push")
    if url is None:
        return {}
    client = {"url": url, "external_labels": {"cluster": cluster.name}}
    values: Values = {"config": {"clients": [client]}}
    return merge_values(values, promtail_audit_values(context))


def _alloy(context: RenderContext, cluster: ClusterPlan) -> Values:
    url = endpoint_url(context, cluster, "loki", "push")
    if url is None:
        return {}
    # The pipeline in catalog/values/alloy.yaml reads these from its environment.
    env = [
        {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {"name": "LOKI_PUSH_URL", "value": url},
        {"name": "CLUSTER_NAME", "value": cluster.name},
    ]
    values: Values = {"alloy": {"extraEnv": env}}
    pipeline = context.catalog.values_of("alloy").common["alloy"]["configMap"]["content"]
    return merge_values(values, alloy_audit_values(context, pipeline))


def _otel_collector(context: RenderContext, cluster: ClusterPlan) -> Values:
    url = endpoint_url(context, cluster, "tempo", "push")
    if url is None:
        return {}
    return {"config": {"exporters": {"otlphttp/tempo": {"endpoint": url}}}}


def _opencost(context: RenderContext, cluster: ClusterPlan) -> Values:
    url = _store_url(context, cluster, "query")
    if url is None and cluster.has("prometheus"):
        url = endpoint_url(context, cluster, "prometheus", "query")
    exporter: Values = {"defaultClusterId": cluster.name}
    values: Values = {"opencost": {"exporter": exporter}}
    if url is not None:
        values["opencost"]["prometheus"] = {"external": {"url": url}}
    return values


BUILDERS: dict[str, ValueBuilder] = {
    "alloy": _alloy,
    "grafana": _grafana,
    "loki": _loki,
    "mimir": _mimir,
    "opencost": _opencost,
    "opentelemetry-collector": _otel_collector,
    "prometheus": _prometheus,
    "prometheus-agent": _prometheus_agent,
    "promtail": _promtail,
    "tempo": _tempo,
    "thanos": _thanos,
}
