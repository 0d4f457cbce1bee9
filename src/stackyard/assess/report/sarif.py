"""The assessment as SARIF 2.1.0, for GitHub code scanning and other SARIF readers.

One run, one rule per maturity-model control and per workload check, so rule ids are
the stable ids of the JSON report. Results:

- every workload finding, at its file and lines, at the level of its severity
  (``info`` is SARIF's ``note``);
- every control that is not achieved, at the level of its roadmap priority
  (Essential ``error``, 1st ``warning``, 2nd ``note``; ``warning`` for a missing
  control and ``note`` for a partial one off the roadmap), located at its first
  gap (the line that shows what is missing), or its first evidence when it cites no
  gap. A control missing with no span at all is a repository-level
  result: it carries the placeholder location OpenSSF Scorecard uses for the same
  purpose, since code scanning needs one location per result.

Excepted findings and controls are kept, with an external suppression whose
justification is the exception's reason. ``partialFingerprints`` hash the stable
identity (check, object, container), not the line, so alerts survive edits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from stackyard import __version__
from stackyard.assess.exceptions import WORKLOAD_ALIASES
from stackyard.assess.model import Assessment, ControlResult, Evidence, WorkloadFinding
from stackyard.assess.report.citations import lead
from stackyard.assess.report.locations import relative_path
from stackyard.assess.workloads import WORKLOAD_CHECKS

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
REPOSITORY_LEVEL_URI = "no file associated with this alert"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_PRIORITY_LEVEL = {"Essential": "error", "1st": "warning", "2nd": "note"}


def to_sarif(assessment: Assessment) -> dict[str, Any]:
    """The SARIF log (a JSON-ready dict) of ``assessment``."""
    rules = _rules(assessment)
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    reasons = _suppression_reasons(assessment)
    results = [_control_result(assessment, c, index, reasons) for c in _gaps(assessment)]
    results += [
        _finding_result(assessment, f, index, reasons) for f in assessment.workload_findings
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "stackyard",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": "stackyard/assess/"},
                "columnKind": "unicodeCodePoints",
                "results": results,
                "properties": {
                    "level": assessment.level,
                    "ratings": {a.area: a.rating for a in assessment.areas},
                },
            }
        ],
    }


def _rules(assessment: Assessment) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for area in assessment.areas:
        for control in area.controls:
            rules.append(
                {
                    "id": control.control,
                    "name": _rule_name(control.title),
                    "shortDescription": {"text": control.title},
                    "fullDescription": {"text": control.looked_for or control.title},
                    "defaultConfiguration": {"level": "warning"},
                    "properties": {
                        "area": area.area,
                        "level": control.level,
                        "weight": control.weight,
                        "tags": ["maturity", area.area],
                    },
                }
            )
    for check in WORKLOAD_CHECKS:
        rules.append(
            {
                "id": check.id,
                "name": _rule_name(check.title),
                "shortDescription": {"text": check.title},
                "fullDescription": {"text": check.explanation or check.title},
                "help": {"text": check.explanation or check.title},
                "defaultConfiguration": {"level": _LEVEL[check.severity]},
                "properties": {
                    "polaris": check.polaris,
                    "kubeScore": list(check.kube_score),
                    "tags": ["kubernetes", "workload"],
                },
            }
        )
    return rules


def _gaps(assessment: Assessment) -> Iterable[ControlResult]:
    for area in assessment.areas:
        yield from (c for c in area.controls if c.status != "achieved")


def _control_result(
    assessment: Assessment,
    control: ControlResult,
    index: dict[str, int],
    reasons: dict[str, str],
) -> dict[str, Any]:
    priority = next((r.priority for r in assessment.roadmap if r.control == control.control), None)
    if priority:
        level = _PRIORITY_LEVEL[priority]
    else:
        level = "warning" if control.status == "missing" else "note"
    text = f"{control.title}: {control.status}."
    if control.detail:
        text += f" {control.detail}"
    if control.gaps:
        text += f" Located at the first of {len(control.gaps)} gaps."
    if control.looked_for and not control.evidence:
        text += f" Looked for: {control.looked_for}."
    first = lead(control)
    location = (
        _location(first, assessment.root)
        if first is not None
        else {
            "physicalLocation": {
                "artifactLocation": {"uri": REPOSITORY_LEVEL_URI},
                "region": {"startLine": 1},
            }
        }
    )
    result = _result(control.control, index, level, text, location, (control.control,))
    result["properties"] = {"area": control.area, "status": control.status}
    if control.excepted:
        result["suppressions"] = [_suppression(reasons.get(control.control, ""))]
    return result


def _finding_result(
    assessment: Assessment,
    finding: WorkloadFinding,
    index: dict[str, int],
    reasons: dict[str, str],
) -> dict[str, Any]:
    location = _location(finding.evidence, assessment.root)
    identity = (finding.check, finding.object_ref, finding.container)
    result = _result(
        finding.check, index, _LEVEL[finding.severity], finding.message, location, identity
    )
    result["properties"] = {"object": finding.object_ref, "container": finding.container}
    if finding.excepted:
        result["suppressions"] = [_suppression(reasons.get(finding.check, ""))]
    return result


def _result(
    rule: str,
    index: dict[str, int],
    level: str,
    text: str,
    location: dict[str, Any],
    identity: tuple[str, ...],
) -> dict[str, Any]:
    digest = hashlib.sha256("\0".join(identity).encode("utf-8")).hexdigest()[:32]
    return {
        "ruleId": rule,
        "ruleIndex": index[rule],
        "level": level,
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {"stackyardIdentity/v1": digest},
    }


def _location(evidence: Evidence, root: str) -> dict[str, Any]:
    start = max(evidence.line, 1)
    region: dict[str, Any] = {"startLine": start, "endLine": max(evidence.end_line, start)}
    if evidence.text:
        region["snippet"] = {"text": evidence.text}
    uri = quote(relative_path(evidence.file, root), safe="/")
    return {"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region}}


def _suppression(reason: str) -> dict[str, Any]:
    return {
        "kind": "external",
        "status": "accepted",
        "justification": reason or "accepted in the exceptions file or an exemption annotation",
    }


def _suppression_reasons(assessment: Assessment) -> dict[str, str]:
    """Rule id -> reasons of the exceptions in force that name it (directly or by alias)."""
    reasons: dict[str, list[str]] = {}
    for use in assessment.exceptions:
        if use.expired:
            continue
        if use.check == "*":  # an annotation that exempts its object from every check
            rules = frozenset(c.id for c in WORKLOAD_CHECKS)
        else:
            rules = WORKLOAD_ALIASES.get(use.check, frozenset({use.check}))
        for rule in rules:
            reasons.setdefault(rule, []).append(use.reason)
    return {rule: "; ".join(dict.fromkeys(texts)) for rule, texts in reasons.items()}


def _rule_name(title: str) -> str:
    """A PascalCase name from a title, as SARIF readers expect of ``name``."""
    words = "".join(ch if ch.isalnum() else " " for ch in title).split()
    return "".join(w[:1].upper() + w[1:] for w in words) or "Rule"
