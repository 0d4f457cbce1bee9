"""Scan a tree for secret values, line by line, with detect-secrets' plugins.

Stackyard never renders a secret, and this scan is how that promise is checked on
every tree (it works on any repository). What is secret is decided by the rules in
``stackyard.kube.secrets``, shared with the plan's SY601 check, plus detect-secrets'
line plugins (private keys, cloud and Git-host tokens, JWTs, basic-auth URLs,
high-entropy strings and keyword assignments such as ``password: ...``).

Policy:

- Every file is read here, through ``stackyard.fsio.read_tree_file``: only regular
  files, at most :data:`MAX_SCAN_BYTES` (4 MiB); a file it skips is listed as not scanned.
- The text is scanned as *lines*, never parsed: detect-secrets' own ``scan_file``
  would run its YAML parser over ``.yaml`` files, which hangs on an alias bomb that
  Stackyard's loader refused, and drops every comment. Lines cover comments too.
- Text that is not UTF-8 is decoded as UTF-16 (with a byte-order mark) or latin-1,
  which never fails, so a secret is not missed for its encoding. A binary file (a NUL
  byte in its head) is searched for secret *shapes* in its printable runs (a PEM
  private key inside an archive); keyword and entropy rules would only find noise.
- Beyond the plugins: literal values under credential keys in any spelling
  (``ApiKey``, ``api_key``, ``API-KEY``, ``secretKey``, ``clientSecret``) and literal
  values of environment variables named ``*_PASSWORD`` / ``*_TOKEN`` / ``*_SECRET``.
- A *reference* (``existingSecret: grafana-oauth``, ``${VAR}``,
  ``$oidc.keycloak.clientSecret``, ``{{ ... }}``, ``<token>``, empty) is how rendered
  values must point at secrets, so it is not reported.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

# The line-based entry point of detect-secrets 1.5.0 (pinned): scan_file reads the file
# itself (UTF-8 only) and runs its YAML transformer; this function is what it calls
# on the lines afterwards, plugins and filters included.
from detect_secrets.core.potential_secret import PotentialSecret
from detect_secrets.core.scan import _process_line_based_plugins
from detect_secrets.filters.heuristic import is_indirect_reference
from detect_secrets.settings import get_plugins, transient_settings

from stackyard.errors import Location
from stackyard.findings import Finding
from stackyard.fsio.read import read_tree_file
from stackyard.kube.secrets import (
    credential_kind,
    gcp_service_account_at,
    is_literal,
    is_object_name,
    is_reference_key,
    is_secret_env_name,
    shape_kinds,
)
from stackyard.progress import Progress, no_progress
from stackyard.render.marker import MARKER

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
BATCHES_PER_WORKER = 8  # so progress moves while the workers scan
SCANNING = "scanning for secrets"
MAX_SCAN_BYTES = 4 * 1024 * 1024  # as for YAML; a larger file is listed as not scanned
_BINARY_PROBE = 8192
_PRINTABLE_RUN = re.compile(rb"[\t\x20-\x7e]{16,}")
# key: value, key = value, "key": "value", - key: value, # key: value (a comment)
_KEY_VALUE = re.compile(
    r"""^\s*(?:#+\s*)?(?:-\s+)?["']?(?P<key>[A-Za-z_][\w./\-]*)["']?\s*[:=]\s*(?P<value>.*)$"""
)
_ENV_NAME = re.compile(
    r"""^\s*(?:-\s+)?name\s*:\s*["']?(?P<name>[A-Za-z_][A-Za-z0-9_]*)["']?\s*$"""
)
_ENV_VALUE = re.compile(r"""^\s*value\s*:\s*(?P<value>.+)$""")
_FLOW_ENV = re.compile(
    r"""name\s*:\s*["']?(?P<name>[A-Za-z_][A-Za-z0-9_]*)["']?\s*,\s*value\s*:\s*(?P<value>[^,}]+)"""
)
_ENV_LOOKAHEAD = 3  # lines after "- name: X" in which its "value:" may follow
_KEYWORD = "Secret Keyword"
_WHITESPACE_RUN = re.compile(r"\s{2,}")
_INDIRECT_REFERENCE = "detect_secrets.filters.heuristic.is_indirect_reference"
_INDIRECT_REFERENCE_MAX = 240
_VERDICT_CACHE = 100_000  # distinct lines remembered per file


