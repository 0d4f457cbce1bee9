"""Values that depend on the cluster and the plan, computed per component.

Static defaults belong in ``values_data/<component>.yaml``; only what must be derived
from the spec or plan (cluster names and ids, addresses, remote-write URLs, routing
modes, sizes from the catalog) is computed here. The registry maps component name to
builder.

Policy for addresses, so every component agrees with every other:

- Public names are made by :func:`public_host` only: ``<name>.<platform.domain>``, or
  ``<name>.<cluster>.<domain>`` for per-cluster endpoints. The gateway or ingress routes
  for them are rendered as manifests.
- A consumer reaches a platform service through :func:`endpoint_url`: the in-cluster
  Service when the service runs on the consumer's own cluster, else the public
  ``https://`` name of the service on mgmt. :data:`ENDPOINTS` lists every such service.
- Secrets are never values: components name existing Secrets (``existingSecret``,
  ``secretKeyRef``); the Secrets come from Vault through External Secrets or from the
  operator.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from stackyard.plan import ClusterPlan
from stackyard.render.addresses import endpoint_url, public_host
from stackyard.render.context import RenderContext
from stackyard.render.manifests.endpoints import CA_BUNDLE_SECRET, CA_KEY
from stackyard.render.values import ValueBuilder, Values
from stackyard.spec.units import GIB, parse_quantity

REALM = "platform"
"""The Keycloak realm of the platform's own clients (seed 002)."""

RETAIN_STORAGE_CLASS = "local-path-retain"
"""Seed 004: the Retain class of provider local, for Vault and MinIO."""

MESH_PORT = 2379
"""Port of the clustermesh-apiserver Service."""


_STORE_ENDPOINTS = {
    ("thanos", "push"): "thanos-receive",
    ("thanos", "query"): "thanos-query",
    ("mimir", "push"): "mimir-push",
    ("mimir", "query"): "mimir-query",
}


def keycloak_issuer(context: RenderContext) -> str | None:
    """The OIDC issuer of the platform realm, or None when Keycloak is not planned."""
    if not context.clusters_running("keycloak"):
        return None
    return f"https://{public_host(context, 'keycloak')}/realms/{REALM}"


def metrics_store(context: RenderContext) -> str | None:
    """The metrics store the plan runs (thanos or mimir), if any."""
    store = context.plan.setting("observability.metricsStore")
    return store if context.clusters_running(store) else None


def _store_url(
    context: RenderContext, cluster: ClusterPlan, use: Literal["push", "query"]
) -> str | None:
    store = metrics_store(context)
    if store is None:
        return None
    return endpoint_url(context, cluster, _STORE_ENDPOINTS[store, use])


def _storage(context: RenderContext, component: str) -> str:
    storage = context.component(component).storage
    if storage is None:  # a catalog invariant for the components that ask
        raise ValueError(f"catalog entry {component} has no storage size")
    return storage


def _retain_class(context: RenderContext) -> dict[str, str]:
    return {"storageClass": RETAIN_STORAGE_CLASS} if context.platform.provider == "local" else {}


def _region(context: RenderContext, cluster: ClusterPlan) -> str | None:
    aws = cluster.cluster.aws
    if aws is not None and aws.region:
        return aws.region
    return context.platform.aws.region if context.platform.aws else None


def _bucket(context: RenderContext, purpose: str) -> str:
    """The platform's bucket for ``purpose``, on S3 or MinIO alike: ``<platform>-<purpose>``."""
    return f"{context.platform.name}-{purpose}"


def _object_store(context: RenderContext, cluster: ClusterPlan) -> str:
    """Where a store on ``cluster`` keeps objects: s3 (AWS), minio (beside it) or filesystem."""
    if context.platform.provider == "aws":
        return "s3"
    return "minio" if cluster.has("minio") else "filesystem"


def _loki_store(context: RenderContext, cluster: ClusterPlan) -> str:
    """Loki's chunk store: its own volume on provider local (seed 004: 30Gi), else objects."""
    return "filesystem" if context.platform.provider == "local" else _object_store(context, cluster)


def _minio_endpoint(context: RenderContext) -> str:
    return f"minio.{context.component('minio').namespace}.svc:9000"


def _load_balancer_annotations(
    context: RenderContext, cluster: ClusterPlan, *, internal: bool
) -> dict[str, str]:
    """Service annotations for the cluster's load-balancer provider."""
    prefix = "service.beta.kubernetes.io/aws-load-balancer"
    if cluster.has("aws-load-balancer-controller"):
        target = context.plan.setting("networking.loadBalancerTargetType")
        return {
            f"{prefix}-type": "external",
            f"{prefix}-nlb-target-type": target if target in ("ip", "instance") else "ip",
            f"{prefix}-scheme": "internal" if internal else "internet-facing",
        }
    if cluster.has("aws-ccm-load-balancer"):
        annotations = {f"{prefix}-type": "nlb"}
        if internal:
            annotations[f"{prefix}-internal"] = "true"
        return annotations
    return {}


# --- networking ---------------------------------------------------------------------


def _cilium(context: RenderContext, cluster: ClusterPlan) -> Values:
    values: Values = {
        # kube-proxy is replaced, so the agent cannot use the kubernetes Service.
        "k8sServiceHost": context.api_host(cluster),
        "k8sServicePort": 6443,
        # Cluster Mesh needs a unique name and id (1..255) per cluster; the spec order
        # keeps ids stable as long as clusters are only appended.
        "cluster": {"name": cluster.name, "id": cluster.index + 1},
    }
    mode = context.plan.setting("networking.ciliumRoutingMode")
    pod_cidr = cluster.cluster.network.podCIDR
    if mode == "eni":
        values.update(eni={"enabled": True}, ipam={"mode": "eni"}, routingMode="native")
    else:
        if pod_cidr is not None:
            values["ipam"] = {
                "mode": "cluster-pool",
                "operator": {"clusterPoolIPv4PodCIDRList": [str(pod_cidr)]},
            }
        if mode == "native":
            values["routingMode"] = "native"
            values["autoDirectNodeRoutes"] = True
            if pod_cidr is not None:
                values["ipv4NativeRoutingCIDR"] = str(pod_cidr)
        else:
            values.update(routingMode="tunnel", tunnelProtocol="vxlan")
    hubble = cluster.has("cilium-hubble")
    values["hubble"] = {"relay": {"enabled": hubble}, "ui": {"enabled": hubble}}
    if cluster.has("metallb"):
        values["l2announcements"] = {"enabled": False}
    if cluster.has("cilium-clustermesh"):
        values["clustermesh"] = _clustermesh(context, cluster)
    return values


def _mesh_ip(cluster: ClusterPlan) -> str | None:
    """The MetalLB address pinned for a cluster's clustermesh-apiserver: its pool's last."""
    pool = cluster.cluster.network.loadBalancerPool
    return str(pool.last) if pool is not None and cluster.has("metallb") else None


def _clustermesh(context: RenderContext, cluster: ClusterPlan) -> Values:
    service: Values = {"type": "LoadBalancer"}
    ip = _mesh_ip(cluster)
    if ip is not None:
        service["annotations"] = {"metallb.io/loadBalancerIPs": ip}
    else:
        annotations = _load_balancer_annotations(context, cluster, internal=True)
        annotations["external-dns.alpha.kubernetes.io/hostname"] = public_host(
            context, "clustermesh", cluster.name
        )
        service["annotations"] = annotations
    peers = []
    for peer in context.clusters_running("cilium-clustermesh"):
        if peer.name == cluster.name:
            continue
        entry: Values = {"name": peer.name, "port": MESH_PORT}
        peer_ip = _mesh_ip(peer)
        if peer_ip is not None:
            entry["ips"] = [peer_ip]
        else:
            entry["address"] = public_host(context, "clustermesh", peer.name)
        peers.append(entry)
    return {"apiserver": {"service": service}, "config": {"enabled": True, "clusters": peers}}


def _metallb(context: RenderContext, cluster: ClusterPlan) -> Values:
    pools = cluster.cluster.nodePools
    if all(pool.role == "control-plane" for pool in pools):
        # kubeadm labels control-plane nodes exclude-from-external-load-balancers.
        return {"speaker": {"ignoreExcludeLB": True}}
    return {}


def _ingress_nginx(internal: bool) -> ValueBuilder:
    def build(context: RenderContext, cluster: ClusterPlan) -> Values:
        annotations = _load_balancer_annotations(context, cluster, internal=internal)
        return {"controller": {"service": {"annotations": annotations}}} if annotations else {}

    return build


