"""The API catalog: a Backstage ``kind: API`` entity per API, read from the GitOps repository.

Files under ``catalog/`` (not applied to any cluster; Argo CD reads only ``apps/`` and
``manifests/``):

- ``catalog/catalog-info.yaml``: a ``Location`` entity listing the files below, the one
  URL Backstage's values name (``catalog.locations``, :func:`catalog_location_url`);
- ``catalog/apis/<name>.yaml``: the API entity: ``spec.type: openapi``, ``spec.owner`` the
  tenant's group, ``spec.lifecycle: production``, ``spec.definition.$text`` the relative
  path of the OpenAPI document beside it, which Backstage resolves against the entity's
  own URL (https://backstage.io/docs/features/software-catalog/descriptor-format#substitutions-in-the-descriptor-format);
- ``catalog/apis/<name>.openapi.yaml`` (``.json`` for a JSON document): the spec's OpenAPI
  file, copied byte for byte, so the catalog shows exactly what the gateway serves;
- ``catalog/groups/<tenant>.yaml``: a ``Group`` entity per tenant owning an API, so every
  owner reference resolves.

Backstage reads ``url`` locations through its integration for the Git host; the URL is the
repository's web address with ``/blob/<revision>/<path>`` (GitHub; GitLab's ``/-/blob/``),
which GitHub's and GitLab's integrations read.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from stackyard.render.airgap import gitops_url
from stackyard.render.apis import (
    CATALOG_FOLDER,
    ResolvedApi,
    openapi_file,
    openapi_text,
    resolved_apis,
)
from stackyard.render.context import RenderContext
from stackyard.render.tree import Manifest

BACKSTAGE_API = "backstage.io/v1alpha1"
INDEX = f"{CATALOG_FOLDER}/catalog-info.yaml"
LIFECYCLE = "production"
# Backstage's default rules admit Component, API and Location from a location; the
# tenants' groups need Group too.
ALLOWED_KINDS = ["API", "Group", "Location"]


def api_entity_file(api: ResolvedApi) -> str:
    """The path of ``api``'s entity in the rendered tree."""
    return f"{CATALOG_FOLDER}/apis/{api.name}.yaml"


def group_file(tenant: str) -> str:
    """The path of a tenant's Group entity."""
    return f"{CATALOG_FOLDER}/groups/{tenant}.yaml"


def api_entity(context: RenderContext, api: ResolvedApi) -> Manifest:
    """The Backstage API entity of ``api``."""
    definition = PurePosixPath(openapi_file(api)).name
    return {
        "apiVersion": BACKSTAGE_API,
        "kind": "API",
        "metadata": {
            "name": api.name,
            "description": f"https://{api.host}{api.path_prefix}",
            "tags": ["openapi", api.tenant],
            "links": [{"url": f"https://{api.host}{api.path_prefix}", "title": "Gateway"}],
            "annotations": {"stackyard.dev/realm": api.realm},
        },
        "spec": {
            "type": "openapi",
            "lifecycle": LIFECYCLE,
            "owner": f"group:{api.tenant}",
            "definition": {"$text": f"./{definition}"},
        },
    }


def group_entity(context: RenderContext, tenant: str) -> Manifest:
    """The Backstage Group of a tenant."""
    return {
        "apiVersion": BACKSTAGE_API,
        "kind": "Group",
        "metadata": {"name": tenant, "description": f"Tenant {tenant} of {context.platform.name}"},
        "spec": {"type": "team", "children": []},
    }


def location(context: RenderContext, targets: list[str]) -> Manifest:
    """The Location entity listing every catalog file, relative to itself."""
    return {
        "apiVersion": BACKSTAGE_API,
        "kind": "Location",
        "metadata": {
            "name": f"{context.platform.name}-apis",
            "description": "APIs served by the platform's API gateway",
        },
        "spec": {"targets": [f"./{PurePosixPath(t).relative_to(CATALOG_FOLDER)}" for t in targets]},
    }


def catalog_files(context: RenderContext) -> list[tuple[str, list[Manifest] | str]]:
    """Every catalog file: (path, entities) for entity files, (path, text) for documents."""
    apis = resolved_apis(context)
    if not apis:
        return []
    files: list[tuple[str, list[Manifest] | str]] = []
    for api in apis:
        files.append((api_entity_file(api), [api_entity(context, api)]))
        files.append((openapi_file(api), openapi_text(context, api)))
    tenants = sorted({api.tenant for api in apis})
    files += [(group_file(t), [group_entity(context, t)]) for t in tenants]
    targets = [api_entity_file(api) for api in apis] + [group_file(t) for t in tenants]
    files.append((INDEX, [location(context, targets)]))
    return files


def catalog_location_url(context: RenderContext) -> str | None:
    """The URL of ``catalog/catalog-info.yaml`` in the Git repository, or None without APIs.

    None too when the repository URL is not an ``https://`` web address Backstage can read
    (an SSH URL): then the location is added by hand.
    """
    if not resolved_apis(context):
        return None
    gitops = context.platform.gitops
    repo_url = gitops_url(context)
    if not repo_url.startswith("https://"):
        return None
    web = repo_url.removesuffix("/").removesuffix(".git")
    blob = "/-/blob/" if "gitlab" in web.split("/")[2] else "/blob/"
    return f"{web}{blob}{gitops.revision}/{context.repo_path(INDEX)}"
