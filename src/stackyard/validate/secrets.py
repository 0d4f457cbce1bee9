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
- Lines repeat endlessly in a rendered tree (a fleet's 1,000,000 lines hold ~28,000
  distinct ones), so what a line holds is worked out once per process and remembered
  (:class:`_LineMemo`): detect-secrets' plugins run once per distinct line and file
  type, and only lines where one matched go through its line loop with its filters.
- YAML needs no quotes, and detect-secrets' entropy plugins only look at quoted strings:
  its own ``scan_file`` re-parses a single-document YAML file with PyYAML to quote every
  value. Here the string values of YAML mappings are judged from documents already
  parsed (validate hands over what it read; alone, the scan parses with Stackyard's safe
  loader), each distinct value once, as ``key: "value"`` through the same plugins and
  filters (:func:`scan_values`).
- Beyond the plugins: literal values under credential keys in any spelling
  (``ApiKey``, ``api_key``, ``API-KEY``, ``secretKey``, ``clientSecret``) and literal
  values of environment variables named ``*_PASSWORD`` / ``*_TOKEN`` / ``*_SECRET``.
- A *reference* (``existingSecret: grafana-oauth``, ``${VAR}``,
  ``$oidc.keycloak.clientSecret``, ``{{ ... }}``, ``<token>``, empty) is how rendered
  values must point at secrets, so it is not reported.
"""

from __future__ import annotations

import base64
import codecs
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from typing import Any, NamedTuple

# The line-based entry point of detect-secrets 1.5.0 (pinned): scan_file reads the file
# itself (UTF-8 only) and runs its YAML transformer; this function is what it calls
# on the lines afterwards, plugins and filters included.
from detect_secrets.core.potential_secret import PotentialSecret
from detect_secrets.core.scan import _process_line_based_plugins
from detect_secrets.filters.heuristic import is_indirect_reference
from detect_secrets.plugins.high_entropy_strings import (
    Base64HighEntropyString,
    HexHighEntropyString,
)
from detect_secrets.settings import get_plugins, transient_settings
from detect_secrets.util.filetype import FileType, determine_file_type

from stackyard.errors import Location, YamlError
from stackyard.findings import Finding
from stackyard.fsio.read import read_tree_file
from stackyard.kube.secrets import (
    BASE64_ENTROPY_LIMIT,
    HEX_ENTROPY_LIMIT,
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
from stackyard.yamlio import LocatedDocument, load_yaml_documents
from stackyard.yamlio.loader import Entry

# The detectors that apply to infrastructure repositories. detect-secrets runs every
# plugin on every line, so dropping SaaS-specific ones (Mailchimp, Stripe, ...) keeps a
# 200-cluster tree fast; public IPs are expected in platform configuration.
PLUGINS = [
    {"name": "AWSKeyDetector"},
    {"name": "AzureStorageKeyDetector"},
    {"name": "Base64HighEntropyString", "limit": BASE64_ENTROPY_LIMIT},
    {"name": "BasicAuthDetector"},
    {"name": "GitHubTokenDetector"},
    {"name": "GitLabTokenDetector"},
    {"name": "HexHighEntropyString", "limit": HEX_ENTROPY_LIMIT},
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
_MEMO_LIMIT = 200_000  # distinct lines (or values) remembered per process, per kind
# The shortest string whose entropy can pass the hex limit (3.0 bits needs 9 distinct
# characters); a shorter value is never a candidate.
_ENTROPIC_LENGTH = 9
_ENTROPY_DETECTORS = (
    Base64HighEntropyString(limit=BASE64_ENTROPY_LIMIT),
    HexHighEntropyString(limit=HEX_ENTROPY_LIMIT),
)
_ENTROPY_TYPES = frozenset(detector.secret_type for detector in _ENTROPY_DETECTORS)
# detect-secrets' YAML transformer keeps a value's line comment: whitespace, then "#".
_YAML_COMMENT = re.compile(r"(\s+#[\S ]*)")


def scan_tree(root: Path, progress: Progress = no_progress) -> Iterator[Finding]:
    """Every secret-looking value in the files under ``root``, sorted by file and line.

    ``progress`` hears "scanning for secrets" as files are done: one by one in this
    process, a batch at a time from the workers of a large tree.
    """
    files = tree_files(root)
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


def tree_files(root: Path) -> list[str]:
    """The files under ``root`` the scan reads, sorted: all but Git's store and the marker."""
    return sorted(
        str(p)
        for p in root.rglob("*")
        # FIFOs and devices are listed too: read_tree_file skips them with a reason.
        if not p.is_symlink() and not p.is_dir() and not _is_metadata(p.relative_to(root))
    )