def _istio_gateway(context: RenderContext, cluster: ClusterPlan) -> Values:
    annotations = _load_balancer_annotations(context, cluster, internal=False)
    return {"service": {"annotations": annotations}} if annotations else {}


def _aws_lb_controller(context: RenderContext, cluster: ClusterPlan) -> Values:
    values: Values = {"clusterName": cluster.name}
    region = _region(context, cluster)
    if region:
        values["region"] = region
    return values


def _external_dns(context: RenderContext, cluster: ClusterPlan) -> Values:
    domain = context.platform.domain
    values: Values = {
        "txtOwnerId": f"{context.platform.name}-{cluster.name}",
        "domainFilters": [domain],
    }
    if context.platform.provider == "aws":
        values["provider"] = {"name": "aws"}
        region = _region(context, cluster)
        if region:
            values["env"] = [{"name": "AWS_DEFAULT_REGION", "value": region}]
        return values
    values["provider"] = {"name": "rfc2136"}
    values["extraArgs"] = [
        f"--rfc2136-host={public_host(context, 'ns')}",
        "--rfc2136-port=53",
        f"--rfc2136-zone={domain}",
        "--rfc2136-tsig-keyname=external-dns",
        "--rfc2136-tsig-secret-alg=hmac-sha256",
        "--rfc2136-tsig-axfr",
    ]
    values["env"] = [
        {
            "name": "EXTERNAL_DNS_RFC2136_TSIG_SECRET",
            "valueFrom": {"secretKeyRef": {"name": "external-dns-rfc2136", "key": "tsig-secret"}},
        }
    ]
    return values


# --- storage ------------------------------------------------------------------------


def _longhorn(context: RenderContext, cluster: ClusterPlan) -> Values:
    values: Values = {
        "persistence": {"defaultClassReplicaCount": min(3, cluster.cluster.node_count)}
    }
    region = _region(context, cluster)
    if context.platform.provider == "aws" and region:
        # No credential Secret: S3 is reached with the node's IAM role, as Loki and Mimir do.
        target = f"s3://{_bucket(context, 'longhorn-backups')}@{region}/"
        values["defaultBackupStore"] = {"backupTarget": target}
    return values


def minio_buckets(context: RenderContext, cluster: ClusterPlan) -> list[str]:
    """Buckets the platform's consumers use in the MinIO on ``cluster``."""
    if not cluster.has("minio"):
        return []
    # Every cluster's Velero writes to <platform>-velero (manifests/backup.py).
    buckets = [_bucket(context, "velero")]
    for store in ("thanos", "mimir"):
        if cluster.has(store):
            buckets.append(_bucket(context, store))
    if cluster.has("loki") and _loki_store(context, cluster) == "minio":
        buckets.append(_bucket(context, "loki"))
    return buckets


def _minio(context: RenderContext, cluster: ClusterPlan) -> Values:
    persistence: Values = {"size": _storage(context, "minio"), **_retain_class(context)}
    buckets = [
        {"name": name, "policy": "none", "purge": False} for name in minio_buckets(context, cluster)
    ]
    return {"persistence": persistence, "buckets": buckets}


# --- secrets and identity -------------------------------------------------------------


def _vault(context: RenderContext, cluster: ClusterPlan) -> Values:
    storage: Values = {"size": _storage(context, "vault"), **_retain_class(context)}
    values: Values = {"server": {"dataStorage": storage}}
    replicas = context.component("vault").haReplicas
    if cluster.cluster.is_ha and replicas:
        values["server"]["ha"] = {"raft": {"config": _raft_config(context, replicas)}}
    return values


def _raft_config(context: RenderContext, replicas: int) -> str:
    """Vault's Raft configuration with every peer in retry_join, so replicas join alone."""
    namespace = context.component("vault").namespace
    tls = "/vault/userconfig/vault-tls"
    joins = "".join(
        "  retry_join {\n"
        f'    leader_api_addr     = "https://vault-{i}.vault-internal.{namespace}.svc:8200"\n'
        f'    leader_ca_cert_file = "{tls}/ca.crt"\n'
        "  }\n"
        for i in range(replicas)
    )
    return (
        "ui = true\n\n"
        'listener "tcp" {\n'
        '  address         = "[::]:8200"\n'
        '  cluster_address = "[::]:8201"\n'
        f'  tls_cert_file   = "{tls}/tls.crt"\n'
        f'  tls_key_file    = "{tls}/tls.key"\n'
        "}\n\n"
        'storage "raft" {\n'
        '  path = "/vault/data"\n'
        f"{joins}"
        "}\n\n"
        'service_registration "kubernetes" {}\n'
    )


