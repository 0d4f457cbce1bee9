"""CLI fixtures: run the Typer app in-process and capture its output."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result
from typer.testing import CliRunner

from stackyard.cli.main import app


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Invoke ``stackyard`` with arguments; stdout and stderr are kept apart."""
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke
