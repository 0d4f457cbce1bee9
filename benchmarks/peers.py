"""Benchmark: do the workload checks agree with Polaris' and kube-score's own test fixtures?

Usage: python benchmarks/peers.py --polaris DIR --kube-score DIR [--output text|json]

Each DIR is a checkout or a bare git directory of FairwindsOps/polaris and of
zegl/kube-score (a bare one is read at its HEAD with ``git archive`` into a temporary
folder). Nothing of theirs is copied into this repository.

The cases are the peers' own statements of what a manifest should get:

- Polaris: every ``test/checks/<check>/success*.yaml`` and ``failure*.yaml`` (not the
  ``mutated*`` files, which test its fixer). Polaris' ``test/schema_test.go`` expects at
  least one danger of the check for a ``failure`` file and none for a ``success`` file.
- kube-score: every ``testExpectedScore(t, "<file>", "<Check Name>", <grade>)`` and
  ``testExpectedScoreWithConfig(...)`` call in ``score/*_test.go`` whose file is in
  ``score/testdata``. A grade of OK (or 0, "skipped") is a pass; WARNING and CRITICAL are
  failures. ``IgnoreContainerCpuLimitRequirement`` and ``...MemoryLimit...`` drop WL003
  and WL004 from the comparison (what an exception for them does here); a case with any
  other run option Stackyard has no counterpart for is listed as not comparable.

A peer check counts when a ``WL`` check names it (the ``polaris`` and ``kube_score``
names of the registry, as in docs/assessment-workloads.md; kube-score's test files use
the display name, whose id is the name lower-cased with dashes). Stackyard's verdict for
a case is whether any of those ``WL`` checks reports an open (not excepted) finding on
the file, read with the same loader and scanner ``stackyard assess`` uses.

Every disagreement is printed with its file and Stackyard's findings. Those Stackyard
makes on purpose are listed in ``DELIBERATE`` with the reason (and documented in
docs/assessment-workloads.md); any other one is "unexplained" and makes the exit code 1,
as does a listed difference that no longer shows.
Results are recorded by hand in docs/assessment-workloads.md and docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stackyard.assess.workloads import WORKLOAD_CHECKS, WorkloadScanner
from stackyard.yamlio import read_yaml_file

POLARIS, KUBE_SCORE = "polaris", "kube-score"

# kube-score grades (scorecard/scorecard.go): 0 is "skipped", 1 CRITICAL, 5 WARNING,
# 7 and 10 OK.
FAILING_GRADES = {"GradeCritical", "GradeWarning", "1", "5"}

# kube-score run options with a Stackyard counterpart: the WL checks they switch off.
OPTION_DROPS = {
    "IgnoreContainerCpuLimitRequirement": "WL003",
    "IgnoreContainerMemoryLimitRequirement": "WL004",
}
# Options that do not change what a mapped check decides.
NEUTRAL_OPTIONS = {"KubernetesVersion", "EnabledOptionalTests"}


@dataclass(frozen=True)
class Deliberate:
    """A disagreement Stackyard makes on purpose, on the fixtures it shows on."""

    reason: str
    peer: str
    check: str
    files: tuple[str, ...]


# Every disagreement left, each with the Kubernetes behaviour that decides it; the same
# list, with links, is in docs/assessment-workloads.md.
DELIBERATE: tuple[Deliberate, ...] = (
    Deliberate(
        "the only spread constraint selects app=foo, not the workload's own pods: the "
        "scheduler counts only the pods a constraint selects, so nothing spreads this "
        "workload's replicas; Polaris accepts any constraint",
        POLARIS,
        "topologySpreadConstraint",
        ("success.yaml",),
    ),
    Deliberate(
        "imagePullPolicy is unset on a :latest or untagged image, which Kubernetes "
        "defaults to Always; WL015 reports the tag. Polaris asks for the field written",
        POLARIS,
        "pullPolicyNotAlways",
        ("failure.yaml", "failure.cron-job.yaml"),
    ),
    Deliberate(
        "no Service in the same namespace selects the pod: kube-score then asks for no "
        "probe; Stackyard still asks for a readiness probe, because a Deployment's rolling "
        "update counts a replica available only once it is Ready, Service or not",
        KUBE_SCORE,
        "Pod Probes",
        (
            "pod-probes-not-targeted-by-service.yaml",
            "pod-probes-not-targeted-by-service-multi-labels.yaml",
            "pod-probes-targeted-by-service-different-namespace.yaml",
        ),
    ),
)


@dataclass(frozen=True)
class Case:
    """One expectation a peer states about one fixture file."""

    peer: str
    check: str  # as the peer names it
    file: str  # relative to the peer's repository
    expected_failure: bool
    checks: tuple[str, ...]  # the WL ids that stand for it


@dataclass(frozen=True)
class Outcome:
    """A case, Stackyard's verdict on it and, when they differ, why."""

    peer: str
    check: str
    file: str
    expected: str  # "fail" or "pass"
    stackyard: str
    agree: bool
    findings: tuple[str, ...]  # Stackyard's findings of the mapped checks
    deliberate: str  # the reason when the difference is deliberate


@dataclass(frozen=True)
class Peer:
    """A peer repository read from a local path, at a commit."""

    name: str
    root: Path
    commit: str


def polaris_names() -> dict[str, tuple[str, ...]]:
    """Polaris check name -> the WL ids that carry it."""
    names: dict[str, list[str]] = {}
    for item in WORKLOAD_CHECKS:
        if item.polaris:
            names.setdefault(item.polaris, []).append(item.id)
    return {name: tuple(ids) for name, ids in names.items()}


def kube_score_ids() -> dict[str, tuple[str, ...]]:
    """kube-score check id -> the WL ids that carry it."""
    ids: dict[str, list[str]] = {}
    for item in WORKLOAD_CHECKS:
        for name in item.kube_score:
            ids.setdefault(name, []).append(item.id)
    return {name: tuple(found) for name, found in ids.items()}


def kube_score_id(display_name: str) -> str:
    """The id kube-score derives from a check's display name (score/checks/checks.go)."""
    return display_name.lower().replace(" ", "-")


def polaris_cases(root: Path) -> list[Case]:
    """The success and failure fixtures of every Polaris check a WL check maps."""
    cases = []
    mapped = polaris_names()
    for folder in sorted((root / "test" / "checks").iterdir()):
        ids = mapped.get(folder.name)
        if ids is None:
            continue
        for path in sorted(folder.glob("*.yaml")):
            if path.name.startswith(("success", "failure")):
                relative = str(path.relative_to(root))
                cases.append(Case(POLARIS, folder.name, relative, "failure" in path.name, ids))
    return cases


_CALL = re.compile(r"testExpectedScore(?P<config>WithConfig)?\(t,\s*")
_STRING = r'"(?:[^"\\]|\\.)*"'
_RANGE = re.compile(r"range \[\]string\{(?P<values>[^}]*)\}")


def kube_score_cases(root: Path) -> tuple[list[Case], list[str]]:
    """The graded fixtures of every kube-score check a WL check maps, and those left out."""
    mapped = kube_score_ids()
    cases: dict[tuple[str, str, tuple[str, ...]], Case] = {}
    left_out: list[str] = []
    for test_file in sorted((root / "score").glob("*_test.go")):
        for function in re.split(r"\nfunc ", test_file.read_text(encoding="utf-8")):
            values = _RANGE.search(function)
            loop = re.findall(_STRING, values["values"]) if values else []
            for call in _calls(function):
                file_expr, check_name, grade, options = call
                ids = mapped.get(kube_score_id(check_name))
                if ids is None:
                    continue
                unknown = sorted(set(options) - set(OPTION_DROPS) - NEUTRAL_OPTIONS)
                if unknown:
                    left_out.append(f"{check_name} on {file_expr}: options {', '.join(unknown)}")
                    continue
                ids = tuple(i for i in ids if i not in {OPTION_DROPS.get(o) for o in options})
                for name in _expand(file_expr, loop):
                    relative = f"score/testdata/{name}"
                    case = Case(KUBE_SCORE, check_name, relative, grade in FAILING_GRADES, ids)
                    cases[(relative, check_name, ids)] = case
    return list(cases.values()), left_out