def _keycloak(context: RenderContext, cluster: ClusterPlan) -> Values:
    host = public_host(context, "keycloak")
    return {"extraEnv": f"- name: KC_HOSTNAME\n  value: https://{host}\n"}


# --- GitOps and portals ---------------------------------------------------------------


def _argo_cd(context: RenderContext, cluster: ClusterPlan) -> Values:
    host = public_host(context, "argocd")
    values: Values = {"global": {"domain": host}, "configs": {"cm": {"url": f"https://{host}"}}}
    issuer = keycloak_issuer(context)
    if issuer is None:
        return values
    values["configs"]["cm"]["oidc.config"] = (
        "name: Keycloak\n"
        f"issuer: {issuer}\n"
        "clientID: argocd\n"
        "clientSecret: $oidc.keycloak.clientSecret\n"
        "requestedScopes: [openid, profile, email, groups]\n"
    )
    values["configs"]["rbac"] = {
        "policy.default": "role:readonly",
        "policy.csv": "g, platform-admins, role:admin\n",
        "scopes": "[groups]",
    }
    values["dex"] = {"enabled": False}
    return values


def _backstage(context: RenderContext, cluster: ClusterPlan) -> Values:
    url = f"https://{public_host(context, 'backstage')}"
    app_config: Values = {
        "app": {"baseUrl": url},
        "backend": {
            "baseUrl": url,
            "database": {
                "client": "pg",
                "connection": {
                    "host": "backstage-postgresql",
                    "port": 5432,
                    "user": "backstage",
                    "password": "${POSTGRES_PASSWORD}",
                },
            },
        },
    }
    issuer = keycloak_issuer(context)
    if issuer is not None:
        app_config["auth"] = {
            "environment": "production",
            "providers": {
                "oidc": {
                    "production": {
                        "metadataUrl": f"{issuer}/.well-known/openid-configuration",
                        "clientId": "backstage",
                        "clientSecret": "${AUTH_OIDC_CLIENT_SECRET}",
                    }
                }
            },
        }
    return {"backstage": {"appConfig": app_config, "extraEnvVarsSecrets": ["backstage-secrets"]}}


def _teleport(context: RenderContext, cluster: ClusterPlan) -> Values:
    values: Values = {
        "clusterName": public_host(context, "teleport"),
        "kubeClusterName": cluster.name,
    }
    annotations = _load_balancer_annotations(context, cluster, internal=False)
    if annotations:
        values["annotations"] = {"service": annotations}
    return values


def _harbor(context: RenderContext, cluster: ClusterPlan) -> Values:
    return {"externalURL": f"https://{public_host(context, 'harbor')}"}


# --- observability --------------------------------------------------------------------


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
    storage = _storage(context, "prometheus")
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
            "client_id": "grafana",
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
    local = endpoint_url(context, cluster, "prometheus") if cluster.has("prometheus") else None
    if local is not None:
        sources.append(_datasource("Prometheus", "prometheus", "prometheus", local))
    if store_url is not None:
        store = metrics_store(context) or ""
        sources.append(_datasource(store.capitalize(), "metrics-store", "prometheus", store_url))
    if sources:
        sources[-1]["isDefault"] = True  # the store when there is one, else local Prometheus
    loki = endpoint_url(context, cluster, "loki-query")
    tempo = endpoint_url(context, cluster, "tempo-query")
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
    store = _loki_store(context, cluster)
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
    single: Values = {"persistence": {"size": _storage(context, "loki")}}
    replicas = context.component("loki").haReplicas or 1
    if store == "filesystem":
        loki["storage"] = {"type": "filesystem"}
        replicas = 1  # the chart refuses more single binaries without object storage
        single["replicas"] = 1
    elif store == "s3":
        bucket = _bucket(context, "loki")
        loki["storage"] = {
            "type": "s3",
            "bucketNames": {"chunks": bucket, "ruler": bucket, "admin": bucket},
            "s3": {"region": _region(context, cluster)},
        }
    else:
        bucket = _bucket(context, "loki")
        loki["storage"] = {
            "type": "s3",
            "bucketNames": {"chunks": bucket, "ruler": bucket, "admin": bucket},
            "s3": {
                "endpoint": _minio_endpoint(context),
                "s3ForcePathStyle": True,
                "insecure": True,
            },
        }
        single["extraEnvFrom"] = [{"secretRef": {"name": "loki-object-storage"}}]
    factor = replicas if cluster.cluster.is_ha else 1
    loki["commonConfig"] = {"replication_factor": factor}
    return {"loki": loki, "singleBinary": single}