class SecretScan:
    """A scan of a tree started before the caller reads it, finished with its documents.

    On a tree of :data:`PARALLEL_FROM` files or more, the lines are scanned in a worker
    process while this one reads and checks the tree (the scan and the reading each need
    a core); the YAML values are then judged from the documents the caller parsed, so no
    file is parsed twice. A smaller tree is scanned here when :meth:`findings` is called.
    """

    def __init__(self, root: Path) -> None:
        """List the files of ``root`` and, for a large tree, start scanning their lines."""
        self.root = root
        self.files = tree_files(root)
        self._pool: Pool | None = None
        self._pending: AsyncResult[list[Finding]] | None = None
        if len(self.files) >= PARALLEL_FROM:
            self._pool = get_context("spawn").Pool(1)
            self._pending = self._pool.apply_async(_scan_lines, (self.files,))

    def findings(
        self,
        documents: Mapping[str, list[LocatedDocument]],
        progress: Progress = no_progress,
    ) -> list[Finding]:
        """The findings of the scan, sorted; ``documents`` are the tree's parsed YAML files.

        ``documents`` maps a path relative to the root to the documents read from it.
        """
        total = len(self.files)
        progress(SCANNING, 0, total)
        if self._pool is not None and self._pending is not None:
            try:
                found = self._pending.get()
            finally:
                self.cancel()
            progress(SCANNING, total, total)
        else:
            found = _scan_lines(self.files, progress, total)
        parsed = {str(self.root / path): docs for path, docs in documents.items()}
        return sorted(_with_values(found, parsed))

    def cancel(self) -> None:
        """Stop the worker (the caller failed before it needed the findings)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


def _with_values(
    found: list[Finding], documents: Mapping[str, list[LocatedDocument]]
) -> list[Finding]:
    """``found`` plus the value findings of ``documents`` on lines that have none yet."""
    taken = {(f.location.file, f.location.line) for f in found}
    for file in sorted(documents):
        if determine_file_type(file) is not FileType.YAML:
            continue  # JSON strings are quoted on their lines, where the plugins see them
        candidates = list(_value_candidates(documents[file]))
        if not candidates:
            continue
        content = read_tree_file(file, max_bytes=MAX_SCAN_BYTES)
        if isinstance(content, str):
            continue  # gone since it was read; the line scan said so
        lines = [line.rstrip("\r") for line in _decode(content).split("\n")]
        with transient_settings({"plugins_used": PLUGINS}) as settings:
            settings.disable_filters(_INDIRECT_REFERENCE)
            hits = list(_value_hits(file, lines, candidates))
        for number, kind in hits:
            if (file, number) not in taken:
                taken.add((file, number))
                found.append(_finding(file, number, _message(kind)))
    return found


def _is_metadata(relative: Path) -> bool:
    """Whether ``relative`` is Git's store or the render marker: no configuration in them.

    The marker holds only file names and SHA-256 digests (``read_marker`` checks its
    shape), which the entropy detectors would all report.
    """
    return ".git" in relative.parts or relative.as_posix() == MARKER


def _scan_files(
    files: list[str], progress: Progress = no_progress, total: int = 0
) -> list[Finding]:
    return _scan_lines(files, progress, total, values=True)


def _scan_lines(
    files: list[str], progress: Progress = no_progress, total: int = 0, *, values: bool = False
) -> list[Finding]:
    found: list[Finding] = []
    with transient_settings({"plugins_used": PLUGINS}) as settings:
        # Run on every line, this filter backtracks quadratically (a 999-character line
        # costs 30 ms); it is applied to the few lines with a hit instead (_plugin_hits).
        settings.disable_filters(_INDIRECT_REFERENCE)
        for done, file in enumerate(files, start=1):
            found += scan_file(file, values=values)
            progress(SCANNING, done, total)
    return found


def scan_file(file: str, *, values: bool = True) -> list[Finding]:
    """The secrets in one file, one finding per line (needs the plugin settings active).

    With ``values``, a YAML file is parsed too, for its unquoted values (:func:`scan_values`).
    """
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
    if values and determine_file_type(file) is FileType.YAML:
        for number, kind in scan_values(file, lines, text):
            kinds.setdefault(number, kind)
    return [_finding(file, number, _message(kind)) for number, kind in sorted(kinds.items())]


def scan_values(file: str, lines: list[str], text: str) -> Iterator[tuple[int, str]]:
    """Unquoted high-entropy values of a YAML file, by line (parsed safely here).

    A file Stackyard's loader refuses (not YAML, an alias bomb) has only its lines scanned.
    """
    try:
        documents = load_yaml_documents(text, file)
    except YamlError:
        return
    yield from _value_hits(file, lines, list(_value_candidates(documents)))


def _message(kind: str) -> str:
    return f"{kind} found; reference a Secret instead of a value"


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
    plugins first look at each distinct line directly (~25 us, remembered per file type
    for the whole process: trees repeat lines endlessly); only lines with a match go
    through the loop, with the line before them as context (for its "pragma: allowlist
    nextline secret" comments). Runs of whitespace are collapsed first: they hold no
    secret, and detect-secrets' regexes backtrack over them.
    """
    plugins = get_plugins()
    verdicts = _MEMO.verdicts.setdefault(determine_file_type(file), {})
    for index, line in enumerate(lines):
        matched = verdicts.get(line)
        if matched is None:
            if len(verdicts) >= _MEMO_LIMIT:
                verdicts.clear()
            text = _WHITESPACE_RUN.sub(" ", line)
            matched = verdicts[line] = any(
                plugin.analyze_line(filename=file, line=text, line_number=index + 1, context=None)
                for plugin in plugins
            )
        if matched:
            text = _WHITESPACE_RUN.sub(" ", line)
            previous = _WHITESPACE_RUN.sub(" ", lines[index - 1]) if index else ""
            for secret in _process_line_based_plugins([(1, previous), (2, text)], filename=file):
                if secret.line_number == 2:
                    yield index + 1, text, secret


