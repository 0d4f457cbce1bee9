"""``stackyard validate`` parses every Terraform file with python-hcl2, errors at file:line."""

from __future__ import annotations

from pathlib import Path

from stackyard.validate.run import validate_directory
from stackyard.validate.terraform import check_terraform
from tests.conftest import EXAMPLES, render_example

GOOD = 'resource "aws_vpc" "this" {\n  cidr_block = "10.0.0.0/16"\n}\n'
BAD = 'resource "aws_vpc" "this" {\n  cidr_block = "10.0.0.0/16"\n  tags = = {}\n}\n'


def test_a_file_that_does_not_parse_is_an_error_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "stack" / "modules").mkdir(parents=True)
    (tmp_path / "stack" / "main.tf").write_text(GOOD, encoding="utf-8")
    (tmp_path / "stack" / "modules" / "broken.tf").write_text(BAD, encoding="utf-8")
    count, findings = check_terraform(tmp_path)
    assert count == 2
    assert [(Path(f.location.file).name, f.location.line, f.check) for f in findings] == [
        ("broken.tf", 3, "terraform")
    ]
    assert findings[0].severity == "error"


def test_validate_reports_it_and_passes_the_rendered_stack(tmp_path: Path) -> None:
    render_example(EXAMPLES / "aws-standard.yaml", tmp_path)
    stack = tmp_path / "infrastructure" / "prod"
    count, findings = check_terraform(tmp_path)
    assert count >= 9 and findings == []
    (stack / "main.tf").write_text(BAD, encoding="utf-8")
    report = validate_directory(tmp_path)
    broken = [f for f in report.errors if f.check == "terraform"]
    assert [(f.location.file, f.location.line) for f in broken] == [(str(stack / "main.tf"), 3)]


def test_a_packer_template_that_does_not_parse_is_an_error_too(tmp_path: Path) -> None:
    (tmp_path / "packer").mkdir()
    (tmp_path / "packer" / "golden-image.pkr.hcl").write_text(BAD, encoding="utf-8")
    count, findings = check_terraform(tmp_path)
    assert count == 1
    assert [(f.location.line, f.message.split(" (")[0]) for f in findings] == [
        (3, "not valid Packer")
    ]
