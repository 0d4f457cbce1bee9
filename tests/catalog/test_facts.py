"""Component facts live in the catalog: no Python table names a component the catalog lacks,
no table of component facts grows outside it unnoticed, and every catalog fact is read.

Both checks read the source with ``ast`` rather than importing it, so they see every
module (also those no test imports) and only literal tables, which is where a component's
name would be written down by hand:

- A *component table* is a module-level assignment, in the packages that plan, render,
  simulate and validate the platform (assess reads other people's repositories, whose
  chart names are not catalog entries), of a dict, set, frozenset, tuple or list literal
  whose keys (for a dict) or items (for a set, tuple or list; the first item of each
  inner tuple for a tuple of tuples, the first argument of each call for a tuple of
  constructor calls such as ``(Client("grafana", ...), ...)``) are all string constants,
  at least one of them a component name. Every such key must be a component of the
  shipped catalog (or one of the table's declared other keys), and the table must be one
  of :data:`REMAINING`, each with the reason it is not catalog data.
- A catalog fact is a field of a model in ``stackyard.catalog.model``; it is consumed
  when some module outside the catalog package reads it as an attribute
  (``component.egress``), or, for the text fields people read, the documentation
  generator does.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

import stackyard
from stackyard.catalog import load_catalog, model

SRC = Path(stackyard.__file__).parent
SCRIPTS = SRC.parent.parent / "scripts"

# Component tables that stay in Python, each with why it is not a fact of one entry.
REMAINING = {
    "render.readme.README_ORDER": "the README's row order across components (presentation)",
    "render.valuebuilders.apis.BUILDERS": "value builders by builder name",
    "render.valuebuilders.identity.BUILDERS": "value builders by builder name",
    "render.valuebuilders.mesh.BUILDERS": "value builders by builder name",
    "render.valuebuilders.networking.BUILDERS": "value builders by builder name",
    "render.valuebuilders.observability.BUILDERS": "value builders by builder name",
    "render.valuebuilders.policy.BUILDERS": "value builders by builder name",
    "render.valuebuilders.storage.BUILDERS": "value builders by builder name",
}
# Keys of a remaining table that are not components, by table.
OTHER_KEYS: dict[str, set[str]] = {}
# Catalog fields for people, not programs: read by reviewers of the data files.
FOR_PEOPLE = {"ValuesData.notes": "why the values file says what it says"}
PACKAGES = ("app", "plan", "render", "simulate", "validate")


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).with_suffix("")
        name = ".".join(p for p in relative.parts if p != "__init__")
        yield name, ast.parse(path.read_text(encoding="utf-8"))


def _keys(node: ast.expr) -> list[str] | None:
    """The string keys of a literal table, or None when ``node`` is not one."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id in ("frozenset", "set", "tuple", "dict") and len(node.args) == 1:
            return _keys(node.args[0])
        return None
    if isinstance(node, ast.BinOp):  # frozenset({...} | {...})
        left, right = _keys(node.left), _keys(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.Dict):
        items: list[ast.expr | None] = list(node.keys)
    elif isinstance(node, ast.Set | ast.Tuple | ast.List):
        items = [_first(e) for e in node.elts]
    else:
        return None
    keys = [k.value for k in items if isinstance(k, ast.Constant) and isinstance(k.value, str)]
    return keys if keys and len(keys) == len(items) else None


def _first(item: ast.expr) -> ast.expr | None:
    """What names an item of a sequence table: the first field of a tuple or of a
    constructor call (``Client("grafana", ...)``, ``Client(component="grafana")``)."""
    if isinstance(item, ast.Tuple):
        return item.elts[0] if item.elts else None
    if isinstance(item, ast.Call):
        if item.args:
            return item.args[0]
        return item.keywords[0].value if item.keywords else None
    return item


def component_tables() -> dict[str, list[str]]:
    """Module-level literal tables keyed by at least one component name."""
    names = set(load_catalog().components)
    tables = {}
    for module, tree in _modules():
        if not module.startswith(PACKAGES):
            continue
        for statement in tree.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target, value = statement.targets[0], statement.value
            elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                target, value = statement.target, statement.value
            else:
                continue
            keys = _keys(value) if isinstance(target, ast.Name) else None
            if keys and names & set(keys):
                assert isinstance(target, ast.Name)
                tables[f"{module}.{target.id}"] = keys
    return tables


def test_every_component_table_names_catalog_components_only() -> None:
    names = set(load_catalog().components)
    unknown = {
        table: sorted(set(keys) - names - OTHER_KEYS.get(table, set()))
        for table, keys in component_tables().items()
        if set(keys) - names - OTHER_KEYS.get(table, set())
    }
    assert unknown == {}, "tables naming components the catalog does not have"


def test_no_component_table_lives_outside_the_catalog_unnoticed() -> None:
    found = set(component_tables())
    new = sorted(found - set(REMAINING))
    assert new == [], (
        "a Python table keyed by component names: make it a field of the catalog entries "
        "(catalog/model.py) or add it to REMAINING with the reason it is not a component fact"
    )
    assert sorted(set(REMAINING) - found) == [], "REMAINING lists a table that is gone"


def test_the_table_scan_sees_a_component_table() -> None:
    tree = ast.parse('X = {"grafana": 1, "grafanna": 2}\nY = ("vault", 3)\nZ = {"a": 1}\n')
    assigns = [s for s in tree.body if isinstance(s, ast.Assign)]
    assert _keys(assigns[0].value) == ["grafana", "grafanna"]  # "grafanna" then fails
    assert _keys(assigns[1].value) is None  # not all string keys: no table
    assert _keys(assigns[2].value) == ["a"]  # a table, but of no component


def test_the_table_scan_sees_a_table_of_constructor_calls() -> None:
    # The shape of the OIDC clients table that lived in render/manifests/identity.py.
    source = (
        'CLIENTS = (\n    Client("argo-cd", "argocd", ("/auth/callback",)),\n'
        '    Client(component="grafana", client_id="grafana"),\n)\n'
        "CALLS = [f(x), g()]\n"
    )
    assigns = [s for s in ast.parse(source).body if isinstance(s, ast.Assign)]
    assert _keys(assigns[0].value) == ["argo-cd", "grafana"]
    assert _keys(assigns[1].value) is None  # calls without a string first field: no table


def _catalog_models() -> list[type[BaseModel]]:
    return [
        cls
        for _, cls in inspect.getmembers(model, inspect.isclass)
        if issubclass(cls, BaseModel) and cls.__module__ == model.__name__
    ]


def _attributes_read() -> set[str]:
    read = set()
    paths = [p for p in SRC.rglob("*.py") if "catalog" not in p.relative_to(SRC).parts]
    for path in [*paths, *SCRIPTS.glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                read.add(node.attr)
    return read


def test_every_catalog_fact_has_a_consumer() -> None:
    read = _attributes_read()
    unread = sorted(
        f"{cls.__name__}.{field}"
        for cls in _catalog_models()
        for field in cls.model_fields
        if field not in read and f"{cls.__name__}.{field}" not in FOR_PEOPLE
    )
    assert unread == [], "catalog fields nothing outside the catalog reads"


def test_every_named_value_builder_exists_and_every_builder_is_named() -> None:
    from stackyard.render.valuebuilders import VALUE_BUILDERS

    named = {c.values.builder: c.name for c in load_catalog() if c.values.builder is not None}
    missing = {builder: name for builder, name in named.items() if builder not in VALUE_BUILDERS}
    assert missing == {}, "catalog entries name value builders that do not exist"
    assert sorted(set(VALUE_BUILDERS) - set(named)) == [], "builders no entry names"
