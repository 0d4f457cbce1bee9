"""Read a JSON manifest: JSON's own rules for the values, YAML's reader for the positions.

Argo CD applies ``.json`` files of a directory source like ``.yaml`` ones
(https://argo-cd.readthedocs.io/en/stable/user-guide/directory/), so validate reads them
too. A JSON text is first read by the hostile-input-safe YAML reader (``stackyard.fsio``
refuses what is not a regular file and caps the bytes; ``stackyard.yamlio`` caps nodes and
nesting and refuses duplicate keys), which also records where every value is written. The
values then come from Python's JSON parser over the same, already bounded, text: YAML 1.1
reads a JSON number such as ``1e3`` as a string and accepts what JSON does not (a trailing
comma, a comment, an unquoted word), and a JSON file is applied by JSON's rules.
"""

from __future__ import annotations

import json
from pathlib import Path

from stackyard.errors import Location, Problem, YamlError
from stackyard.yamlio import LocatedDocument, load_yaml_documents
from stackyard.yamlio.loader import read_text_file


def read_json_file(path: Path) -> list[LocatedDocument]:
    """The one document of a JSON file (none when the file holds only white space).

    Raises:
        YamlError: the file is not a regular file, too large, not UTF-8, hostile, or not
            valid JSON; located at the offending line and column.
    """
    source = str(path)
    text = read_text_file(path)
    if not text.strip():
        return []
    # First the bounded reader: it refuses bombs, deep nesting and duplicate keys before
    # the JSON parser (which recurses per level) ever sees the text.
    located = load_yaml_documents(text, source)
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as e:
        raise _error(source, e.lineno, e.colno, f"invalid JSON: {e.msg}") from e
    except ValueError as e:  # NaN or Infinity, or an integer too long to convert
        raise _error(source, 1, 1, f"invalid JSON: {e}") from e
    if len(located) != 1:  # JSON is one value; several YAML documents cannot be JSON
        raise _error(source, 1, 1, "invalid JSON: expected one value")
    return [LocatedDocument(source, data, located[0].positions, located[0].start_line)]


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON value")


def _error(source: str, line: int, column: int, message: str) -> YamlError:
    return YamlError([Problem(Location(source, line, column), "", message)])
