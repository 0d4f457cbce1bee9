"""What a detector is, what it returns, and the small readers most detectors share.

A detector answers one question about a repository ("is Argo CD self-healing?",
"which CNI runs, overlay or VPC-native?") from the index, never from files, and
returns a status with evidence: the file:line spans of what it found, or what it
looked for and where, when it found nothing. Detectors are small registered objects
(``Detector`` protocol + the explicit tuple in ``registry.py``); the maturity model
refers to them by name and decides which control each answers.

Statuses: ``achieved`` (the practice is in place), ``partial`` (started, or in place
for some of what it should cover), ``missing``.

Evidence comes in two labelled lists: ``evidence`` proves the practice (the
``selfHeal: true`` line), ``gaps`` prove its absence (the Application without it), so
a verdict never opens with files that prove the opposite. A count ("13 of 14
applications") lists its ``units``, each counted or not with its own evidence. Nothing
is cut here: every span goes into the JSON document, and only the reports shorten
what they display.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Protocol

from stackyard.assess.inputs import Hit, Located, RepositoryIndex, ValuesStack
from stackyard.assess.inputs.platform import platform_context
from stackyard.assess.model import Evidence, Status, Unit, noted


@dataclass(frozen=True)
class DetectorResult:
    """A detector's verdict: status, evidence, a one-line detail, what it looked for.

    ``evidence`` proves the practice, ``gaps`` prove where it is absent, ``units`` are
    what a count counted (empty when the detector counts nothing).
    """

    status: Status
    evidence: tuple[Evidence, ...] = ()
    detail: str = ""
    looked_for: str = ""
    gaps: tuple[Evidence, ...] = ()
    units: tuple[Unit, ...] = ()


class Detector(Protocol):
    """Answers one question about a repository."""

    @property
    def name(self) -> str:
        """Stable name the maturity model refers to (kebab-case)."""
        ...

    @property
    def looks_for(self) -> str:
        """What it looks for and where, said when it finds nothing."""
        ...

    def detect(self, index: RepositoryIndex) -> DetectorResult:
        """The verdict on ``index``."""
        ...


@dataclass(frozen=True)
class FunctionDetector:
    """A detector written as a function of the index."""

    name: str
    looks_for: str
    function: Callable[[RepositoryIndex, str], DetectorResult]

    def detect(self, index: RepositoryIndex) -> DetectorResult:
        """Run the function; it receives ``looks_for`` to quote when nothing is found."""
        return self.function(index, self.looks_for)


def achieved(
    evidence: Iterable[Evidence],
    detail: str = "",
    *,
    gaps: Iterable[Evidence] = (),
    units: Iterable[Unit] = (),
) -> DetectorResult:
    """The practice is in place (``gaps``: where it still is not, for a near-full count)."""
    return DetectorResult("achieved", distinct(evidence), detail, "", distinct(gaps), tuple(units))


def partial(
    evidence: Iterable[Evidence],
    detail: str,
    looked_for: str = "",
    *,
    gaps: Iterable[Evidence] = (),
    units: Iterable[Unit] = (),
) -> DetectorResult:
    """The practice is started or covers part of what it should; ``gaps`` cite the rest."""
    return DetectorResult(
        "partial", distinct(evidence), detail, looked_for, distinct(gaps), tuple(units)
    )


def missing(
    looked_for: str,
    detail: str = "",
    evidence: Iterable[Evidence] = (),
    *,
    gaps: Iterable[Evidence] = (),
    units: Iterable[Unit] = (),
) -> DetectorResult:
    """Nothing found.

    ``gaps`` cite what proves the absence (the standalone Vault, the Applications that
    sync by hand); ``evidence`` what was found that still counts for something.
    """
    return DetectorResult(
        "missing",
        distinct(evidence),
        detail or "not found",
        looked_for,
        distinct(gaps),
        tuple(units),
    )


def distinct(evidence: Iterable[Evidence]) -> tuple[Evidence, ...]:
    """Evidence without duplicates, in order, all of it (reports shorten the display)."""
    return tuple(dict.fromkeys(evidence))


def distinct_things(objects: Iterable[Evidence], values: Iterable[Evidence] = ()) -> int:
    """How many distinct things ``objects`` and ``values`` cite, for an "N autoscalers" count.

    An object is one thing however many files write it (its text names it: ``Kind
    namespace/name``); a values setting is one thing however many releases share the
    values file that holds it (the same span). Counting hits instead inflated "2 lines"
    into "298 autoscalers" when 149 releases read one file.
    """
    return len({e.text or e for e in objects}) + len(distinct(values))


def unit(name: str, counted: bool, *evidence: Evidence | None) -> Unit:
    """One counted (or not) thing of a coverage count, with the spans that show it."""
    return Unit(name, counted, tuple(e for e in evidence if e is not None))


def units_phrase(units: Sequence[Unit], noun: str) -> str:
    """``13 of 14 applications``, counted from the units themselves."""
    return count_phrase(sum(u.counted for u in units), len(units), noun)


def counted_evidence(units: Iterable[Unit]) -> list[Evidence]:
    """What proves the units a count counted."""
    return [e for u in units if u.counted for e in u.evidence]


def uncounted_evidence(units: Iterable[Unit]) -> list[Evidence]:
    """What shows the units a count did not count: its gaps."""
    return [e for u in units if not u.counted for e in u.evidence]


def by_units(units: Sequence[Unit], detail: str, looks_for: str) -> DetectorResult:
    """Achieved when every unit is counted, partial when some are, missing when none are."""
    evidence, gaps = counted_evidence(units), uncounted_evidence(units)
    done = sum(u.counted for u in units)
    if done == len(units):
        return achieved(evidence, detail, units=units)
    if done:
        return partial(evidence, detail, looks_for, gaps=gaps, units=units)
    return missing(looks_for, detail, gaps=gaps, units=units)


NAMES_SHOWN = 8  # names a detail lists before "and K more"


def first_set(stacks: Iterable[ValuesStack], *paths: Sequence[str | int]) -> list[Hit]:
    """Per stack, the winning value of the first of ``paths`` it sets."""
    hits = []
    for stack in stacks:
        for path in paths:
            hit = stack.get(*path)
            if hit is not None:
                hits.append(hit)
                break
    return hits


def truthy(value: Any) -> bool:
    """YAML-ish truth: true, "true", "on", "yes", non-zero numbers, non-empty collections."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "on", "yes", "1", "enabled")
    return bool(value)


