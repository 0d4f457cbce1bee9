"""Rules that span several fields of a spec, checked right after the model.

They are structural: without them the spec cannot be planned at all (two clusters of
one name, an AWS platform with no region). Judgements about a plannable spec (CIDR
overlaps, budgets, contracts) are the planner's static checks instead.
"""

from __future__ import annotations

from stackyard.errors import Problem
from stackyard.spec.model import Platform
from stackyard.yamlio import LocatedDocument, field_path


def coherence_problems(platform: Platform, document: LocatedDocument) -> list[Problem]:
    """Every cross-field problem of ``platform``, located in ``document``."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, cluster in enumerate(platform.clusters):
        if cluster.name in seen:
            problems.append(
                Problem(
                    document.locate(("clusters", index, "name")),
                    f"clusters[{index}].name",
                    f"cluster name {cluster.name!r} is already used by "
                    f"clusters[{seen[cluster.name]}]",
                    "every cluster needs its own name",
                )
            )
        seen.setdefault(cluster.name, index)
    if platform.provider == "aws" and platform.aws is None:
        problems.append(
            Problem(
                document.locate(("provider",)),
                "aws",
                "provider aws needs an 'aws' section",
                "add aws: {region: eu-central-1}",
            )
        )
    if platform.onprem is not None and platform.provider != "onprem":
        problems.append(
            Problem(
                document.locate(("onprem",)),
                "onprem",
                f"the onprem section is for provider onprem, not {platform.provider}",
                "remove it, or set provider: onprem",
            )
        )
    if platform.provider == "local" and platform.host is None:
        problems.append(
            Problem(
                document.locate(("provider",)),
                "host",
                "provider local needs a 'host' section describing the machine that runs the VMs",
                "add host: {cpu: 10, memory: 64Gi}",
            )
        )
    for t_index, tenant in enumerate(platform.tenants):
        for c_index, name in enumerate(tenant.clusters):
            if name not in seen:
                path = ("tenants", t_index, "clusters", c_index)
                problems.append(
                    Problem(
                        document.locate(path),
                        f"tenants[{t_index}].clusters[{c_index}]",
                        f"unknown cluster {name!r}",
                        f"clusters are: {', '.join(sorted(seen))}",
                    )
                )
    problems += _provisioning_problems(platform, document)
    problems += _mesh_problems(platform, document)
    problems += _service_problems(platform, document)
    problems += _api_problems(platform, document)
    problems += _directory_problems(platform, document)
    problems += _group_problems(platform, document)
    problems += _application_problems(platform, document)
    return problems


def _problem(
    document: LocatedDocument, path: tuple[str | int, ...], message: str, hint: str
) -> Problem:
    return Problem(document.locate(path), field_path(path), message, hint)


def _choices(names: list[str], what: str) -> str:
    return f"{what} are: {', '.join(names)}" if names else f"the spec declares no {what}"


def _provisioning_problems(platform: Platform, document: LocatedDocument) -> list[Problem]:
    """Cluster API runs on mgmt and creates machines on AWS or in a vCenter only."""
    problems: list[Problem] = []
    has_mgmt = any(c.role == "mgmt" for c in platform.clusters)
    for index, cluster in enumerate(platform.clusters):
        if platform.provisioned_by_cluster_api(cluster) and platform.provider == "aws":
            problems += _machine_problems(platform, document, index)
        if cluster.vsphere is not None and platform.vsphere is None:
            problems.append(
                _problem(
                    document,
                    ("clusters", index, "vsphere"),
                    "clusters[].vsphere needs a vCenter: provider onprem with onprem.vsphere",
                    "add onprem: {vsphere: {...}}, or remove the cluster's vsphere section",
                )
            )
        if cluster.provisioning != "clusterapi":
            continue
        path = ("clusters", index, "provisioning")
        if platform.provider != "aws" and platform.vsphere is None:
            problems.append(
                _problem(
                    document,
                    path,
                    "provisioning clusterapi on provider onprem needs onprem.vsphere"
                    if platform.provider == "onprem"
                    else "provisioning clusterapi needs provider aws, or onprem with a vCenter",
                    "use provisioning: manual and the rendered node files",
                )
            )
        elif cluster.role == "mgmt":
            problems.append(
                _problem(
                    document,
                    path,
                    "the mgmt cluster runs Cluster API, so it cannot provision itself",
                    "use provisioning: manual for mgmt and create it first",
                )
            )
        elif not has_mgmt:
            problems.append(
                _problem(
                    document,
                    path,
                    "provisioning clusterapi needs a mgmt cluster to run Cluster API",
                    "add a cluster with role: mgmt, or use provisioning: manual",
                )
            )
    return problems


def _machine_problems(platform: Platform, document: LocatedDocument, index: int) -> list[Problem]:
    """Cluster API launches instances of a type, from one control-plane machine template."""
    cluster = platform.clusters[index]
    problems: list[Problem] = []
    planes = [i for i, p in enumerate(cluster.nodePools) if p.role == "control-plane"]
    if len(planes) > 1:
        problems.append(
            _problem(
                document,
                ("clusters", index, "nodePools", planes[1]),
                f"cluster {cluster.name} is provisioned by Cluster API, which makes one "
                "control-plane pool",
                "merge the control-plane pools into one",
            )
        )
    for p_index, pool in enumerate(cluster.nodePools):
        if not pool.instanceType:
            problems.append(
                _problem(
                    document,
                    ("clusters", index, "nodePools", p_index),
                    f"node pool {pool.name} of {cluster.name} needs an instanceType: Cluster "
                    "API launches its machines",
                    "add instanceType: m6i.xlarge (or the EC2 type that fits cpu and memory)",
                )
            )
    return problems


def _mesh_problems(platform: Platform, document: LocatedDocument) -> list[Problem]:
    tenants = [t.name for t in platform.tenants]
    return [
        _problem(
            document,
            ("mesh", "tenants", index),
            f"unknown tenant {name!r}",
            _choices(tenants, "tenants"),
        )
        for index, name in enumerate(platform.mesh.tenants or [])
        if name not in tenants
    ]


def _service_problems(platform: Platform, document: LocatedDocument) -> list[Problem]:
    problems: list[Problem] = []
    tenants = {t.name: t for t in platform.tenants}
    seen: dict[tuple[str, str], int] = {}
    for index, service in enumerate(platform.services):
        at = ("services", index)
        key = (service.tenant, service.name)
        if key in seen:
            problems.append(
                _problem(
                    document,
                    (*at, "name"),
                    f"tenant {service.tenant!r} already has a service {service.name!r} "
                    f"(services[{seen[key]}])",
                    "every service of a tenant needs its own name",
                )
            )
        seen.setdefault(key, index)
        tenant = tenants.get(service.tenant)
        if tenant is None:
            problems.append(
                _problem(
                    document,
                    (*at, "tenant"),
                    f"unknown tenant {service.tenant!r}",
                    _choices(sorted(tenants), "tenants"),
                )
            )
            continue
        if service.namespace and service.namespace not in tenant.namespace_names:
            problems.append(
                _problem(
                    document,
                    (*at, "namespace"),
                    f"namespace {service.namespace!r} is not one of tenant {tenant.name!r}'s",
                    _choices(tenant.namespace_names, f"{tenant.name}'s namespaces"),
                )
            )
    for index, service in enumerate(platform.services):
        for c_index, caller in enumerate(service.callers):
            owner, _, name = caller.rpartition("/")
            if platform.service(owner or service.tenant, name) is None:
                problems.append(
                    _problem(
                        document,
                        ("services", index, "callers", c_index),
                        f"unknown caller {caller!r}: tenant {owner or service.tenant!r} declares "
                        f"no service {name!r}",
                        'name a service of the same tenant, or another tenant\'s as "tenant/name"',
                    )
                )
    return problems


def _api_problems(platform: Platform, document: LocatedDocument) -> list[Problem]:
    problems: list[Problem] = []
    tenants = [t.name for t in platform.tenants]
    seen: dict[str, int] = {}
    for index, api in enumerate(platform.apis):
        at = ("apis", index)
        if api.name in seen:
            problems.append(
                _problem(
                    document,
                    (*at, "name"),
                    f"API name {api.name!r} is already used by apis[{seen[api.name]}]",
                    "every API needs its own name",
                )
            )
        seen.setdefault(api.name, index)
        for c_index, consumer in enumerate(api.consumers):
            if consumer.plan is not None and api.plan_of(consumer) is None:
                problems.append(
                    _problem(
                        document,
                        (*at, "consumers", c_index, "plan"),
                        f"unknown plan {consumer.plan!r}",
                        _choices([p.name for p in api.plans], "this API's plans"),
                    )
                )
        if api.tenant not in tenants:
            problems.append(
                _problem(
                    document,
                    (*at, "tenant"),
                    f"unknown tenant {api.tenant!r}",
                    _choices(tenants, "tenants"),
                )
            )
            continue
        service = platform.service(api.tenant, api.service)
        if service is None:
            names = [s.name for s in platform.services if s.tenant == api.tenant]
            problems.append(
                _problem(
                    document,
                    (*at, "service"),
                    f"tenant {api.tenant!r} declares no service {api.service!r}",
                    _choices(names, f"{api.tenant}'s services"),
                )
            )
            continue
        ports = [p.name for p in service.ports]
        if api.port is not None and api.port not in ports:
            problems.append(
                _problem(
                    document,
                    (*at, "port"),
                    f"service {api.service!r} has no port {api.port!r}",
                    _choices(ports, "its ports"),
                )
            )
    return problems


def _directory_problems(platform: Platform, document: LocatedDocument) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, directory in enumerate(platform.identity.directories):
        if directory.name in seen:
            problems.append(
                _problem(
                    document,
                    ("identity", "directories", index, "name"),
                    f"directory name {directory.name!r} is already used by "
                    f"identity.directories[{seen[directory.name]}]",
                    "every directory needs its own name",
                )
            )
        seen.setdefault(directory.name, index)
    return problems


def _group_problems(platform: Platform, document: LocatedDocument) -> list[Problem]:
    """Each group's directory, tenant and clusters are declared; each name is given once."""
    problems: list[Problem] = []
    identity = platform.identity
    directories = [d.name for d in identity.directories]
    clusters = [c.name for c in platform.clusters]
    seen: dict[str, int] = {}
    for index, group in enumerate(identity.groups):
        at = ("identity", "groups", index)
        if group.name in seen:
            problems.append(
                _problem(
                    document,
                    (*at, "name"),
                    f"group {group.name!r} is already mapped by "
                    f"identity.groups[{seen[group.name]}]",
                    "a group grants one role: use another group for another role or tenant",
                )
            )
        seen.setdefault(group.name, index)
        directory = identity.directory(group.directory) if group.directory else None
        if group.directory is not None and directory is None:
            problems.append(
                _problem(
                    document,
                    (*at, "directory"),
                    f"unknown directory {group.directory!r}",
                    _choices(directories, "directories")
                    + "; leave directory out for a group kept in Keycloak",
                )
            )
        elif directory is not None and directory.groups is None:
            problems.append(
                _problem(
                    document,
                    (*at, "directory"),
                    f"directory {directory.name!r} has no group search, so no group is read "
                    "from it",
                    f"add groups: {{baseDN: ...}} to directory {directory.name!r}, or leave "
                    "directory out for a group kept in Keycloak",
                )
            )
        tenant = platform.tenant(group.tenant) if group.tenant else None
        if group.tenant is not None and tenant is None:
            problems.append(
                _problem(
                    document,
                    (*at, "tenant"),
                    f"unknown tenant {group.tenant!r}",
                    _choices([t.name for t in platform.tenants], "tenants"),
                )
            )
        allowed = tenant.clusters if tenant is not None else clusters
        for c_index, name in enumerate(group.clusters or []):
            if name not in clusters:
                message, hint = f"unknown cluster {name!r}", _choices(clusters, "clusters")
            elif name not in allowed and tenant is not None:
                message = f"tenant {tenant.name!r} does not run on cluster {name!r}"
                hint = _choices(list(tenant.clusters), f"{tenant.name}'s clusters")
            else:
                continue
            problems.append(_problem(document, (*at, "clusters", c_index), message, hint))
    return problems


