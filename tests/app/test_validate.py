"""``stackyard.app.validate`` without the command line: hydration policy, inventory, verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.app import validate
from stackyard.errors import InputError
from tests.app.conftest import break_tree
from tests.validate.test_hydrate import make_chart


def test_hydrate_without_charts_is_refused_naming_both_flags(tmp_path: Path) -> None:
    with pytest.raises(InputError) as error:
        validate(tmp_path / "not-read", hydrate=True)
    assert "--hydrate needs --charts DIR" in str(error.value)


def test_a_clean_tree_passes_and_writes_no_inventory(poc_tree: Path, tmp_path: Path) -> None:
    make_chart(tmp_path, "longhorn", "1.12.1")
    result = validate(poc_tree, charts=tmp_path)  # charts without hydrate: not hydrated
    assert not result.failed and result.errors == []
    assert result.images is None and result.hydrated_releases == 0
    assert not (poc_tree / "images.txt").exists()
    data = result.as_dict()
    assert list(data)[:2] == ["schema", "directory"]
    assert data["schema"] == "stackyard.dev/validation/v1" and data["hydration"] is None
    assert data["objectsChecked"] > 0 and data["summary"]["error"] == 0


def test_hydration_writes_the_inventory_into_the_tree_by_default(
    poc_tree: Path, tmp_path: Path
) -> None:
    charts = tmp_path / "charts"
    charts.mkdir()
    make_chart(charts, "longhorn", "1.12.1")
    result = validate(poc_tree, hydrate=True, charts=charts)
    assert result.images == poc_tree / "images.txt"
    assert "nginx:1.16.0\tdocker.io" in result.images.read_text(encoding="utf-8")
    assert result.hydrated_releases == 1 and result.image_count >= 1
    hydration = result.as_dict()["hydration"]
    assert hydration == {
        "releases": 1,
        "images": result.image_count,
        "inventory": str(result.images),
    }


def test_the_inventory_goes_where_it_is_asked(poc_tree: Path, tmp_path: Path) -> None:
    charts = tmp_path / "charts"
    charts.mkdir()
    make_chart(charts, "longhorn", "1.12.1")
    target = tmp_path / "inventory.tsv"
    result = validate(poc_tree, hydrate=True, charts=charts, images=target)
    assert result.images == target and target.is_file()
    assert not (poc_tree / "images.txt").exists()


def test_error_findings_fail_and_are_counted(poc_tree: Path) -> None:
    break_tree(poc_tree)
    result = validate(poc_tree)
    assert result.failed
    checks = {f.check for f in result.errors}
    assert {"secret", "schema"} <= checks
    summary = result.as_dict()["summary"]
    assert summary["error"] == len(result.errors) and summary["warning"] == len(result.warnings)
    assert len(result.as_dict()["findings"]) == len(result.errors) + len(result.warnings)
