"""The GitHub Actions workflow rendered into a repository: ``stackyard validate`` on every change.

Stackyard is installed from its source repository at the tag of the version that
rendered the tree (``v<version>``), never by name from a package index where it may not
be published; the URL is the project's own ``Source`` URL from its package metadata
(``[project.urls]`` in ``pyproject.toml``), so the two cannot drift apart. The findings go
to the job log in human form, where a reviewer reads them; the exit code (1 on error
findings) fails the check.
"""

from __future__ import annotations

from importlib import metadata

from stackyard import __version__
from stackyard.render.tree import Manifest, RenderError
from stackyard.render.yamlout import dump_documents

WORKFLOW_PATH = ".github/workflows/stackyard-validate.yaml"
SOURCE_URL_LABEL = "Source"


def source_url() -> str:
    """The Git URL of Stackyard's source repository, from the installed package's metadata.

    Raises:
        RenderError: the installed package names no ``Source`` URL.
    """
    for entry in metadata.metadata("stackyard").get_all("Project-URL") or []:
        label, _, url = str(entry).partition(",")
        if label.strip() == SOURCE_URL_LABEL and url.strip():
            return str(url.strip())
    raise RenderError(
        "the installed Stackyard names no Source URL in its metadata; "
        "reinstall it from its source repository"
    )


def install_command(version: str = __version__) -> str:
    """The ``pip install`` line for Stackyard ``version`` from its source repository."""
    url = source_url()
    git_url = url if url.endswith(".git") else f"{url}.git"
    return f'pip install "stackyard @ git+{git_url}@v{version}"'


def workflow(version: str = __version__) -> Manifest:
    """The workflow as a mapping (validated against GitHub's workflow schema in tests)."""
    return {
        "name": "stackyard validate",
        "on": {"pull_request": {}, "push": {"branches": ["main"]}},
        "permissions": {"contents": "read"},
        "jobs": {
            "validate": {
                "runs-on": "ubuntu-latest",
                "steps": [
                    {"uses": "actions/checkout@v4"},
                    {"uses": "actions/setup-python@v5", "with": {"python-version": "3.11"}},
                    {"name": f"Install Stackyard {version}", "run": install_command(version)},
                    {
                        # Schemas, CRDs, chart values, wiring and a secret scan. Findings
                        # are printed here, in the job log; exit 1 on error findings.
                        "name": "Validate the rendered tree",
                        "run": "stackyard validate .",
                    },
                ],
            }
        },
    }


def validation_workflow(header: str) -> str:
    """The workflow file's text."""
    return dump_documents([workflow()], header)