def _application_problems(platform: Platform, document: LocatedDocument) -> list[Problem]:
    """SAML providers and OIDC clients: one name each across both lists, one entity ID each."""
    problems: list[Problem] = []
    identity = platform.identity
    seen: dict[str, str] = {}
    entity_ids: dict[str, str] = {}
    items = [("samlProviders", i, p.name) for i, p in enumerate(identity.samlProviders)] + [
        ("oidcClients", i, c.name) for i, c in enumerate(identity.oidcClients)
    ]
    for key, index, name in items:
        where = f"identity.{key}[{index}]"
        if name in seen:
            problems.append(
                _problem(
                    document,
                    ("identity", key, index, "name"),
                    f"application name {name!r} is already used by {seen[name]}",
                    "every SAML provider and OIDC client needs its own name",
                )
            )
        seen.setdefault(name, where)
    for index, provider in enumerate(identity.samlProviders):
        where = f"identity.samlProviders[{index}]"
        if provider.entityId in entity_ids:
            problems.append(
                _problem(
                    document,
                    ("identity", "samlProviders", index, "entityId"),
                    f"entity ID {provider.entityId!r} is already used by "
                    f"{entity_ids[provider.entityId]}",
                    "every SAML provider has its own entity ID (Keycloak's client id)",
                )
            )
        entity_ids.setdefault(provider.entityId, where)
    return problems
