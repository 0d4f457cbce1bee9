"""Secret hygiene at the source: no secret material in the spec.

Whatever a spec holds ends up in the rendered GitOps repository, so a password in a
values overlay or a token in ``gitops.repoURL`` would be committed to Git verbatim.
The rules of what is secret (shapes, credential keys, references) live in
``stackyard.kube.secrets``, shared with ``validate``'s scan of rendered trees.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from stackyard.findings import Finding
from stackyard.kube.secrets import (
    FIX,
    credential_kind,
    is_gcp_service_account,
    is_high_entropy,
    is_literal,
    is_object_name,
    is_reference_key,
    is_secret_env_name,
    is_secret_like_key,
    shape_kinds,
)
from stackyard.plan.checks.base import CheckContext, Emit, check
from stackyard.plan.model import SpecPath
from stackyard.spec import ComponentOverride

_RENDERED = "it would be committed verbatim to the GitOps repository"


@check("SY601", "Secret material in the spec", "error")
def no_secrets_in_spec(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Secret material in the spec.

    A spec is committed to Git and rendered into the GitOps repository as it is, so it
    must never hold a secret. Values overlays (``components.*.values``, platform-wide
    and per cluster, at any depth) are searched for private keys (PEM blocks), cloud
    keys (AWS access key ids and secret keys, Azure storage keys, GCP service-account
    keys), Git-host, Slack and OpenAI tokens, JWTs, URLs with a password, literal values
    under credential keys (``password``, ``token``, ``apiKey``, ``secretKey``,
    ``clientSecret``, ``accessKey``... in any spelling), literal values of environment
    variables named ``*_PASSWORD``, ``*_TOKEN`` or ``*_SECRET``, and high-entropy
    strings under secret-like keys; ``gitops.repoURL`` must not carry credentials.
    References are fine: ``existingSecret``, ``secretRef``, ``secretKeyRef``,
    ``${VAR}`` placeholders, templates and empty strings. The fix is to store the value
    in a Secret (External Secrets from Vault or a cloud secret manager) and reference it.
    """
    platform = context.platform
    overlays: list[tuple[SpecPath, ComponentOverride]] = [
        (("components", name), override) for name, override in platform.components.items()
    ]
    overlays += [
        (("clusters", index, "components", name), override)
        for index, cluster in enumerate(platform.clusters)
        for name, override in cluster.components.items()
    ]
    for path, override in overlays:
        for where, kind in _secrets_in(override.values, (*path, "values")):
            yield emit(
                f"{kind} in a values overlay; {_RENDERED}",
                where,
                hint=FIX,
                cluster=platform.clusters[int(path[1])].name if path[0] == "clusters" else None,
                key=True,  # the key's line, also when the secret is a whole mapping
            )
    in_url = _url_credentials(platform.gitops.repoURL)
    if in_url:
        yield emit(
            f"{in_url} in the Git URL; {_RENDERED} and shown in Argo CD",
            ("gitops", "repoURL"),
            hint="give Argo CD its repository credentials as a repository Secret "
            "(argocd.argoproj.io/secret-type: repository) and keep the URL without them",
        )


def _secrets_in(
    data: Any, path: SpecPath, *, in_reference: bool = False
) -> Iterator[tuple[SpecPath, str]]:
    """(path, kind) of every secret under ``data``, whose own path is ``path``.

    Under a reference (``secretKeyRef``, ``existingSecret``...) keys name a Secret and
    its keys, so only secret shapes count there.
    """
    if isinstance(data, Mapping):
        if is_gcp_service_account(data):
            yield path, "a GCP service account key"
            return
        for key, value in data.items():
            here = (*path, str(key))
            if isinstance(value, Mapping | list):
                inner = in_reference or is_reference_key(str(key))
                yield from _secrets_in(value, here, in_reference=inner)
                continue
            kind = _judge(str(key), value, data, in_reference=in_reference)
            if kind:
                yield here, kind
    elif isinstance(data, list):
        for index, item in enumerate(data):
            if isinstance(item, Mapping | list):
                yield from _secrets_in(item, (*path, index), in_reference=in_reference)
            elif isinstance(item, str | int | float) and not isinstance(item, bool):
                shapes = shape_kinds(str(item))
                if shapes:
                    yield (*path, index), "a " + shapes[0].lower()


def _judge(key: str, value: Any, siblings: Mapping[Any, Any], *, in_reference: bool) -> str | None:
    """What secret the scalar ``value`` under ``key`` is, or None."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value)
    if not is_literal(text):
        return None
    shapes = shape_kinds(text)
    if shapes:
        return "a " + shapes[0].lower()
    if in_reference:
        return None
    if key == "value" and is_secret_env_name(str(siblings.get("name", ""))):
        return f"a literal value of the environment variable {siblings['name']}"
    credential = credential_kind(key)
    if credential and not _names_a_secret(credential, text, siblings):
        return f"a literal {credential} under {key!r}"
    if is_secret_like_key(key) and is_high_entropy(text):
        return f"a high-entropy string under {key!r}"
    return None


def _names_a_secret(credential: str, text: str, siblings: Mapping[Any, Any]) -> bool:
    """Whether a value under a credential key names a Secret or one of its keys.

    External Secrets' data items name the target key (``secretKey: admin-password``
    beside ``remoteRef``), and a bare ``...Secret`` key holding an object name names a
    Secret (``envFromSecret: grafana-env``). Passwords and tokens get no such benefit of
    the doubt.
    """
    if credential == "secret key" and "remoteRef" in siblings:
        return True
    return credential == "secret" and is_object_name(text)


def _url_credentials(url: str) -> str | None:
    """What credential ``url`` carries in its user-info part, or None."""
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL at all; the shape checks still apply
        parts = None
    shapes = shape_kinds(url)
    if parts is not None and parts.password:
        return "a password or token"
    if shapes:
        return "a " + shapes[0].lower()
    if parts is not None and parts.username and is_high_entropy(parts.username):
        return "a token"
    return None
