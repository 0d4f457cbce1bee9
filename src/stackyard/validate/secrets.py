"""Scan a tree for secret values with detect-secrets.

Stackyard never renders a secret, and this scan is how that promise is checked on
every tree (it works on any repository). detect-secrets' plugins find private keys,
cloud and Git-host token shapes, JWTs, basic-auth URLs, high-entropy strings and
keyword assignments (``password: ...``). One filter is ours: a keyword hit whose value is a
*reference* — the name of a Secret (``existingSecret: grafana-oauth``), an env or
template reference (``${VAR}``, ``$oidc.keycloak.clientSecret``, ``{{ ... }}``), a
placeholder (``<token>``) or empty — is how rendered values must point at secrets,
so it is not reported.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.settings import transient_settings

from stackyard.errors import Location
from stackyard.render.marker import MARKER
from stackyard.validate.findings import ValidationFinding

# Values that point at a secret rather than contain one.
# The detectors that apply to infrastructure repositories. detect-secrets runs every
# plugin on every line, so dropping SaaS-specific ones (Mailchimp, Stripe, ...) keeps a
# 200-cluster tree fast; public IPs are expected in platform configuration.
PLUGINS = [
    {"name": "AWSKeyDetector"},
    {"name": "AzureStorageKeyDetector"},
    {"name": "Base64HighEntropyString", "limit": 4.5},
    {"name": "BasicAuthDetector"},
    {"name": "GitHubTokenDetector"},
    {"name": "GitLabTokenDetector"},
    {"name": "HexHighEntropyString", "limit": 3.0},
    {"name": "JwtTokenDetector"},
    {"name": "KeywordDetector"},
    {"name": "OpenAIDetector"},
    {"name": "PrivateKeyDetector"},
    {"name": "SlackDetector"},
]
PARALLEL_FROM = 400  # files; below this a worker pool costs more than it saves
_REFERENCE_VALUE = re.compile(r"""^["']?(\$|\{\{|<|["']?$)""")
# Keys whose value names a Secret, a key in it, or a file holding it.
_REFERENCE_KEY = re.compile(r"(existing|secretname|secretref|keyref|name$|key$|file$|ref$)", re.I)
_OBJECT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
_KEY_VALUE = re.compile(r"""^\s*-?\s*["']?(?P<key>[^:"'=]+)["']?\s*[:=]""")


def scan_tree(root: Path) -> Iterator[ValidationFinding]:
    """Every secret-looking value in the files under ``root``, sorted by file and line."""
    files = sorted(
        str(p)
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink() and not _is_metadata(p.relative_to(root))
    )
    workers = min(os.cpu_count() or 1, 1 + len(files) // PARALLEL_FROM)
    if workers > 1:  # detect-secrets is pure Python; a fleet-sized tree needs every core
        chunks = [files[i::workers] for i in range(workers)]
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            found = [f for part in pool.map(_scan_files, chunks) for f in part]
    else:
        found = _scan_files(files)
    yield from sorted(found)


def _is_metadata(relative: Path) -> bool:
    """Whether ``relative`` is Git's store or the render marker: no configuration in them.

    The marker holds only file names and SHA-256 digests (``read_marker`` checks its
    shape), which the entropy detectors would all report.
    """
    return ".git" in relative.parts or relative.as_posix() == MARKER


def _scan_files(files: list[str]) -> list[ValidationFinding]:
    collection = SecretsCollection()
    with transient_settings({"plugins_used": PLUGINS}):
        for file in files:
            collection.scan_file(file)
    found: list[ValidationFinding] = []
    for file, secrets in collection.data.items():
        lines = Path(file).read_text(encoding="utf-8").splitlines()
        for secret in secrets:
            line = secret.line_number or 0
            text = lines[line - 1] if 0 < line <= len(lines) else ""
            if secret.type == "Secret Keyword" and _is_reference(text, secret.secret_value or ""):
                continue
            found.append(
                ValidationFinding(
                    Location(file, line, 1),
                    "secret",
                    f"{secret.type.lower()} found; reference a Secret instead of a value",
                )
            )
    return found


def _is_reference(line: str, value: str) -> bool:
    if _REFERENCE_VALUE.match(value.strip()):
        return True
    match = _KEY_VALUE.match(line)
    if not match:
        return False
    key = match.group("key").strip()
    if _REFERENCE_KEY.search(key):
        return True
    # In Kubernetes configuration a "secret" key holding an object name names a Secret
    # (etcd-s3-config-secret: etcd-s3-secret) or is a label (.../external-secrets: enabled);
    # passwords and tokens get no such benefit of the doubt.
    return "secret" in key.lower() and bool(_OBJECT_NAME.match(value.strip().strip("'\"")))