def component(
    index: RepositoryIndex,
    charts: Sequence[str] = (),
    groups: Sequence[str] = (),
    kinds: Sequence[str] = (),
    images: Sequence[str] = (),
) -> list[Evidence]:
    """Evidence that a component is deployed: its chart, its custom resources, its images."""
    found = list(index.chart_uses(*charts))
    found += [o.evidence(text=f"{o.kind} {o.name}") for o in index.in_group(*groups)]
    found += [o.evidence(text=f"{o.kind} {o.name}") for o in index.of_kind(*kinds)]
    if images:
        for workload in index.workloads:
            for container in workload.containers:
                if any(image in container.image for image in images):
                    found.append(container.image_evidence)
    return found


def in_terms(index: RepositoryIndex, neutral: str, **by_term: str) -> str:
    """``neutral``, or its version in the repository's own terms (``rke2=...``, ``flux=...``).

    What a detector looked for is quoted in the roadmap; on a Talos repository it must
    not send the reader after an RKE2 key, nor a Flux repository after an Argo CD one.
    """
    return platform_context(index).choose(by_term, neutral)


def file_evidence(path: str, text: str) -> Evidence:
    """Evidence for a whole file, cited at its first line: its name, then what it is."""
    return Evidence(path, 1, 1, noted(PurePosixPath(path).name, text))


def count_phrase(done: int, total: int, noun: str) -> str:
    """``13 of 13 applications``."""
    return f"{done} of {total} {noun}"


def line_in_string(
    located: Located, path: Sequence[str | int], pattern: re.Pattern[str]
) -> Evidence | None:
    """The line of a multi-line string value (e.g. Vault's HCL ``config: |``) matching ``pattern``.

    For a literal block the exact line is cited; otherwise the line of the key.
    """
    value = located.get(*path)
    if not isinstance(value, str):
        return None
    lines = value.rstrip("\n").splitlines()
    for i, line in enumerate(lines):
        if pattern.search(line):
            base = located.evidence(*path)
            if base.end_line - base.line == len(lines):
                number = base.line + 1 + i
                return Evidence(base.file, number, number, line.strip()[:120])
            return Evidence(base.file, base.line, base.line, line.strip()[:120])
    return None