def scan_tree(root: Path, progress: Progress = no_progress) -> Iterator[Finding]:
    """Every secret-looking value in the files under ``root``, sorted by file and line.

    ``progress`` hears "scanning for secrets" as files are done: one by one in this
    process, a batch at a time from the workers of a large tree.
    """
    files = sorted(
        str(p)
        for p in root.rglob("*")
        # FIFOs and devices are listed too: read_tree_file skips them with a reason.
        if not p.is_symlink() and not p.is_dir() and not _is_metadata(p.relative_to(root))
    )
    workers = min(os.cpu_count() or 1, 1 + len(files) // PARALLEL_FROM)
    progress(SCANNING, 0, len(files))
    if workers > 1:  # detect-secrets is pure Python; a fleet-sized tree needs every core
        # Several batches per worker, so progress moves while they run; the findings are
        # sorted afterwards, so the batching never shows in the report.
        count = workers * BATCHES_PER_WORKER
        chunks = [files[i::count] for i in range(count)]
        found: list[Finding] = []
        done = 0
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(_scan_files, chunk): len(chunk) for chunk in chunks}
            for future in as_completed(futures):
                found += future.result()
                done += futures[future]
                progress(SCANNING, done, len(files))
    else:
        found = _scan_files(files, progress, len(files))
    yield from sorted(found)


def _is_metadata(relative: Path) -> bool:
    """Whether ``relative`` is Git's store or the render marker: no configuration in them.

    The marker holds only file names and SHA-256 digests (``read_marker`` checks its
    shape), which the entropy detectors would all report.
    """
    return ".git" in relative.parts or relative.as_posix() == MARKER


def _scan_files(
    files: list[str], progress: Progress = no_progress, total: int = 0
) -> list[Finding]:
    found: list[Finding] = []
    with transient_settings({"plugins_used": PLUGINS}) as settings:
        # Run on every line, this filter backtracks quadratically (a 999-character line
        # costs 30 ms); it is applied to the few lines with a hit instead (_plugin_hits).
        settings.disable_filters(_INDIRECT_REFERENCE)
        for done, file in enumerate(files, start=1):
            found += scan_file(file)
            progress(SCANNING, done, total)
    return found


