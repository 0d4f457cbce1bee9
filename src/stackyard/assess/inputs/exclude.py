"""Which paths of a repository an assessment leaves out: gitignore-style rules.

A platform repository also holds what is not its platform: test suites and their
fixtures (manifests written to fail a check), vendored dependencies, tools' caches.
Read as the platform's own, a fixture's privileged pod becomes a finding and a
vendored chart's values become "requests on N applications". So a few folders are
left out by default, each rule with its reason, and ``--exclude GLOB`` adds rules;
``--no-default-excludes`` reads the defaults again. Every path left out is recorded
by rule, so a report can count and name it: a skip is never silent.

Patterns follow the gitignore pattern format
(https://git-scm.com/docs/gitignore#_pattern_format), relative to the assessed root:

- a pattern with no ``/`` except a trailing one matches a name at any depth
  (``tests/``, ``*.bak``); one with a ``/`` at the start or in the middle is anchored
  to the root (``/docs``, ``apps/legacy``);
- a trailing ``/`` matches folders only;
- ``*`` matches anything but ``/``, ``?`` one character but ``/``, ``[a-z]`` a class
  (``[!a-z]`` its complement); ``**/`` at the start matches in every folder, ``/**``
  at the end everything inside, ``/**/`` zero or more folders;
- a folder left out is not walked, so nothing under it is read.

Negation (``!pattern``) is refused rather than half-supported: a folder left out is
never walked, so a negated path inside it could not be read back (git has the same
limit); use ``--no-default-excludes`` and name the rules wanted instead.

The default rules and why:

- ``vendor/``, ``third_party/``, ``node_modules/``: vendored dependencies (Go modules,
  jsonnet-bundler, JavaScript packages) — other people's code;
- ``.terraform/``, ``.venv/``, ``.tox/``: what ``terraform init`` and Python tools
  download;
- ``tests/``, ``testdata/``, ``fixtures/``, ``__fixtures__/``, ``__tests__/``,
  ``__snapshots__/``: test suites and their fixtures (the Go tool ignores ``testdata``
  for the same reason, https://pkg.go.dev/cmd/go#hdr-Test_packages);
- ``*-tests/``, ``*_tests/``: test suites named for what they test (``template-tests``,
  ``integration-tests``, ``e2e_tests``) — a CI test's inputs, such as the machine
  configuration a template's end-to-end test renders, are not the platform's own.

Not default, on purpose: ``test/`` and ``e2e/`` are as often environments
(``overlays/test``, ``clusters/e2e``) as test suites, and ``examples/`` is where
template repositories keep their real configuration.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from stackyard.assess.model import ExcludedPaths, ExcludeOrigin
from stackyard.errors import StackyardError

# Never content, never counted: version control metadata and bytecode caches.
ALWAYS_SKIPPED = frozenset({".git", ".hg", ".svn", "__pycache__"})

DEFAULT_EXCLUDES: tuple[tuple[str, str], ...] = (
    ("vendor/", "vendored dependencies"),
    ("third_party/", "vendored dependencies"),
    ("node_modules/", "vendored dependencies"),
    (".terraform/", "downloaded by terraform init"),
    (".venv/", "a Python environment"),
    (".tox/", "a Python environment"),
    ("tests/", "test suites and fixtures"),
    ("*-tests/", "test suites and fixtures"),
    ("*_tests/", "test suites and fixtures"),
    ("testdata/", "test fixtures"),
    ("fixtures/", "test fixtures"),
    ("__fixtures__/", "test fixtures"),
    ("__tests__/", "test suites and fixtures"),
    ("__snapshots__/", "test snapshots"),
)


class ExcludePatternError(StackyardError):
    """A pattern that is not a usable gitignore-style glob (bad usage: exit 2)."""


@dataclass(frozen=True)
class ExcludeRule:
    """One rule: the pattern as written, where it comes from and why."""

    pattern: str
    origin: ExcludeOrigin
    reason: str
    regex: re.Pattern[str]
    folders_only: bool

    def matches(self, relative: str, is_folder: bool) -> bool:
        """Whether the POSIX path ``relative`` (to the root) is left out by this rule."""
        if self.folders_only and not is_folder:
            return False
        return self.regex.fullmatch(relative) is not None


def compile_rule(pattern: str, origin: ExcludeOrigin = "option", reason: str = "") -> ExcludeRule:
    """A rule from a gitignore-style pattern.

    Raises:
        ExcludePatternError: the pattern is empty, a negation, or has an unclosed ``[``.
    """
    written = pattern.strip()
    if not written or written in ("/", "**"):
        raise ExcludePatternError(f"--exclude {pattern!r}: would leave out everything or nothing")
    if written.startswith("!"):
        raise ExcludePatternError(
            f"--exclude {pattern!r}: negation is not supported; use --no-default-excludes "
            "and name the rules you want"
        )
    folders_only = written.endswith("/")
    body = written.rstrip("/")
    anchored = "/" in body
    segments = [s for s in body.lstrip("/").split("/") if s]
    if not anchored and segments[0] != "**":
        segments.insert(0, "**")
    parts = []
    for position, segment in enumerate(segments):
        last = position == len(segments) - 1
        if segment == "**":
            parts.append(".*" if last else "(?:[^/]*/)*")
        else:
            parts.append(_segment(segment, pattern) + ("" if last else "/"))
    return ExcludeRule(written, origin, reason, re.compile("".join(parts)), folders_only)


def _segment(segment: str, pattern: str) -> str:
    """The regular expression of one path segment (no ``/`` inside)."""
    out: list[str] = []
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "\\" and i + 1 < len(segment):
            out.append(re.escape(segment[i + 1]))
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = segment.find("]", i + 2 if segment[i + 1 : i + 2] in ("!", "^", "]") else i + 1)
            if end == -1:
                raise ExcludePatternError(f"--exclude {pattern!r}: unclosed [ in {segment!r}")
            inner = segment[i + 1 : end]
            if inner[:1] in ("!", "^"):
                inner = "^" + inner[1:]
            out.append("[" + inner.replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


class Exclusions:
    """The rules in force for one walk, and every path they left out, by rule."""

    def __init__(self, patterns: Iterable[str] = (), *, defaults: bool = True) -> None:
        """Rules from ``--exclude`` patterns, after the defaults unless ``defaults`` is off.

        Raises:
            ExcludePatternError: a pattern cannot be used.
        """
        rules = [compile_rule(p, "default", why) for p, why in DEFAULT_EXCLUDES] if defaults else []
        rules += [compile_rule(p, "option", "--exclude") for p in patterns]
        self.rules = tuple(rules)
        self._folders: dict[ExcludeRule, list[str]] = defaultdict(list)
        self._files: dict[ExcludeRule, list[str]] = defaultdict(list)

    def match(self, relative: str, is_folder: bool) -> ExcludeRule | None:
        """The first rule that leaves out ``relative``, recorded; None to read it."""
        for rule in self.rules:
            if rule.matches(relative, is_folder):
                (self._folders if is_folder else self._files)[rule].append(relative)
                return rule
        return None

    def excluded(self) -> tuple[ExcludedPaths, ...]:
        """What each rule left out, in rule order (rules that matched nothing omitted)."""
        return tuple(
            ExcludedPaths(
                rule.pattern,
                rule.origin,
                rule.reason,
                tuple(sorted(self._folders.get(rule, ()))),
                tuple(sorted(self._files.get(rule, ()))),
            )
            for rule in self.rules
            if rule in self._folders or rule in self._files
        )


def notice_text(rule: ExcludeRule) -> str:
    """The notice for a path a rule left out: which rule, why, how to read it again."""
    if rule.origin == "default":
        return (
            f"excluded by default ({rule.reason}, rule {rule.pattern}): skipped; "
            "--no-default-excludes reads it"
        )
    return f"excluded by --exclude {rule.pattern}: skipped"
