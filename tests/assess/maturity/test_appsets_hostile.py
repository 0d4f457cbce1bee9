"""ApplicationSets written to hurt: every one ends in applications or notices, never a crash.

A generator's matrix of long lists multiplies without bound, a template may call a
function with the wrong arguments or nest without end, and a string may hold many
``{{`` with no ``}}`` after them. Each case runs ``stackyard assess`` in a child process
(``tests.processes``): a hang or a memory runaway fails the case instead of the run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackyard.assess.inputs.appset_templates import render
from stackyard.assess.inputs.appsets import MAX_PARAMETER_SETS
from tests.assess.maturity.conftest import WriteTree, index, messages
from tests.processes import check_outcome, run_stackyard

HEADER = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: hostile
  namespace: argocd
spec:
  goTemplate: true
"""
TEMPLATE = """\
  template:
    metadata:
      name: '{name}'
    spec:
      project: default
      source:
        repoURL: https://example.com/platform.git
        path: '{path}'
      destination:
        server: https://kubernetes.default.svc
"""


def elements(key: str, count: int, indent: int) -> str:
    """A list generator's ``elements``, one ``key: value`` mapping per line."""
    pad = " " * indent
    return "".join(f"{pad}- {key}: v{i}\n" for i in range(count))


def matrix_of_matrices(outer: int, inner: int) -> str:
    """``outer`` × ``inner`` × ``inner`` parameter sets: a matrix holding a matrix."""
    return (
        HEADER
        + "  generators:\n    - matrix:\n        generators:\n"
        + "          - list:\n              elements:\n"
        + elements("a", outer, 16)
        + "          - matrix:\n              generators:\n"
        + "                - list:\n                    elements:\n"
        + elements("b", inner, 22)
        + "                - list:\n                    elements:\n"
        + elements("c", inner, 22)
        + TEMPLATE.format(name="{{.a}}-{{.b}}-{{.c}}", path="apps/{{.a}}")
    )


def test_a_matrix_of_matrices_stops_at_the_cap_and_says_so(write_tree: WriteTree) -> None:
    root = write_tree({"apps/appset.yaml": matrix_of_matrices(300, 100)})  # 3 million sets
    facts, notices = index(root)
    generated = [r for r in facts.releases if r.application_set == "hostile"]
    assert 0 < len(generated) <= MAX_PARAMETER_SETS
    assert messages(notices, "apps/appset.yaml") == [
        f"line 1: hostile: generators yield more than {MAX_PARAMETER_SETS} parameter sets "
        "(counting each generator of a matrix or merge): expansion stopped there, "
        "the applications after it are not read"
    ]


def test_a_small_matrix_is_not_cut(write_tree: WriteTree) -> None:
    root = write_tree({"apps/appset.yaml": matrix_of_matrices(3, 4)})
    facts, notices = index(root)
    assert len([r for r in facts.releases if r.application_set == "hostile"]) == 3 * 4 * 4
    assert messages(notices, "apps/appset.yaml") == []


@pytest.mark.parametrize(
    "action",
    [
        "{{ lower }}",  # a function without its argument
        "{{ join 1 .n }}",  # a separator that is not a string
        "{{ replace 1 2 .n }}",
        "{{ trimPrefix 1 .n }}",
        '{{ "\\x41" }}',  # a Go escape JSON does not know
        "{{ toJson .set }}",
        "{{ " + "(" * 500 + ".n" + ")" * 500 + " }}",  # nesting without end
    ],
)
def test_a_template_function_called_wrongly_is_a_gap_not_a_crash(action: str) -> None:
    rendered = render(f"apps/{action}", {"n": "x", "set": {1, 2}}, True)
    assert rendered.text == f"apps/{action}"
    assert [g.missing for g in rendered.gaps] == [False]


@pytest.mark.parametrize("go", [True, False])
def test_many_openings_without_a_closing_render_in_one_pass(go: bool) -> None:
    text = "}}" + "{{" * 200_000
    assert render(text, {}, go).text == text  # a lazy regex would rescan from every {{


def test_a_hostile_application_set_ends_in_a_report(tmp_path: Path) -> None:
    template = TEMPLATE.format(name="{{ lower }}", path="}}" + "{{" * 100_000)
    body = HEADER + "  generators:\n    - list:\n        elements:\n          - n: 1\n" + template
    root = tmp_path / "repo"
    (root / "apps").mkdir(parents=True)
    (root / "apps" / "appset.yaml").write_text(body, encoding="utf-8")
    (root / "apps" / "boom.yaml").write_text(matrix_of_matrices(300, 100), encoding="utf-8")
    outcome = run_stackyard("assess", root, "--output", "json", cwd=tmp_path)
    check_outcome(outcome)
    report = json.loads(outcome.stdout)
    assert any("parameter sets" in n["message"] for n in report["notices"])