def _calls(function: str) -> Iterator[tuple[str, str, str, dict[str, str]]]:
    """(file expression, check name, grade, run options set to true or a value) per call."""
    for match in _CALL.finditer(function):
        rest = function[match.end() :]
        if match["config"]:
            # []ks.NamedReader{testFile(<expr>)}, <checks config>, &config.RunConfiguration{...},
            head = re.match(r"\[\]ks\.NamedReader\{testFile\((?P<file>[^)]*)\)\},\s*\w+,\s*", rest)
            if head is None:
                continue
            rest = rest[head.end() :]
            file_expr = head["file"]
            config = re.match(r"&config\.RunConfiguration\{(?P<body>.*?)\n?\s*\},\s*", rest, re.S)
            if config is None:
                continue
            options = dict(re.findall(r"(\w+):\s*([^,\n]+)", config["body"]))
            options = {k: v for k, v in options.items() if v.strip() != "false"}
            rest = rest[config.end() :]
        else:
            head = re.match(r"(?P<file>[^,]+),\s*", rest)
            if head is None:
                continue
            file_expr, options = head["file"], {}
            rest = rest[head.end() :]
        tail = re.match(rf"(?P<check>{_STRING}),\s*(?:scorecard\.)?(?P<grade>\w+)\)", rest)
        if tail is not None:
            yield file_expr.strip(), json.loads(tail["check"]), tail["grade"], options


def _expand(file_expr: str, loop: list[str]) -> list[str]:
    """The file names a Go expression stands for (a literal, or a literal with ``+v+``)."""
    parts = [p.strip() for p in file_expr.split("+")]
    if len(parts) == 1:
        return [json.loads(parts[0])]
    return [
        "".join(json.loads(p) if p.startswith('"') else json.loads(value) for p in parts)
        for value in loop
    ]


def stackyard_findings(path: Path, checks: tuple[str, ...]) -> list[str]:
    """Open findings of ``checks`` on one file, as ``stackyard assess`` reports them."""
    scanner = WorkloadScanner()
    for document in read_yaml_file(path):
        data = document.data
        if isinstance(data, dict) and data.get("kind") == "List":
            for item in data.get("items") or []:
                if isinstance(item, dict):
                    scanner.add(item, document)
        elif isinstance(data, dict):
            scanner.add(data, document)
    return [
        f"{f.check} line {f.evidence.line}: {f.message}"
        for f in scanner.findings()
        if f.check in checks and not f.excepted
    ]


def judge(peer: Peer, case: Case) -> Outcome:
    """Stackyard's verdict on a case, against the peer's."""
    findings = stackyard_findings(peer.root / case.file, case.checks)
    agree = bool(findings) == case.expected_failure
    reason = ""
    if not agree:
        name = Path(case.file).name
        reason = next(
            (
                d.reason
                for d in DELIBERATE
                if (d.peer, d.check) == (case.peer, case.check) and name in d.files
            ),
            "",
        )
    return Outcome(
        case.peer,
        case.check,
        case.file,
        "fail" if case.expected_failure else "pass",
        "fail" if findings else "pass",
        agree,
        tuple(findings),
        reason,
    )


def open_peer(name: str, location: Path, scratch: Path, subtree: str) -> Peer:
    """The peer's files from a checkout, or from a bare git directory's HEAD."""
    if (location / subtree).is_dir():
        # The commit only when the folder is the top of its own git checkout.
        top = _git(["-C", str(location), "rev-parse", "--show-toplevel"])
        own = bool(top) and Path(top).resolve() == location.resolve()
        commit = _git(["-C", str(location), "rev-parse", "HEAD"]) if own else ""
        return Peer(name, location, commit or "unknown")
    commit = _git(["--git-dir", str(location), "rev-parse", "HEAD"])
    if not commit:
        sys.exit(f"{location}: neither a checkout with {subtree}/ nor a git directory")
    target = scratch / name
    target.mkdir()
    archive = subprocess.run(
        ["git", "--git-dir", str(location), "archive", "HEAD", subtree],
        check=True,
        capture_output=True,
    )
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return Peer(name, target, commit)


