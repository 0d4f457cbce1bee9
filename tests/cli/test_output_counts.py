"""Summary lines count in words that agree with the count: "1 change", "2 errors"."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.wording import counted
from tests.cli.test_diff import Cli, changed
from tests.conftest import EXAMPLES


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 errors"), (1, "1 error"), (2, "2 errors"), (-1, "-1 errors")],
)
def test_a_noun_is_singular_only_for_exactly_one(count: int, expected: str) -> None:
    assert counted(count, "error") == expected


def test_an_irregular_plural_is_given() -> None:
    assert counted(1, "policy", "policies") == "1 policy"
    assert counted(3, "policy", "policies") == "3 policies"


def test_diff_with_one_change_says_one_change(cli: Cli, tmp_path: Path) -> None:
    new = changed(
        tmp_path,
        "aws-enterprise",
        ('quota: {cpu: "8", memory: 32Gi}', 'quota: {cpu: "16", memory: 32Gi}'),
    )
    result = cli("diff", str(EXAMPLES / "aws-enterprise.yaml"), str(new))
    assert "1 change, 0 disruptive" in result.stdout
    assert "1 changes" not in result.stdout


def test_validate_with_one_error_says_one_error(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  n: 1\n", encoding="utf-8"
    )
    result = cli("validate", str(tmp_path))
    assert result.exit_code == 1
    summary = " ".join(result.stdout.split())
    assert "1 manifest file, 1 object, 1 checked" in summary
    assert "1 error, 0 warnings, 0 not checked" in summary