def _key_hits(lines: list[str]) -> Iterator[tuple[int, str]]:
    """Credential keys in any spelling and secret env vars, which the plugins miss."""
    for index, line in enumerate(lines):
        facts = _line_facts(line)
        if facts is None:
            continue
        if facts.kind and not _names_a_secret(facts.kind, facts.value, lines, index):
            yield index + 1, f"literal {facts.kind} under {facts.key!r}"
        for name in facts.flow_env:
            yield index + 1, f"literal value of the env var {name}"
        if facts.env_name:
            for ahead in range(index + 1, min(index + 1 + _ENV_LOOKAHEAD, len(lines))):
                next_facts = _line_facts(lines[ahead])
                if next_facts is None:
                    continue
                if next_facts.names_env:
                    break  # the next list item
                if next_facts.env_literal:
                    yield ahead + 1, f"literal value of the env var {facts.env_name}"
                    break


class _Facts(NamedTuple):
    """What one line holds for the credential-key and env-var rules, context aside."""

    key: str  # a credential key with a literal value ("" if none) ...
    kind: str | None  # ... what that value would be ...
    value: str  # ... and the value
    flow_env: tuple[str, ...]  # secret env vars with literal values in {name: .., value: ..}
    env_name: str  # a secret env var's name in "- name: X" ("" if none)
    names_env: bool  # any "- name: X" (the start of the next list item)
    env_literal: bool  # "value: <literal>"


def _line_facts(line: str) -> _Facts | None:
    """The facts of ``line`` (None: nothing these rules look at), remembered per process."""
    facts = _MEMO.facts.get(line, _UNKNOWN)
    if facts is not _UNKNOWN:
        return facts  # type: ignore[return-value]
    if len(_MEMO.facts) >= _MEMO_LIMIT:
        _MEMO.facts.clear()
    facts = _MEMO.facts[line] = _work_out_facts(line)
    return facts


def _work_out_facts(line: str) -> _Facts | None:
    key, kind, value = "", None, ""
    match = _KEY_VALUE.match(line)
    if match:
        key, value = match.group("key"), _scalar(match.group("value"))
        kind = credential_kind(key)
        if not (kind and is_literal(value)):
            key, kind, value = "", None, ""
    flow_env = tuple(
        flow.group("name")
        for flow in _FLOW_ENV.finditer(line)
        if is_secret_env_name(flow.group("name")) and is_literal(_scalar(flow.group("value")))
    )
    env = _ENV_NAME.match(line)
    env_name = env.group("name") if env and is_secret_env_name(env.group("name")) else ""
    literal = _ENV_VALUE.match(line)
    env_literal = bool(literal and is_literal(_scalar(literal.group("value"))))
    if not (kind or flow_env or env or env_literal):
        return None
    return _Facts(key, kind, value, flow_env, env_name, bool(env), env_literal)


