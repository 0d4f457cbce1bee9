"""Shared fixtures: paths to shipped examples, one rendered example and a spec-writing helper."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from stackyard.plan import Plan, make_plan
from stackyard.render import write_tree
from stackyard.render.build import render_metadata, render_plan
from stackyard.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def with_example_apis(spec: Path) -> Path:
    """``spec``, a copy of an example written elsewhere, with the examples' OpenAPI documents
    (``examples/apis``) copied beside it, where its APIs name them."""
    shutil.copytree(EXAMPLES / "apis", spec.parent / "apis", dirs_exist_ok=True)
    return spec


def render_example(spec: Path, out: Path) -> Plan:
    """Plan ``spec``, render it into ``out`` as ``stackyard render`` does; the plan."""
    plan = make_plan(load_spec(spec))
    write_tree(render_plan(plan), out, render_metadata(plan))
    return plan


@pytest.fixture(scope="session")
def rendered_poc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The community-poc example rendered once per session (never written to by a test)."""
    out = tmp_path_factory.mktemp("render") / "poc"
    render_example(EXAMPLES / "community-poc.yaml", out)
    return out


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write text to a file in a temporary folder and return its path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    """A FIFO with a YAML name: whoever opens it for reading without care blocks forever."""
    path = tmp_path / "fifo.yaml"
    os.mkfifo(path)
    return path


@pytest.fixture
def unix_socket(tmp_path: Path) -> Iterator[Path]:
    """A bound Unix socket with a YAML name, kept bound for the test."""
    path = tmp_path / "socket.yaml"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        yield path