def _thanos(context: RenderContext, cluster: ClusterPlan) -> Values:
    return {"receive": {"persistence": {"size": _storage(context, "thanos")}}}


def _mimir(context: RenderContext, cluster: ClusterPlan) -> Values:
    if _object_store(context, cluster) == "s3":
        region = _region(context, cluster)
        s3: Values = {
            "bucket_name": _bucket(context, "mimir"),
            "endpoint": f"s3.{region}.amazonaws.com",
            "region": region,
        }
        extra: Values = {}
    else:
        s3 = {
            "bucket_name": _bucket(context, "mimir"),
            "endpoint": _minio_endpoint(context),
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
        "ingester": {"persistentVolume": {"size": _storage(context, "mimir")}},
        **extra,
    }


def _tempo(context: RenderContext, cluster: ClusterPlan) -> Values:
    return {"persistence": {"size": _storage(context, "tempo")}}


def _promtail(context: RenderContext, cluster: ClusterPlan) -> Values:
    url = endpoint_url(context, cluster, "loki-push")
    if url is None:
        return {}
    client = {"url": url, "external_labels": {"cluster": cluster.name}}
    return {"config": {"clients": [client]}}


def _alloy(context: RenderContext, cluster: ClusterPlan) -> Values:
    url = endpoint_url(context, cluster, "loki-push")
    if url is None:
        return {}
    # The pipeline in values_data/alloy.yaml reads these from its environment.
    env = [
        {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {"name": "LOKI_PUSH_URL", "value": url},
        {"name": "CLUSTER_NAME", "value": cluster.name},
    ]
    return {"alloy": {"extraEnv": env}}


def _otel_collector(context: RenderContext, cluster: ClusterPlan) -> Values:
    url = endpoint_url(context, cluster, "tempo-otlp")
    if url is None:
        return {}
    return {"config": {"exporters": {"otlphttp/tempo": {"endpoint": url}}}}


def _opencost(context: RenderContext, cluster: ClusterPlan) -> Values:
    url = _store_url(context, cluster, "query")
    if url is None and cluster.has("prometheus"):
        url = endpoint_url(context, cluster, "prometheus")
    exporter: Values = {"defaultClusterId": cluster.name}
    values: Values = {"opencost": {"exporter": exporter}}
    if url is not None:
        values["opencost"]["prometheus"] = {"external": {"url": url}}
    return values


def _kyverno_policies(context: RenderContext, cluster: ClusterPlan) -> Values:
    mode = cluster.cluster.policyMode or context.platform.policy.mode
    exempt = {"kube-system"} | {
        planned.component.namespace
        for planned in cluster.components
        if planned.component.podSecurity == "privileged"
    }
    return {
        "validationFailureAction": "Enforce" if mode == "enforce" else "Audit",
        "vpolExclude": {"excludeNamespaces": sorted(exempt)},
    }


VALUE_BUILDERS: dict[str, ValueBuilder] = {
    "alloy": _alloy,
    "argo-cd": _argo_cd,
    "aws-load-balancer-controller": _aws_lb_controller,
    "backstage": _backstage,
    "cilium": _cilium,
    "external-dns": _external_dns,
    "grafana": _grafana,
    "harbor": _harbor,
    "ingress-nginx-internal": _ingress_nginx(internal=True),
    "ingress-nginx-public": _ingress_nginx(internal=False),
    "istio-gateway": _istio_gateway,
    "keycloak": _keycloak,
    "kyverno-policies": _kyverno_policies,
    "loki": _loki,
    "longhorn": _longhorn,
    "metallb": _metallb,
    "mimir": _mimir,
    "minio": _minio,
    "opencost": _opencost,
    "opentelemetry-collector": _otel_collector,
    "prometheus": _prometheus,
    "prometheus-agent": _prometheus_agent,
    "promtail": _promtail,
    "teleport": _teleport,
    "tempo": _tempo,
    "thanos": _thanos,
    "vault": _vault,
}
