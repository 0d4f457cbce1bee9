"""Leaving paths out: default rules for fixtures and vendored code, ``--exclude`` globs."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from stackyard.assess import assess_directory
from stackyard.assess.inputs.exclude import ExcludePatternError, Exclusions, compile_rule
from stackyard.assess.inputs.walk import walk
from stackyard.assess.model import Notice
from stackyard.cli.main import app
from tests.assess.maturity.conftest import write_files
from tests.processes import run_bounded

PRIVILEGED = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: fixtures
spec:
  containers:
    - name: app
      image: busybox
      securityContext:
        privileged: true
"""

# A platform repository with a test suite, Go test data, a vendored library, and
# folders that look like tests but are real configuration.
TREE = {
    "apps/web.yaml": PRIVILEGED.format(name="web"),
    "overlays/test/pod.yaml": PRIVILEGED.format(name="test-env"),
    "clusters/e2e/pod.yaml": PRIVILEGED.format(name="e2e-cluster"),
    "examples/pod.yaml": PRIVILEGED.format(name="example"),
    "tests/policies/bad-pod.yaml": PRIVILEGED.format(name="fixture"),
    "policies/kyverno/tests/resource.yaml": PRIVILEGED.format(name="kyverno-test"),
    "tools/testdata/pod.yaml": PRIVILEGED.format(name="go-testdata"),
    "vendor/github.com/x/pod.yaml": PRIVILEGED.format(name="vendored"),
    "charts/app/__snapshots__/pod.yaml": PRIVILEGED.format(name="snapshot"),
}


def objects(findings_of: object) -> set[str]:
    """Names of the objects with a privileged finding."""
    return {
        f.object_ref.rsplit("/", 1)[-1]
        for f in findings_of.workload_findings  # type: ignore[attr-defined]
        if f.check == "WL007"
    }


def test_test_fixtures_and_vendored_folders_are_left_out_by_default(tmp_path: Path) -> None:
    result = assess_directory(write_files(tmp_path, TREE), workers=0)
    # Environments named test or e2e and examples are real configuration: read.
    assert objects(result) == {"web", "test-env", "e2e-cluster", "example"}
    by_rule = {x.rule: x.folders for x in result.excluded}
    assert by_rule == {
        "vendor/": ("vendor",),
        "tests/": ("policies/kyverno/tests", "tests"),
        "testdata/": ("tools/testdata",),
        "__snapshots__/": ("charts/app/__snapshots__",),
    }
    assert result.stats["excludedFolders"] == 5 and result.stats["excludedFiles"] == 0
    notice = next(n for n in result.notices if n.file == "tests")
    assert notice.message == (
        "excluded by default (test suites and fixtures, rule tests/): skipped; "
        "--no-default-excludes reads it"
    )


def test_default_excludes_can_be_turned_off(tmp_path: Path) -> None:
    result = assess_directory(
        write_files(tmp_path, TREE), workers=0, exclusions=Exclusions(defaults=False)
    )
    assert len(objects(result)) == len(TREE)
    assert result.excluded == () and result.stats["excludedFolders"] == 0


def test_exclude_patterns_count_files_and_folders_by_rule(tmp_path: Path) -> None:
    root = write_files(tmp_path, TREE)
    rules = Exclusions(["/apps", "pod.yaml"], defaults=False)
    result = assess_directory(root, workers=0, exclusions=rules)
    assert objects(result) == {"fixture", "kyverno-test"}  # not named pod.yaml
    by_rule = {x.rule: (x.origin, x.folders, len(x.files)) for x in result.excluded}
    assert by_rule == {"/apps": ("option", ("apps",), 0), "pod.yaml": ("option", (), 6)}
    assert result.stats["excludedFolders"] == 1 and result.stats["excludedFiles"] == 6


PATTERNS = [
    "tests/",
    "*.bak.yaml",
    "/docs",
    "apps/legacy",
    "**/generated/**",
    "a/**/z.yaml",
    "config-?.yaml",
    "env-[a-c].yaml",
    "env-[!a-c].yaml",
    "deep/**",
    "sub/",
    "\\#literal.yaml",
]

