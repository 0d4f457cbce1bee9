"""One convention for every command: ``-o`` is a format, paths are arguments, ``--version``,
``--quiet``, flags without a value metavar, shell completion, and the old spellings of
``render -o DIR`` and ``init -o FILE`` kept for one release with a warning."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from click.testing import Result
from typer.core import TyperGroup

from stackyard import __version__
from stackyard.cli.main import app
from tests.conftest import EXAMPLES, ROOT

Cli = Callable[..., Result]
SPEC = str(EXAMPLES / "community-poc.yaml")
RENDER_WARNING = (
    "warning: '-o DIR' is deprecated and will be removed in the next release; "
    "use 'stackyard render SPEC DIR'"
)
INIT_WARNING = (
    "warning: '-o FILE' is deprecated and will be removed in the next release; "
    "use 'stackyard init FILE'"
)


def _commands() -> list[str]:
    group = typer.main.get_command(app)
    return sorted(group.commands)


def _subcommands() -> list[tuple[str, str]]:
    group = typer.main.get_command(app)
    return sorted(
        (name, sub)
        for name, command in group.commands.items()
        for sub in getattr(command, "commands", {})
    )


def test_version_on_the_root_and_as_a_command(cli: Cli) -> None:
    for args in (["--version"], ["version"]):
        result = cli(*args)
        assert result.exit_code == 0
        assert result.stdout == f"{__version__}\n"


@pytest.mark.parametrize("command", [None, *_commands()])
def test_help_shows_no_bool_metavar(cli: Cli, command: str | None) -> None:
    result = cli(*([command] if command else []), "--help")
    assert result.exit_code == 0
    assert "--help" in result.stdout
    assert "<bool>" not in result.stdout
    if command == "render":  # options taking a value keep their label
        assert "<text|json>" in result.stdout


@pytest.mark.parametrize(("group", "command"), _subcommands())
def test_every_subcommand_shows_its_help(cli: Cli, group: str, command: str) -> None:
    # Help text is rich markup: an option's "HOST[:PORT][/PREFIX]" must be escaped, or
    # "[/PREFIX]" reads as a closing tag and --help fails.
    result = cli(group, command, "--help")
    assert result.exit_code == 0, result.stderr
    assert "--help" in result.stdout and "<bool>" not in result.stdout


def test_render_takes_dir_as_an_argument_without_a_warning(cli: Cli, tmp_path: Path) -> None:
    result = cli("render", SPEC, str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out" / "README.md").is_file()
    assert "deprecated" not in result.stderr
    assert "wrote" in result.stderr


def test_render_o_dir_still_renders_with_a_deprecation_warning(cli: Cli, tmp_path: Path) -> None:
    result = cli("render", SPEC, "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out" / "README.md").is_file()
    assert result.stderr.splitlines()[0] == RENDER_WARNING
    again = cli("-q", "render", SPEC, "--output", str(tmp_path / "out"), "--check")
    assert again.exit_code == 0
    assert again.stderr == RENDER_WARNING + "\n"  # --quiet keeps the warning


def test_render_json_reports_the_files_written_and_the_check(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    written = cli("render", SPEC, str(out), "-o", "json")
    assert written.exit_code == 0, written.stderr
    report = json.loads(written.stdout)
    assert report["schema"] == "stackyard.dev/render/v1"
    assert "README.md" in report["written"]
    assert report["unchanged"] == 0
    (out / "README.md").write_text("changed by hand\n")
    checked = cli("render", SPEC, str(out), "--check", "--output", "json")
    assert checked.exit_code == 1
    result = json.loads(checked.stdout)
    assert result["schema"] == "stackyard.dev/render-check/v1"
    assert result["matches"] is False
    assert {"path": "README.md", "reason": "changed"} in result["differences"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "json"], "missing DIR: stackyard render SPEC DIR (for a path named 'json'"),
        ([], "missing DIR"),
        (["out", "-o", "elsewhere"], "'elsewhere' is not a format (text, json)"),
    ],
)
def test_render_without_one_dir_is_bad_usage(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("render", SPEC, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not list(tmp_path.iterdir()), "nothing is written"


def test_init_takes_file_as_an_argument_without_a_warning(cli: Cli, tmp_path: Path) -> None:
    spec = tmp_path / "platform.yaml"
    result = cli("init", str(spec), "-o", "yaml")
    assert result.exit_code == 0
    assert spec.read_text().startswith("# Stackyard platform spec")
    assert result.stderr == f"wrote {spec}\n"
    to_stdout = cli("init", "--output", "yaml")
    assert to_stdout.stdout == spec.read_text()
    assert to_stdout.stderr == ""
    as_json = cli("init", str(tmp_path / "other.yaml"), "-o", "json")
    assert as_json.exit_code == 0
    starter = json.loads(as_json.stdout)
    assert starter["schema"] == "stackyard.dev/starter/v1"
    assert starter["text"] == (tmp_path / "other.yaml").read_text() == spec.read_text()


def test_init_o_file_still_writes_with_a_deprecation_warning(cli: Cli, tmp_path: Path) -> None:
    spec = tmp_path / "platform.yaml"
    result = cli("init", "-o", str(spec))
    assert result.exit_code == 0
    assert spec.is_file()
    assert result.stderr.splitlines() == [INIT_WARNING, f"wrote {spec}"]


def test_quiet_silences_summaries_but_not_errors(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    quiet = cli("--quiet", "render", SPEC, str(out))
    assert quiet.exit_code == 0
    assert quiet.stderr == ""
    assert cli("-q", "init", str(tmp_path / "p.yaml")).stderr == ""
    missing = cli("-q", "plan", str(tmp_path / "missing.yaml"))
    assert missing.exit_code == 2
    assert "missing.yaml" in missing.stderr


def test_quiet_keeps_the_warning_that_hand_edits_were_overwritten(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("render", SPEC, str(out)).exit_code == 0
    (out / "README.md").write_text("edited by hand\n")
    result = cli("-q", "render", SPEC, str(out))
    assert result.exit_code == 0
    assert result.stderr.startswith("warning: overwrote 1 rendered file edited by hand")


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stackyard", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
        timeout=60,
    )


def test_show_completion_prints_a_bash_script() -> None:
    # Without shell detection --show-completion takes the shell as its value.
    done = _run({"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}, "--show-completion", "bash")
    assert done.returncode == 0, done.stderr
    assert "complete -o default -F _stackyard_completion stackyard" in done.stdout
    assert "_STACKYARD_COMPLETE=complete_bash" in done.stdout


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("stackyard re", {"render"}),
        ("stackyard render platform.yaml -o ", {"text", "json"}),
        ("stackyard plan platform.yaml --output ", {"text", "json"}),
    ],
)
def test_completion_completes_commands_and_formats(words: str, expected: set[str]) -> None:
    env = {
        "_STACKYARD_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split(" ")) - 1),
    }
    done = _run(env)
    assert done.returncode == 0, done.stderr
    assert set(done.stdout.split()) == expected


def test_the_cli_reference_names_every_command_and_option() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    commands: list[tuple[str, Any]] = [("", group)]
    for name, command in group.commands.items():
        commands.append((name, command))
        if isinstance(command, TyperGroup):  # a group's commands: "identity check"
            for sub, c in command.commands.items():
                commands.append((f"{name} {sub}", c))
                if isinstance(c, TyperGroup):  # and a group's groups: "dr drill etcd"
                    commands += [(f"{name} {sub} {s}", d) for s, d in c.commands.items()]
    missing = [
        f"{name} {option}"
        for name, command in commands
        for param in command.params
        for option in param.opts + param.secondary_opts
        if option.startswith("-") and f"`{option}" not in text and f"/{option}" not in text
    ]
    missing += [name for name, _ in commands[1:] if f"| `{name}` |" not in text]
    assert not missing, f"docs/cli.md does not name: {missing}"
    for code in (0, 1, 2, 3, 130, 141):
        assert f"| `{code}` |" in text
