"""Template syntax written to hurt the tolerant reader: every file ends in facts or a notice.

The reader undoes template syntax only in files that fail to parse, so a stranger's
broken file decides how much work it costs. Placeholders run back to back
(``{{a}}{{a}}…`` with a stray word after them) and openings without a closing
(``{#{#{#…``) once made the reader exponential or quadratic. Each case runs ``stackyard
assess`` in a child process (``tests.processes``), so a hang fails the case, not the run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackyard.assess.inputs.templating import UNKNOWN, untemplate
from tests.processes import check_outcome, run_stackyard

HOSTILE = {
    "back-to-back": "key: " + "{{a}}" * 60 + " x\n",
    "unclosed-comments": "}}" + "{#" * 300_000 + "\n",
    "unclosed-makejinja": "a: b\n" + "#{" * 300_000 + "\n{{ x }}: 1\n",
    "unclosed-envsubst": "a: {{ x }}\nb: " + "${A:" * 200_000 + "\n",
    "unclosed-actions": "x: {{ y }}\n" + "}}" + "{{" * 300_000 + "\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_template_text_ends_in_a_report(tmp_path: Path, name: str) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "values.yaml").write_text(HOSTILE[name], encoding="utf-8")
    (root / "app.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\n", encoding="utf-8"
    )
    outcome = run_stackyard("assess", root, "--output", "json", cwd=tmp_path)
    check_outcome(outcome)
    assert json.loads(outcome.stdout)["stats"]["objects"] == 1


def test_placeholders_back_to_back_are_one_unknown_value() -> None:
    assert untemplate("key: " + "{{a}}" * 60).text == f"key: {UNKNOWN}"
    assert untemplate("key: " + "{{a}}" * 60 + " x").text == "key: " + "TEMPLATE" * 60 + " x"


@pytest.mark.parametrize(
    ("line", "read"),
    [
        ("url: ${{ values.repoUrl }}", f"url: {UNKNOWN}"),
        ("url: '${{ values.repoUrl }}' # the repository", f"url: {UNKNOWN}"),
        ("host: ${DOMAIN}", f"host: {UNKNOWN}"),
        ("ns: <NAMESPACE>", f"ns: {UNKNOWN}"),
        ("name: {{ a }}-grafana", "name: TEMPLATE-grafana"),
        ("name: ${{ a }}-grafana", "name: TEMPLATE-grafana"),
        ("{% if x %}", ""),
        ("{{ a }} }} x", "TEMPLATE }} x"),
    ],
)
def test_placeholders_are_read_as_before(line: str, read: str) -> None:
    assert untemplate(line).text == read
