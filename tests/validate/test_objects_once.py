"""An object's schema problems are worked out once per distinct content, and reported at
each copy's own place; copies that differ only in a value's type are judged apart."""

from __future__ import annotations

from pathlib import Path

from stackyard.validate.objects import check_object, check_objects
from stackyard.validate.repository import read_repository

BAD = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  ports:
    - port: {port}
      protocool: TCP
"""


def test_copies_of_an_object_are_each_reported_where_they_are(tmp_path: Path) -> None:
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "a.yaml").write_text(BAD.format(port=80), encoding="utf-8")
    (tmp_path / "manifests" / "b.yaml").write_text(
        "# a copy, two lines lower\n\n" + BAD.format(port=80), encoding="utf-8"
    )
    # The same object with the port as a string: valid YAML, a different object.
    (tmp_path / "manifests" / "c.yaml").write_text(BAD.format(port='"80"'), encoding="utf-8")
    repository = read_repository(tmp_path)
    result = check_objects(repository, "1.35")
    found = sorted(
        (Path(f.location.file).name, f.location.line, f.message) for f in result.findings
    )
    alone = sorted(
        (Path(f.location.file).name, f.location.line, f.message)
        for _, document in repository.objects()
        for f in check_object(document, "1.35")[1]
    )
    assert found == alone
    lines = {(name, line) for name, line, _ in found}
    assert {("a.yaml", 9), ("b.yaml", 11)} <= lines
    assert any(name == "c.yaml" and "port" in message for name, _, message in found)
    assert not any(name == "a.yaml" and "string" in message for name, _, message in found)