def scan_file(file: str) -> list[Finding]:
    """The secrets in one file, one finding per line (needs the plugin settings active)."""
    content = read_tree_file(file, max_bytes=MAX_SCAN_BYTES)
    if isinstance(content, str):
        message = f"not scanned for secrets: {content}"
        return [Finding.not_checked(Location(file), "secret", message)]
    if b"\0" in content[:_BINARY_PROBE] and not content.startswith(
        (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    ):
        return _scan_binary(file, content)
    text = _decode(content)
    lines = [line.rstrip("\r") for line in text.split("\n")]
    kinds: dict[int, str] = {}
    gcp_key = gcp_service_account_at(text)  # spans lines, so judged on the whole text
    if gcp_key is not None:
        kinds[text.count("\n", 0, gcp_key) + 1] = "gcp service account key"
    for number, kind in _plugin_hits(file, lines):
        kinds.setdefault(number, kind)
    for number, kind in _key_hits(lines):
        kinds.setdefault(number, kind)
    return [
        _finding(file, number, f"{kind} found; reference a Secret instead of a value")
        for number, kind in sorted(kinds.items())
    ]


def _decode(content: bytes) -> str:
    """Text in whatever encoding it is in: UTF-8, UTF-16 with a BOM, else latin-1."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16", errors="replace")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("latin-1")  # every byte is a character: nothing is lost


def _scan_binary(file: str, content: bytes) -> list[Finding]:
    found: dict[int, str] = {}
    for run in _PRINTABLE_RUN.finditer(content):
        kinds = shape_kinds(run.group().decode("ascii"))
        if kinds:
            found.setdefault(content.count(b"\n", 0, run.start()) + 1, kinds[0])
    return [
        _finding(file, line, f"{kind.lower()} found in a binary file; keep it out of the tree")
        for line, kind in sorted(found.items())
    ]


def _plugin_hits(file: str, lines: list[str]) -> Iterator[tuple[int, str]]:
    for number, text, secret in _plugin_secrets(file, lines):
        # detect-secrets' filter for "secret = get_secret()", on short lines only: it is
        # meant for code, and its regex backtracks on long ones.
        if len(text) <= _INDIRECT_REFERENCE_MAX and is_indirect_reference(text):
            continue
        if secret.type == _KEYWORD and _is_reference(lines, number - 1, secret.secret_value or ""):
            continue
        yield number, secret.type.lower()


def _plugin_secrets(file: str, lines: list[str]) -> Iterator[tuple[int, str, PotentialSecret]]:
    """detect-secrets' findings per line, plugins and filters applied, in bounded time.

    Its line loop costs ~130 us a line in bookkeeping whatever the line holds, so the
    plugins first look at each distinct line directly (~25 us, cached: trees repeat
    lines endlessly); only lines with a match go through the loop, with the line before
    them as context (for its "pragma: allowlist nextline secret" comments). Runs of
    whitespace are collapsed first: they hold no secret, and detect-secrets' regexes
    backtrack over them.
    """
    plugins = get_plugins()
    verdicts: dict[str, bool] = {}
    previous = ""
    for number, line in enumerate(lines, start=1):
        text = _WHITESPACE_RUN.sub(" ", line)
        matched = verdicts.get(text)
        if matched is None:
            if len(verdicts) >= _VERDICT_CACHE:
                verdicts.clear()
            matched = verdicts[text] = any(
                plugin.analyze_line(filename=file, line=text, line_number=number, context=None)
                for plugin in plugins
            )
        if matched:
            for secret in _process_line_based_plugins([(1, previous), (2, text)], filename=file):
                if secret.line_number == 2:
                    yield number, text, secret
        previous = text


def _key_hits(lines: list[str]) -> Iterator[tuple[int, str]]:
    """Credential keys in any spelling and secret env vars, which the plugins miss."""
    for index, line in enumerate(lines):
        match = _KEY_VALUE.match(line)
        if match:
            key, value = match.group("key"), _scalar(match.group("value"))
            kind = credential_kind(key)
            if kind and is_literal(value) and not _names_a_secret(kind, value, lines, index):
                yield index + 1, f"literal {kind} under {key!r}"
        for flow in _FLOW_ENV.finditer(line):
            if is_secret_env_name(flow.group("name")) and is_literal(_scalar(flow.group("value"))):
                yield index + 1, f"literal value of the env var {flow.group('name')}"
        env = _ENV_NAME.match(line)
        if env and is_secret_env_name(env.group("name")):
            for ahead in range(index + 1, min(index + 1 + _ENV_LOOKAHEAD, len(lines))):
                if _ENV_NAME.match(lines[ahead]):
                    break  # the next list item
                literal = _ENV_VALUE.match(lines[ahead])
                if literal and is_literal(_scalar(literal.group("value"))):
                    yield ahead + 1, f"literal value of the env var {env.group('name')}"
                    break


def _scalar(text: str) -> str:
    """A YAML-ish scalar without its quotes or trailing comment ('' for a block start)."""
    text = text.strip()
    if text[:1] in ("'", '"'):
        quote = text[0]
        end = text.find(quote, 1)
        return text[1:end] if end > 0 else text[1:]
    text = text.split(" #", 1)[0].strip()
    return "" if text in ("|", ">", "|-", ">-", "|+", ">+", "{", "[") else text


def _names_a_secret(kind: str, value: str, lines: list[str], index: int) -> bool:
    """Whether a credential key's value names a Secret or one of its keys (see SY601)."""
    if kind == "secret key":  # External Secrets: secretKey beside remoteRef names a key
        near = lines[max(0, index - _ENV_LOOKAHEAD) : index + _ENV_LOOKAHEAD + 1]
        if any("remoteRef" in line for line in near):
            return True
    return kind == "secret" and is_object_name(value)


def _is_reference(lines: list[str], index: int, value: str) -> bool:
    """Whether the keyword hit on ``lines[index]`` points at a secret instead of holding one."""
    if not is_literal(value):
        return True
    match = _KEY_VALUE.match(lines[index]) if 0 <= index < len(lines) else None
    if not match:
        return False
    key = match.group("key")
    if is_reference_key(key):
        return True
    kind = credential_kind(key) or "secret"
    return _names_a_secret(kind, value.strip().strip("'\""), lines, index)


def _finding(file: str, line: int, message: str) -> Finding:
    return Finding(Location(file, line, 1 if line else 0), "secret", message)
