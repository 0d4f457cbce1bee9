"""``render`` into a real Git work tree: history and unknown files survive, --check, --commit."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from stackyard import __version__
from stackyard.cli.main import app
from stackyard.render.gitwork import says_disk_full
from stackyard.render.marker import MARKER, read_marker
from tests.render.conftest import EXAMPLES

SPEC = EXAMPLES / "community-poc.yaml"
Cli = Callable[..., Result]

IDENTITY = {
    "GIT_AUTHOR_NAME": "Platform Team",
    "GIT_AUTHOR_EMAIL": "platform@example.com",
    "GIT_COMMITTER_NAME": "Platform Team",
    "GIT_COMMITTER_EMAIL": "platform@example.com",
}


@pytest.fixture(autouse=True)
def isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    """Git sees no global or system configuration, only an identity from the environment."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    # Never guess an identity from the host name: a missing one must be an error.
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "user.useConfigOnly")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "true")
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def cli() -> Cli:
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def new_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    return path


def commits(repo: Path) -> list[str]:
    return git(repo, "log", "--format=%H").split()


def test_a_fresh_git_init_folder_is_rendered_into(cli: Cli, tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    result = cli("render", SPEC, repo)
    assert result.exit_code == 0, result.stderr
    assert (repo / "bootstrap" / "root-app.yaml").is_file()
    assert git(repo, "rev-parse", "--git-dir").strip() == ".git"


def test_rerendering_a_git_repository_keeps_git_history_and_unknown_files(
    cli: Cli, tmp_path: Path
) -> None:
    repo = new_repo(tmp_path / "repo")
    (repo / "NOTES.md").write_text("the team's notes\n")
    (repo / "overrides" / "values" / "common").mkdir(parents=True)
    (repo / "overrides" / "values" / "common" / "grafana.yaml").write_text("replicas: 2\n")
    assert cli("render", SPEC, repo).exit_code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first render")
    history = commits(repo)

    result = cli("render", SPEC, repo)
    assert result.exit_code == 0, result.stderr
    assert commits(repo) == history
    assert git(repo, "status", "--porcelain") == ""  # identical tree, no lock left behind
    assert (repo / "NOTES.md").read_text() == "the team's notes\n"
    assert "left 1 file stackyard did not write alone: NOTES.md" in result.stderr


def test_render_warns_about_the_rendered_files_it_overwrites_that_were_edited_by_hand(
    cli: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert cli("render", SPEC, out).exit_code == 0
    owned = sorted(json.loads((out / MARKER).read_text())["files"])
    for path in owned[:7]:
        (out / path).write_text("edited: by hand\n")
    result = cli("render", SPEC, out)
    assert result.exit_code == 0, result.stderr
    expected = ", ".join(owned[:5]) + " and 2 more; put such changes in overrides/"
    assert (
        f"warning: overwrote 7 rendered files edited by hand since the last render: {expected}"
        in result.stderr
    )


def test_a_subfolder_at_gitops_path_renders_without_a_warning(cli: Cli, tmp_path: Path) -> None:
    spec = tmp_path / "platform.yaml"
    spec.write_text(SPEC.read_text().replace("  path: .", "  path: platform/poc"))
    repo = new_repo(tmp_path / "repo")
    (repo / "README.md").write_text("the repository's own README\n")
    result = cli("render", spec, repo / "platform" / "poc")
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr
    assert (repo / "README.md").read_text() == "the repository's own README\n"


def test_a_folder_elsewhere_in_the_repository_gets_a_warning_naming_both_paths(
    cli: Cli, tmp_path: Path
) -> None:
    repo = new_repo(tmp_path / "repo")
    result = cli("render", SPEC, repo / "scratch")
    assert result.exit_code == 0
    assert "warning:" in result.stderr
    assert "'scratch'" in result.stderr and "gitops.path is '.'" in result.stderr


def test_an_unknown_file_in_the_way_is_refused_then_forced(cli: Cli, tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    (repo / "README.md").write_text("# our repository\n")
    refused = cli("render", SPEC, repo)
    assert refused.exit_code == 2
    assert "README.md" in refused.stderr and "--force" in refused.stderr
    assert sorted(p.name for p in repo.iterdir()) == [".git", "README.md"]
    forced = cli("render", SPEC, repo, "--force")
    assert forced.exit_code == 0
    assert "overwrote 1 file " in forced.stderr
    assert (repo / "README.md").read_text().startswith("# community-poc: GitOps repository")


def test_check_exits_zero_when_identical_and_one_with_the_differing_paths(
    cli: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert cli("render", SPEC, out, "--check").exit_code == 1  # nothing rendered yet
    assert not out.exists()
    cli("render", SPEC, out)
    (out / "mine.txt").write_text("unknown files are not a difference\n")
    assert cli("render", SPEC, out, "--check").exit_code == 0

    (out / "apps" / "project.yaml").write_text("edited: true\n")
    (out / "bootstrap" / "root-app.yaml").unlink()
    stale = out / "apps" / "applications" / "retired.yaml"
    marker = json.loads((out / MARKER).read_text())
    marker["files"]["apps/applications/retired.yaml"] = "0" * 64
    (out / MARKER).write_text(json.dumps(marker))
    stale.write_text("kind: Application\n")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    result = cli("render", SPEC, out, "--check")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "changed: apps/project.yaml",
        "missing: bootstrap/root-app.yaml",
        "stale: apps/applications/retired.yaml",
        f"changed: {MARKER}",
    ]
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before  # wrote nothing


def test_commit_records_exactly_the_render_once(cli: Cli, tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    (repo / "NOTES.md").write_text("not part of the render\n")
    (repo / "staged.txt").write_text("staged by the user\n")
    git(repo, "add", "staged.txt")
    result = cli("render", SPEC, repo, "--commit")
    assert result.exit_code == 0, result.stderr
    assert len(commits(repo)) == 1
    digest = hashlib.sha256(SPEC.read_bytes()).hexdigest()
    message = git(repo, "log", "-1", "--format=%B")
    assert message.splitlines()[0] == f"Render community-poc from spec sha256:{digest[:12]}"
    assert f"Spec: sha256:{digest}" in message
    assert f"Rendered-by: stackyard {__version__}" in message
    committed = set(git(repo, "ls-tree", "-r", "--name-only", "HEAD").split())
    owned = set(json.loads((repo / MARKER).read_text())["files"])
    assert committed == owned | {MARKER}
    assert git(repo, "status", "--porcelain").splitlines() == ["A  staged.txt", "?? NOTES.md"]

    again = cli("render", SPEC, repo, "--commit")
    assert again.exit_code == 0
    assert "nothing to commit" in again.stderr
    assert len(commits(repo)) == 1


def test_commit_of_a_changed_spec_records_changes_and_deletions(cli: Cli, tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    assert cli("render", SPEC, repo, "--commit").exit_code == 0
    spec = tmp_path / "platform.yaml"
    spec.write_text(SPEC.read_text().replace("  path: .", "  path: sub"))
    result = cli("render", spec, repo, "--commit", "-m", "Move the tree")
    assert result.exit_code == 0, result.stderr
    assert len(commits(repo)) == 2
    assert git(repo, "log", "-1", "--format=%s").strip() == "Move the tree"
    changed = git(repo, "show", "--name-status", "--format=", "HEAD").splitlines()
    assert "D\t.github/workflows/stackyard-validate.yaml" in changed  # only rendered at the root
    assert git(repo, "status", "--porcelain") == ""


def test_commit_records_deletions_an_earlier_render_without_commit_made(
    cli: Cli, tmp_path: Path
) -> None:
    repo = new_repo(tmp_path / "repo")
    (repo / "NOTES.md").write_text("the team's notes\n")
    git(repo, "add", "NOTES.md")
    git(repo, "commit", "-q", "-m", "notes")
    assert cli("render", SPEC, repo, "--commit").exit_code == 0
    (repo / "NOTES.md").unlink()  # the user's own deletion is theirs to commit
    spec = tmp_path / "platform.yaml"
    spec.write_text(SPEC.read_text().replace("  path: .", "  path: sub"))
    assert cli("render", spec, repo).exit_code == 0  # deletes, commits nothing
    result = cli("render", spec, repo, "--commit")
    assert result.exit_code == 0, result.stderr
    changed = git(repo, "show", "--name-status", "--format=", "HEAD").splitlines()
    assert "D\t.github/workflows/stackyard-validate.yaml" in changed
    assert "NOTES.md" not in git(repo, "show", "--name-only", "--format=", "HEAD")
    assert git(repo, "status", "--porcelain").splitlines() == [" D NOTES.md"]


def test_commit_adds_rendered_files_a_gitignore_covers_and_nothing_else_ignored(
    cli: Cli, tmp_path: Path
) -> None:
    repo = new_repo(tmp_path / "repo")
    (repo / ".gitignore").write_text("bootstrap/\n*.log\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-q", "-m", "ignore")
    (repo / "debug.log").write_text("ignored and not the render's\n")
    result = cli("render", SPEC, repo, "--commit")
    assert result.exit_code == 0, result.stderr
    committed = set(git(repo, "ls-tree", "-r", "--name-only", "HEAD").split())
    assert "bootstrap/root-app.yaml" in committed
    assert "debug.log" not in committed


def test_a_git_failure_names_its_cause_not_its_advice(cli: Cli, tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "repo")
    (repo / ".git" / "index.lock").write_text("")  # as if another git process were running
    result = cli("render", SPEC, repo, "--commit")
    assert result.exit_code == 2
    assert "git add failed: fatal: Unable to create" in result.stderr
    assert "index.lock" in result.stderr


def test_commit_outside_a_work_tree_is_refused_before_writing(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "plain"
    result = cli("render", SPEC, out, "--commit")
    assert result.exit_code == 2
    assert "not inside a Git work tree" in result.stderr
    assert not out.exists()


def test_commit_without_an_identity_is_refused_before_writing(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in IDENTITY:
        monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path))
    repo = new_repo(tmp_path / "repo")
    result = cli("render", SPEC, repo, "--commit")
    assert result.exit_code == 2
    assert "no identity" in result.stderr
    assert sorted(p.name for p in repo.iterdir()) == [".git"]


def test_a_damaged_marker_is_one_line_of_exit_two_for_render_and_validate(
    cli: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    cli("render", SPEC, out)
    (out / MARKER).write_text('{"format": 2, "files": {"../../etc/passwd": "x"}')
    for args in (("render", SPEC, out), ("validate", out)):
        result = cli(*args)
        assert result.exit_code == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert str(out / MARKER) in result.stderr


@pytest.mark.parametrize("name", [MARKER, ".stackyard-render.pending"])
def test_a_lone_surrogate_in_a_marker_or_journal_path_is_exit_two(
    cli: Cli, tmp_path: Path, name: str
) -> None:
    out = tmp_path / "out"
    cli("render", SPEC, out)
    path = r'"a\ud800/x"'  # JSON for a lone surrogate, which no file name can hold
    files = f'{{{path}: "{"0" * 64}"}}' if name == MARKER else f"[{path}]"
    (out / name).write_text(f'{{"format": 2, "files": {files}}}')
    for _ in range(2):  # and it stays a clear error, never a crash
        result = cli("render", SPEC, out)
        assert result.exit_code == 2, result.stderr
        assert "is not a file name" in result.stderr and str(out / name) in result.stderr


@pytest.mark.parametrize("version", ["v1.35", "v1.35.2", "1.12345"])
def test_every_version_the_spec_accepts_renders_a_marker_that_reads_back(
    cli: Cli, tmp_path: Path, version: str
) -> None:
    spec = tmp_path / "platform.yaml"
    spec.write_text(SPEC.read_text().replace('version: "1.35"', f'version: "{version}"'))
    out = tmp_path / "out"
    assert cli("render", spec, out).exit_code == 0
    assert json.loads((out / MARKER).read_text())["kubernetesVersion"] == version.lstrip("v")
    for args in (("render", spec, out), ("render", spec, out, "--check")):
        result = cli(*args)
        assert result.exit_code == 0, result.stderr
    (out / MARKER).write_text((out / MARKER).read_text().replace('": "1.', '": "v1.'))
    assert read_marker(out) is not None  # a marker of an earlier version with the "v"


def test_check_and_commit_cannot_be_combined(cli: Cli, tmp_path: Path) -> None:
    result = cli("render", SPEC, tmp_path, "--check", "--commit")
    assert result.exit_code == 2 and "cannot be combined" in result.stderr


def test_gits_full_disk_messages_are_recognised_as_text_and_as_bytes() -> None:
    full = "error: unable to write file .git/objects/ab/cdef: No space left on device\n"
    quota = "fatal: write error: Disk quota exceeded\n"
    other = "fatal: unable to write new index file\n"
    assert says_disk_full(full) and says_disk_full(full.encode())
    assert says_disk_full(quota.encode())
    assert not says_disk_full(other) and not says_disk_full(other.encode())
