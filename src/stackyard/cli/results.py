"""How every command ends: its exit status from the result, and a refused spec.

A command prints its result (``-o json``: the result's document on stdout) and returns
:func:`exit_status`: 1 when ``result.failed``, else 0, with each of ``result.reasons``
on stderr as an ``error:`` line, which ``--quiet`` does not silence. No command decides
its exit status any other way.

A spec that plans with error findings is refused by the use cases that build from it
(render, ``render --check``, simulate, ``diff --manifests``); :func:`refused` reports
it the same way for all of them: the refusal document on stdout with ``-o json``, the
findings table otherwise, and one ``error:`` line on stderr; exit 1.
"""

from __future__ import annotations

from stackyard.app import PlanRefusedError, Result
from stackyard.cli.errors import FINDINGS, OK
from stackyard.cli.output import OutputFormat, console, findings_table, print_json, warn


def exit_status(result: Result) -> int:
    """1 when ``result`` failed, else 0; each reason said on stderr first."""
    for reason in result.reasons:
        warn(f"error: {reason}")
    return FINDINGS if result.failed else OK


def refused(refusal: PlanRefusedError, output: OutputFormat) -> int:
    """Report a spec refused for its error findings as ``output`` asks; exit 1."""
    if output is OutputFormat.json:
        print_json(refusal.as_dict())
    else:
        console().print(findings_table(refusal.findings))
    warn(f"error: {refusal}; nothing written")
    return FINDINGS
