"""What secret material looks like in Kubernetes and Helm configuration.

The plan's secret check (values overlays and the Git URL of a spec) and validate's scan
(every file of a tree) judge the same things, so the rules live here once:

- *shapes*: text that is secret wherever it appears (PEM private keys, AWS access key
  ids, Azure storage keys, GitHub/GitLab/Slack/OpenAI tokens, JWTs, ``user:password@``
  in a URL, a GCP service-account key). detect-secrets' own regex plugins find them;
  nothing here re-implements a pattern it already has.
- *credential keys*: a literal value under ``password``, ``token``, ``apiKey``,
  ``secretKey``, ``clientSecret``, ``accessKey``, ``privateKey``... in any spelling
  (``ApiKey``, ``api_key``, ``API-KEY``) is a secret, whatever it looks like.
- *secret-like keys* (``key``, ``salt``, ``signingKey``, ``cookieSecret``...): a value
  counts only when it is a high-entropy string by detect-secrets' entropy limits.
- *env vars* named ``*_PASSWORD`` / ``*_TOKEN`` / ``*_SECRET`` with a literal ``value``.

A *reference* is never a secret: a value naming a Secret or one of its keys
(``existingSecret``, ``secretRef``, ``passwordFile``...), a placeholder or template
(``${VAR}``, ``$(VAR)``, ``{{ .Values.x }}``, ``<token>``, ``ref+vault://...``), or
empty. That is how configuration is supposed to point at secrets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import BasePlugin
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.high_entropy_strings import (
    Base64HighEntropyString,
    HexHighEntropyString,
    HighEntropyStringsPlugin,
)
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.slack import SlackDetector

BASE64_ENTROPY_LIMIT: Final = 4.5
HEX_ENTROPY_LIMIT: Final = 3.0

FIX: Final = (
    "keep it out of Git: store it in a Secret (created by External Secrets from Vault or "
    "your cloud's secret manager) and reference it, e.g. existingSecret: NAME or a "
    "secretKeyRef"
)

# Detectors whose patterns are secret wherever they match. Keyword and entropy plugins
# are not here: whether those matter depends on the key, judged below.
_SHAPE_DETECTORS: tuple[BasePlugin, ...] = (
    AWSKeyDetector(),
    AzureStorageKeyDetector(),
    BasicAuthDetector(),
    GitHubTokenDetector(),
    GitLabTokenDetector(),
    JwtTokenDetector(),
    OpenAIDetector(),
    PrivateKeyDetector(),
    SlackDetector(),
)
_ENTROPY_DETECTORS: tuple[HighEntropyStringsPlugin, ...] = (
    Base64HighEntropyString(limit=BASE64_ENTROPY_LIMIT),
    HexHighEntropyString(limit=HEX_ENTROPY_LIMIT),
)
_GCP_SERVICE_ACCOUNT = re.compile(r"""["']?type["']?\s*:\s*["']?service_account\b""")

# Keys are compared lower-cased without separators: apiKey, api_key, API-KEY -> apikey.
_SEPARATORS = re.compile(r"[-_.\s]")
_CREDENTIAL_WORDS: dict[str, str] = {
    "password": "password",
    "passwd": "password",
    "pwd": "password",
    "passphrase": "passphrase",
    "token": "token",
    "apikey": "API key",
    "secretaccesskey": "secret access key",
    "secretkey": "secret key",
    "accesskey": "access key",
    "privatekey": "private key",
    "clientsecret": "client secret",
    "clientkey": "client key",
    "authkey": "auth key",
    "servicekey": "service key",
    "accountkey": "account key",
    "credentials": "credentials",
    "credential": "credentials",
    "secret": "secret",
}
_CREDENTIAL_KEY = re.compile(
    "(" + "|".join(sorted(_CREDENTIAL_WORDS, key=len, reverse=True)) + ")$"
)
# A bare "key" names a key (in a Secret, a label, a bucket) far more often than it holds one.
_SECRET_LIKE_KEY = re.compile(r"(.key|salt|seed|hmac|signing|cookie|session|encryption|auth)")
# Keys that name a Secret, a key inside one, or a file or path holding the value.
_REFERENCE_KEY = re.compile(
    r"(^existing|secretname|secretref|keyref|(name|names|file|files|path|ref|refs)$)"
)
# secret://<Secret>/<key>: the Teleport operator reads the value from that Secret
# (https://goteleport.com/docs/zero-trust-access/infrastructure-as-code/teleport-operator/secret-lookup/).
_REFERENCE_VALUE = re.compile(
    r"^(\$|\{\{|<[^>]*>$|ref\+|vault:|[*]+$|secret://[a-z0-9][-a-z0-9.]*/[-._a-zA-Z0-9]+$)",
    re.IGNORECASE,
)
# YAML words a credential key may hold without holding a secret (a switch, unset).
_NOT_MATERIAL = frozenset({"true", "false", "yes", "no", "on", "off", "null", "~"})
_OBJECT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
_ENV_SECRET_NAME = re.compile(
    r"(PASSWORD|PASSWD|PASSPHRASE|TOKEN|SECRET|API_?KEY|SECRET_?KEY|ACCESS_?KEY|PRIVATE_?KEY)$",
    re.IGNORECASE,
)


def normalise_key(key: str) -> str:
    """``apiKey``, ``api_key``, ``API-KEY`` → ``apikey``."""
    return _SEPARATORS.sub("", key).lower()


def credential_kind(key: str) -> str | None:
    """What a literal value under ``key`` would be (``"password"``), or None.

    None as well for keys that name a Secret or a file rather than hold the value
    (``existingSecret``, ``passwordFile``, ``tokenSecretRef``).
    """
    normal = normalise_key(key)
    if is_reference_key(key):
        return None
    match = _CREDENTIAL_KEY.search(normal)
    return _CREDENTIAL_WORDS[match.group(1)] if match else None


def is_reference_key(key: str) -> bool:
    """Whether a value under ``key`` names a Secret, a key in it, or a file."""
    return bool(_REFERENCE_KEY.search(normalise_key(key)))


def is_secret_like_key(key: str) -> bool:
    """Whether ``key`` may hold key material that only its entropy can tell apart."""
    return not is_reference_key(key) and bool(_SECRET_LIKE_KEY.search(normalise_key(key)))


def is_reference_value(value: str) -> bool:
    """Whether ``value`` points at a secret instead of holding one (or is empty)."""
    text = value.strip().strip("'\"").strip()
    return not text or bool(_REFERENCE_VALUE.match(text))


def is_literal(value: str) -> bool:
    """Whether ``value`` is material in its own right: no reference, switch or null."""
    text = value.strip().strip("'\"").strip()
    return not is_reference_value(text) and text.lower() not in _NOT_MATERIAL


def is_object_name(value: str) -> bool:
    """Whether ``value`` has the shape of a Kubernetes object name (``grafana-env``)."""
    return bool(_OBJECT_NAME.match(value.strip().strip("'\"")))


def is_secret_env_name(name: str) -> bool:
    """Whether an environment variable called ``name`` carries a secret."""
    return bool(_ENV_SECRET_NAME.search(name.strip()))


def shape_kinds(text: str) -> list[str]:
    """The kinds of secret whose shape appears in ``text`` (detect-secrets' names)."""
    # Most specific first: a service-account key also holds a PEM private key.
    kinds = ["GCP service account key"] if gcp_service_account_at(text) is not None else []
    kinds += [
        detector.secret_type
        for detector in _SHAPE_DETECTORS
        if any(True for _ in detector.analyze_string(text))
    ]
    return kinds


def gcp_service_account_at(text: str) -> int | None:
    """Where a GCP service-account key (JSON or YAML) starts in ``text``, or None."""
    if "private_key" not in text:
        return None
    match = _GCP_SERVICE_ACCOUNT.search(text)
    return match.start() if match else None


def is_high_entropy(value: str) -> bool:
    """Whether ``value`` is a base64 or hex string above detect-secrets' entropy limits."""
    quoted = '"' + value.strip().strip("'\"") + '"'  # the plugins look at quoted strings
    return any(
        detector.calculate_shannon_entropy(match) > detector.entropy_limit
        for detector in _ENTROPY_DETECTORS
        for match in detector.analyze_string(quoted)
    )


def is_gcp_service_account(data: Mapping[Any, Any]) -> bool:
    """Whether a mapping is a GCP service-account key (``type: service_account`` + key)."""
    return data.get("type") == "service_account" and "private_key" in data
