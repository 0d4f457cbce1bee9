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
    # ``**/**`` is ``**``: collapsed, so repeats cannot multiply the ways to match.
    segments = [
        s for i, s in enumerate(segments) if not (s == "**" and segments[i - 1 : i] == ["**"])
    ]
    if not anchored and segments[0] != "**":
        segments.insert(0, "**")
    # Runs of plain segments between ``**``. A run with ``**`` on both sides is found at
    # its earliest place, atomically: any later place would leave the rest less path to
    # match, so nothing is lost, and a deep path is not split every possible way.
    runs: list[list[str]] = [[]]
    for segment in segments:
        if segment == "**":
            runs.append([])
        else:
            runs[-1].append(_segment(segment, pattern))
    parts = ["/".join(runs[0])]
    for i, run in enumerate(runs[1:], start=1):
        if not run:  # a trailing ``**``: everything inside
            parts.append("/.*" if parts[-1] else ".*")
            continue
        lead = "/" if parts[-1] else ""
        body = "/".join(run)
        if i < len(runs) - 1:
            parts.append(f"{lead}(?>(?:[^/]*/)*?{body}(?=/|\\Z))")
        else:
            parts.append(f"{lead}(?:[^/]*/)*{body}")
    return ExcludeRule(written, origin, reason, re.compile("".join(parts)), folders_only)


def _segment(segment: str, pattern: str) -> str:
    """The regular expression of one path segment (no ``/`` inside).

    As in ``fnmatch``, each ``*`` followed by more pattern finds the earliest place the
    rest can start, atomically: ``*a*a*a*b`` against a long name of ``a`` costs one scan
    per star, not one per way to split the name.
    """
    pieces = [_piece(piece, pattern) for piece in _star_split(segment)]
    if len(pieces) == 1:
        return pieces[0]
    middle = "".join(f"(?>[^/]*?{piece})" for piece in pieces[1:-1] if piece)
    return f"{pieces[0]}{middle}[^/]*{pieces[-1]}"


def _star_split(segment: str) -> list[str]:
    """``segment`` cut at each ``*`` that is not escaped or inside a ``[...]`` class."""
    pieces, current = [], ""
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "\\":
            current += segment[i : i + 2]
            i += 2
            continue
        if char == "[":
            end = segment.find("]", i + 2 if segment[i + 1 : i + 2] in ("!", "^", "]") else i + 1)
            if end != -1:
                current += segment[i : end + 1]
                i = end + 1
                continue
        if char == "*":
            pieces.append(current)
            current = ""
        else:
            current += char
        i += 1
    return [*pieces, current]


def _piece(piece: str, pattern: str) -> str:
    """The regular expression of a run of a segment with no ``*``."""
    out: list[str] = []
    i = 0
    while i < len(piece):
        char = piece[i]
        if char == "\\" and i + 1 < len(piece):
            out.append(re.escape(piece[i + 1]))
            i += 2
            continue
        if char == "?":
            out.append("[^/]")
        elif char == "[":
            end = piece.find("]", i + 2 if piece[i + 1 : i + 2] in ("!", "^", "]") else i + 1)
            if end == -1:
                raise ExcludePatternError(f"--exclude {pattern!r}: unclosed [ in {piece!r}")
            inner = piece[i + 1 : end]
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