class _Memo:
    """What distinct lines and values hold, worked out once per process.

    ``verdicts``: per detect-secrets file type (its keyword rules depend on it), whether
    any plugin matches a line; ``facts``: a line's credential-key and env-var facts;
    ``values``: whether a YAML value, quoted, has a high-entropy string. Each is cleared
    when it reaches :data:`_MEMO_LIMIT` entries, so a hostile tree cannot grow it unbounded.
    """

    def __init__(self) -> None:
        self.verdicts: dict[FileType, dict[str, bool]] = {}
        self.facts: dict[str, _Facts | None] = {}
        self.values: dict[str, bool] = {}


_MEMO = _Memo()
_UNKNOWN = object()


def _value_candidates(documents: Iterable[LocatedDocument]) -> Iterator[tuple[int, str, str]]:
    """``(line, key, value)`` of mapping values whose quoted text an entropy plugin matches.

    Like detect-secrets' YAML transformer: string (and base64 of binary) values of mapping
    keys, never the keys, at the line where the value starts.
    """
    seen: set[int] = set()
    for document in documents:
        for line, key, value in _mapping_strings(document.data, document.positions):
            if line not in seen and _entropic(value):
                seen.add(line)
                yield line, key, value


def _mapping_strings(data: Any, entry: Entry) -> Iterator[tuple[int, str, str]]:
    stack: list[tuple[Any, Entry]] = [(data, entry)]
    while stack:
        node, where = stack.pop()
        children = where[5]
        if type(node) is dict:
            for key, value in node.items():
                child = children.get(key) if type(children) is dict else None
                if child is None:
                    continue  # merged in from an anchor: scanned where it is written
                if type(value) is str:
                    if len(value) >= _ENTROPIC_LENGTH:
                        yield child[2], str(key), value
                elif type(value) is bytes:  # !!binary: the base64 as written
                    yield child[2], str(key), base64.b64encode(value).decode()
                elif type(value) in (dict, list):
                    stack.append((value, child))
        elif type(node) is list and type(children) is list:
            stack.extend(
                (item, child)
                for item, child in zip(node, children, strict=False)
                if type(item) in (dict, list)
            )


def _entropic(value: str) -> bool:
    verdict = _MEMO.values.get(value)
    if verdict is None:
        if len(_MEMO.values) >= _MEMO_LIMIT:
            _MEMO.values.clear()
        text = _quoted(value)
        verdict = _MEMO.values[value] = any(
            detector.calculate_shannon_entropy(match) > detector.entropy_limit
            for detector in _ENTROPY_DETECTORS
            for match in detector.analyze_string(text)
        )
    return verdict


def _quoted(value: str) -> str:
    """A value as detect-secrets' YAML transformer writes it: quoted, inner quotes escaped."""
    return '"' + value.replace('"', '\\"') + '"'


def _value_hits(
    file: str, lines: list[str], candidates: list[tuple[int, str, str]]
) -> Iterator[tuple[int, str]]:
    """The candidates that are entropy findings, judged as detect-secrets judges its lines.

    Needs the plugin settings active.

    The line is written as its YAML transformer writes it (``key: "value"`` and the
    line's comment) and goes through the plugins and filters with the line before it.
    """
    for number, key, value in candidates:
        raw = lines[number - 1] if 0 < number <= len(lines) else ""
        comment = _YAML_COMMENT.search(raw.strip())
        text = f"{key}: {_quoted(value)}{comment.group(0) if comment else ''}"
        previous = _WHITESPACE_RUN.sub(" ", lines[number - 2]) if number > 1 else ""
        secrets = list(_process_line_based_plugins([(1, previous), (2, text)], filename=file))
        if len(text) <= _INDIRECT_REFERENCE_MAX and is_indirect_reference(text):
            continue
        for secret in secrets:
            if secret.line_number == 2 and secret.type in _ENTROPY_TYPES:
                yield number, secret.type.lower()
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
