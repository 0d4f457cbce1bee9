"""User-facing text names concepts, never the internal documents behind them.

Stackyard's defaults come from internal design documents ("seed 004 §9.1", "seed 001
P2", "ADR-005"). A user cannot look those up; they read "the failure matrix", "an
Essential roadmap item", "contract C6". docs/sources.md is the one page that maps the
concepts back. This module fails when a source-document name or section number reaches
a user: in the package's data files and string literals, the README, the examples, the
docs, and in the actual output of every command on every example (plan, plan --why,
render's files, simulate, assess in every format, catalog, schema, init, --help).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from stackyard.cli.main import app

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "stackyard"
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
SOURCES_PAGE = ROOT / "docs" / "sources.md"

# "seed 004", "Seed 002 §12", "seeds 000", "§9.1", "ADR-005", "PLATFORM-FACTS".
INTERNAL_REFERENCE = re.compile(r"\bseeds? ?\d|§|\bADR-\d|\bPLATFORM-FACTS\b", re.IGNORECASE)
# File paths are names, not prose: the test repository tests/assess/repos/seed001/ and its
# screenshot may keep their names.
PATH = re.compile(r"[\w.-]*/[\w./-]*|[\w.-]+\.(?:png|svg|md|yaml|json)\b")


def leaks(text: str) -> list[str]:
    """Lines of ``text`` that name a source document or section, trimmed for the report."""
    return [
        line.strip()[:160]
        for line in text.splitlines()
        if INTERNAL_REFERENCE.search(PATH.sub("", line))
    ]


def test_the_pattern_catches_what_it_must() -> None:
    for text in ("seed 004 §9.1", "Seed 002 v1.0", "(seed 001 P2)", "§12", "ADR-005", "seed004"):
        assert leaks(text), text
    for text in ("PLATFORM-FACTS covers it", "follows platform-facts"):
        assert leaks(text), text
    for text in ("the failure matrix", "random seed", "contract C6", "repos/seed001/x.md"):
        assert not leaks(text), text


# --- text shipped in the package, the README, the examples and the docs -----------------


def python_strings(path: Path) -> Iterator[tuple[int, str]]:
    """String literals of a module that can reach a user.

    Docstrings and bare string statements (attribute docs) are for readers of the code;
    check explanations and command help that come from docstrings are covered by scanning
    docs/checks.md and the ``--help`` output.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    statements = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or id(node) in statements:
            continue
        if isinstance(node.value, str):
            yield node.lineno, node.value


def shipped_text() -> Iterator[tuple[str, str]]:
    """(where, text) for every text the repository shows users."""
    for path in sorted(PACKAGE.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        where = str(path.relative_to(ROOT))
        if path.suffix == ".py":
            for line, value in python_strings(path):
                yield f"{where}:{line}", value
            continue
        try:
            yield where, path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary data files carry no prose
    yield "README.md", (ROOT / "README.md").read_text(encoding="utf-8")
    for path in sorted((ROOT / "examples").rglob("*")):
        if path.is_file():
            yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "docs").glob("*.md")):
        if path != SOURCES_PAGE:
            yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")


def test_shipped_text_names_no_source_document() -> None:
    found = [f"{where}: {line}" for where, text in shipped_text() for line in leaks(text)]
    assert not found, "\n".join(found)


def code_prose(path: Path) -> Iterator[tuple[int, str]]:
    """The comments and docstrings of a module: what a maintainer reads beside the code."""
    source = path.read_text(encoding="utf-8")
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            for offset, line in enumerate(node.value.value.splitlines()):
                yield node.lineno + offset, line


def test_comments_and_docstrings_name_no_source_document() -> None:
    # Docstrings become --help text and check explanations, and comments are quoted in
    # reviews: they name the concept too (docs/sources.md maps it back).
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text.strip()[:160]}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line, text in code_prose(path)
        if leaks(text)
    ]
    assert not found, "\n".join(found)


# --- what the commands print and write, on every example ------------------------------------


