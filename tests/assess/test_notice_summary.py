"""Repeated notices of one kind are one line in the text and Markdown reports.

Every file of a template repository is read as a template and gets its own notice; the
JSON document keeps each, the reports say how many, which came first, and where the rest
are.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from stackyard.assess import assess_directory
from stackyard.assess.report import render_markdown
from stackyard.cli.main import app

NAMESPACE = """\
apiVersion: v1
kind: Namespace
metadata:
  name: {{{{ {name} }}}}
"""


def template_repository(root: Path, files: int) -> Path:
    """``files`` Jinja manifests with one unknown placeholder each, and one bad YAML file."""
    for number in range(files):
        path = root / "templates" / f"ns-{number}.yaml.j2"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(NAMESPACE.format(name=f"namespace_{number}"), encoding="utf-8")
    (root / "broken.yaml").write_text("a: [1\n", encoding="utf-8")
    return root


def test_json_keeps_one_template_notice_per_file(tmp_path: Path) -> None:
    assessment = assess_directory(template_repository(tmp_path, 5))
    templates = [n for n in assessment.notices if n.kind == "template"]
    assert sorted(n.file for n in templates) == [f"templates/ns-{i}.yaml.j2" for i in range(5)]
    assert all(n.as_dict()["kind"] == "template" for n in templates)


def test_markdown_summarises_template_notices_in_one_line(tmp_path: Path) -> None:
    text = render_markdown(assess_directory(template_repository(tmp_path, 5)))
    notices = text[text.index("notices</summary>") :]
    assert notices.count("read as a template") == 0
    assert (
        "- 5 files: read as templates (placeholders unknown, template logic ignored); "
        "first templates/ns-0.yaml.j2; every file and what it left unknown: --output json"
    ) in notices
    assert "- broken.yaml: " in notices  # a notice alone of its kind stays as it is


def test_text_report_summarises_template_notices(tmp_path: Path) -> None:
    root = template_repository(tmp_path, 12)
    result = CliRunner().invoke(app, ["assess", str(root)], env={"COLUMNS": "300"})
    assert "12 files" in result.output
    assert "read as a template" not in result.output
    assert "more: --output json" not in result.output  # two lines: nothing cut
    assert "broken.yaml" in result.output