GIT_TREE = [
    "tests/a.yaml",
    "apps/tests/b.yaml",
    "apps/tests.yaml",
    "x.bak.yaml",
    "apps/x.bak.yaml",
    "docs/d.yaml",
    "apps/docs/d.yaml",
    "apps/legacy/l.yaml",
    "other/apps/legacy/l.yaml",
    "generated/g.yaml",
    "k/generated/g.yaml",
    "k/generated/deeper/g.yaml",
    "a/z.yaml",
    "a/b/c/z.yaml",
    "b/a/z.yaml",
    "config-1.yaml",
    "config-10.yaml",
    "env-a.yaml",
    "env-d.yaml",
    "deep/one.yaml",
    "deep/two/three.yaml",
    "sub",
    "x/sub/s.yaml",
    "#literal.yaml",
    "keep/me.yaml",
]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to compare with")
def test_patterns_leave_out_what_git_ignores(tmp_path: Path) -> None:
    """Each pattern, on a tree, leaves out exactly the files gitignore would."""
    for number, pattern in enumerate(PATTERNS):
        root = tmp_path / f"tree{number}"
        # "sub" is a file at the top (a folder-only rule must not match it).
        write_files(root, {path: "a: 1\n" for path in GIT_TREE})
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        ignore = tmp_path / f"ignore{number}"
        ignore.write_text(pattern + "\n", encoding="utf-8")
        listed = subprocess.run(
            ["git", "-C", str(root), "ls-files", "--others", f"--exclude-from={ignore}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        notices: list[Notice] = []
        walked = [s.relative for s in walk(root, notices, Exclusions([pattern], defaults=False))]
        expected = sorted(p for p in listed if p.endswith(".yaml"))
        assert sorted(walked) == expected, pattern


@pytest.mark.parametrize("pattern", ["", "/", "!tests/", "env-[a.yaml"])
def test_unusable_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(ExcludePatternError, match="--exclude"):
        compile_rule(pattern)


Cli = Callable[..., Result]


def invoke(*args: str) -> Result:
    """Run ``stackyard`` in-process."""
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_the_cli_takes_repeated_excludes_and_says_what_it_left_out(tmp_path: Path) -> None:
    root = write_files(tmp_path, TREE)
    text = invoke("assess", str(root), "--exclude", "/apps", "--exclude", "examples/")
    assert text.exit_code == 0
    assert (
        "Excluded: 7 folders, 0 files (vendor/ 1 folder; tests/ 2 folders; testdata/ 1 folder; "
        "__snapshots__/ 1 folder; --exclude /apps 1 folder; --exclude examples/ 1 folder); "
        "--no-default-excludes reads the default ones"
    ) in " ".join(text.stdout.split())
    data = json.loads(
        invoke(
            "assess", str(root), "--no-default-excludes", "-o", "json", "--exclude", "/apps"
        ).stdout
    )
    assert data["excluded"] == [
        {
            "rule": "/apps",
            "origin": "option",
            "reason": "--exclude",
            "folders": ["apps"],
            "files": [],
        }
    ]
    assert data["stats"]["excludedFolders"] == 1
    markdown = invoke("assess", str(root), "-o", "markdown").stdout
    assert "Excluded: 5 folders, 0 files (vendor/ 1 folder;" in markdown


def test_the_cli_refuses_a_negated_pattern_with_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["assess", str(tmp_path), "--exclude", "!keep/"])
    assert result.exit_code == 2
    assert "negation is not supported" in result.stderr


def _matches(pattern: str, path: str) -> bool:
    return compile_rule(pattern).matches(path, is_folder=False)


@pytest.mark.parametrize(
    ("pattern", "path", "matched"),
    [
        ("a/" + "**/" * 15 + "z", "a/" + "b/" * 25 + "x", False),  # many ** on a deep path
        ("a/" + "**/b/" * 12 + "z", "a/" + "b/" * 30 + "x", False),
        ("*a" * 12 + "*b", "a" * 60, False),  # many * in one name
        ("**/x/**/y", "xy/x/q/y", True),  # the earliest folder named x, not a prefix of xy
        ("**/a*/b", "a1/c/a2/b", True),  # a later folder when the next one must follow
        ("[*]c", "*c", True),
        ("x\\*", "x*", True),
    ],
)
def test_patterns_match_in_bounded_time_as_git_does(pattern: str, path: str, matched: bool) -> None:
    # Once a backtracking regex: minutes for a pattern a user may well type.
    assert run_bounded(_matches, pattern, path) is matched