def invoke(*args: str) -> Result:
    """Run ``stackyard`` in-process; stdout and stderr kept apart."""
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def output_of(*args: str, codes: tuple[int, ...] = (0, 1)) -> str:
    """What a command prints, after checking it ran (0 ok, 1 findings)."""
    result = invoke(*args)
    assert result.exit_code in codes, (args, result.exit_code, result.stderr)
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Path]:
    """Every example rendered once: spec → output folder."""
    out: dict[Path, Path] = {}
    for spec in EXAMPLES:
        target = tmp_path_factory.mktemp(spec.stem)
        output_of("render", str(spec), str(target), "--force")
        out[spec] = target
    return out


def assert_clean(what: str, text: str) -> None:
    found = leaks(text)
    assert not found, f"{what}:\n" + "\n".join(found)


@pytest.mark.parametrize("spec", EXAMPLES, ids=[spec.stem for spec in EXAMPLES])
def test_plan_output_names_no_source_document(spec: Path) -> None:
    assert_clean("plan", output_of("plan", str(spec)))
    assert_clean("plan json", output_of("plan", str(spec), "--output", "json"))
    result = invoke("plan", str(spec), "--output", "json")
    names = sorted(set(re.findall(r'^\s+"name": "([a-z0-9-]+)",$', result.stdout, re.MULTILINE)))
    assert names
    for name in names:
        why = invoke("plan", str(spec), "--why", name)
        if why.exit_code == 2:
            continue  # a cluster name, not a component
        assert_clean(f"plan --why {name}", why.stdout + why.stderr)


@pytest.mark.parametrize("spec", EXAMPLES, ids=[spec.stem for spec in EXAMPLES])
def test_rendered_files_name_no_source_document(spec: Path, rendered: dict[Path, Path]) -> None:
    files = [path for path in sorted(rendered[spec].rglob("*")) if path.is_file()]
    assert files
    found = [
        f"{path.relative_to(rendered[spec])}: {line}"
        for path in files
        if ".git" not in path.relative_to(rendered[spec]).parts
        for line in leaks(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("spec", EXAMPLES, ids=[spec.stem for spec in EXAMPLES])
def test_simulate_output_names_no_source_document(spec: Path, tmp_path: Path) -> None:
    everything = ("--all-single-failures", "--for", "2h")
    assert_clean("simulate", output_of("simulate", str(spec), *everything))
    assert_clean("simulate json", output_of("simulate", str(spec), *everything, "--output", "json"))
    first_cluster = re.search(r"^\s+- name: (\S+)", spec.read_text(encoding="utf-8"), re.M)
    assert first_cluster
    svg = tmp_path / "incident.svg"
    one = ("--fail", first_cluster[1], "--for", "2h", "--svg", str(svg))
    assert_clean("simulate --fail", output_of("simulate", str(spec), *one))
    assert_clean("simulate svg", svg.read_text(encoding="utf-8"))


@pytest.mark.parametrize("spec", EXAMPLES, ids=[spec.stem for spec in EXAMPLES])
@pytest.mark.parametrize("form", ["text", "json", "markdown", "html", "sarif"])
def test_assess_reports_name_no_source_document(
    spec: Path, form: str, rendered: dict[Path, Path]
) -> None:
    assert_clean(f"assess -o {form}", output_of("assess", str(rendered[spec]), "--output", form))


def test_catalog_schema_help_and_starters_name_no_source_document(tmp_path: Path) -> None:
    assert_clean("catalog", output_of("catalog"))
    assert_clean("catalog json", output_of("catalog", "--output", "json"))
    assert_clean("schema", output_of("schema"))
    assert_clean("--help", output_of("--help"))
    for command in ("plan", "render", "validate", "assess", "simulate", "diff", "init"):
        assert_clean(f"{command} --help", output_of(command, "--help"))
    for edition in ("community", "standard", "enterprise"):
        for provider in ("aws", "onprem", "local"):
            for topology in ("single", "multi"):
                starter = tmp_path / f"{edition}-{provider}-{topology}.yaml"
                args = ("--edition", edition, "--provider", provider, "--topology", topology)
                output_of("init", *args, str(starter))
                assert_clean(starter.name, starter.read_text(encoding="utf-8"))