def _git(arguments: list[str]) -> str:
    result = subprocess.run(["git", *arguments], capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else ""


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    """Agreement per peer check, per peer and overall."""

    def share(items: list[Outcome]) -> dict[str, Any]:
        agreed = sum(o.agree for o in items)
        return {"agree": agreed, "cases": len(items), "percent": _percent(agreed, len(items))}

    per_check: dict[tuple[str, str], list[Outcome]] = {}
    for outcome in outcomes:
        per_check.setdefault((outcome.peer, outcome.check), []).append(outcome)
    return {
        "overall": share(outcomes),
        "peers": {p: share([o for o in outcomes if o.peer == p]) for p in (POLARIS, KUBE_SCORE)},
        "checks": [
            {"peer": peer, "check": check, **share(items)}
            for (peer, check), items in sorted(per_check.items())
        ],
    }


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def print_text(report: dict[str, Any]) -> None:
    for peer in report["peers"].values():
        print(f"{peer['name']:<11} {peer['url']} at {peer['commit']}")
    print()
    print(f"{'peer':<11} {'check':<52} {'agree':>9} {'%':>6}")
    for row in report["summary"]["checks"]:
        agree = f"{row['agree']}/{row['cases']}"
        print(f"{row['peer']:<11} {row['check']:<52} {agree:>9} {row['percent']:>6}")
    for name, row in report["summary"]["peers"].items():
        print(f"{name:<11} {'all checks':<52} {row['agree']}/{row['cases']:<6} {row['percent']:>6}")
    overall = report["summary"]["overall"]
    print(f"{'overall':<64} {overall['agree']}/{overall['cases']:<6} {overall['percent']:>6}")
    for outcome in report["disagreements"]:
        print()
        print(f"{outcome['peer']} {outcome['check']}: {outcome['file']}")
        print(f"  peer expects {outcome['expected']}, Stackyard gives {outcome['stackyard']}")
        for finding in outcome["findings"]:
            print(f"  finding: {finding}")
        reason = outcome["deliberate"]
        print(f"  deliberate: {reason}" if reason else "  UNEXPLAINED")
    for item in report["not_comparable"]:
        print(f"not comparable: {item}")
    for item in report["stale_deliberate"]:
        print(f"listed as deliberate but agrees now (update DELIBERATE): {item}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--polaris", type=Path, required=True)
    parser.add_argument("--kube-score", type=Path, required=True)
    parser.add_argument("--output", choices=("text", "json"), default="text")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stackyard-peers-") as scratch:
        polaris = open_peer(POLARIS, args.polaris, Path(scratch), "test/checks")
        kube_score = open_peer(KUBE_SCORE, args.kube_score, Path(scratch), "score")
        ks_cases, not_comparable = kube_score_cases(kube_score.root)
        outcomes = [judge(polaris, c) for c in polaris_cases(polaris.root)]
        outcomes += [judge(kube_score, c) for c in ks_cases]
    disagreements = [o for o in outcomes if not o.agree]
    shown = {(o.peer, o.check, Path(o.file).name) for o in disagreements}
    stale = [
        f"{d.peer} {d.check}: {name}"
        for d in DELIBERATE
        for name in d.files
        if (d.peer, d.check, name) not in shown
    ]
    report = {
        "peers": {
            POLARIS: {
                "name": POLARIS,
                "url": "https://github.com/FairwindsOps/polaris",
                "commit": polaris.commit,
            },
            KUBE_SCORE: {
                "name": KUBE_SCORE,
                "url": "https://github.com/zegl/kube-score",
                "commit": kube_score.commit,
            },
        },
        "summary": summary(outcomes),
        "disagreements": [asdict(o) for o in disagreements],
        "unexplained": sum(not o.deliberate for o in disagreements),
        "not_comparable": not_comparable,
        "stale_deliberate": stale,
        "cases": [asdict(o) for o in outcomes],
    }
    if args.output == "json":
        print(json.dumps(report, indent=2))
    else:
        print_text(report)
    return 1 if report["unexplained"] or stale else 0


if __name__ == "__main__":
    sys.exit(main())
