"""The rendered workflow's install line builds a complete Stackyard from a Git tag.

The rendered CI workflow installs ``stackyard @ git+<Source>.git@v<version>``. This test
makes a Git repository holding the project's sources, tags it the way a release is
tagged, and lets pip build a wheel from the same requirement with only the URL pointed
at that repository. The wheel must carry every file of the package, data included: an
installed (not editable) Stackyard that lacks a data file fails at run time, which no
test on the source tree would notice.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from packaging.requirements import Requirement

from stackyard import __version__
from tests.render.conftest import Rendered

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ".github/workflows/stackyard-validate.yaml"


def git(repository: Path, *arguments: str) -> None:
    subprocess.run(
        ["git", "-C", str(repository), "-c", "user.name=CI", "-c", "user.email=ci@example.org",
         *arguments],
        check=True, capture_output=True,
    )  # fmt: skip


def rendered_requirement(tree: Rendered) -> Requirement:
    document = tree.documents(WORKFLOW)[0]
    steps = document["jobs"]["validate"]["steps"]
    (install,) = [step["run"] for step in steps if "pip install" in step.get("run", "")]
    return Requirement(shlex.split(install)[-1])


def package_files(root: Path) -> set[str]:
    """Every file the installed package needs: sources and data, no caches."""
    package = root / "src" / "stackyard"
    return {
        path.relative_to(root / "src").as_posix()
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_the_install_line_builds_every_package_file_from_the_release_tag(
    rendered: dict[str, Rendered], tmp_path: Path
) -> None:
    requirement = rendered_requirement(rendered["community-poc"])
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    source = project["project"]["urls"]["Source"]
    # The build runs without isolation, so the backend it uses must be the one releases use.
    (backend,) = project["build-system"]["requires"]
    assert backend in project["project"]["optional-dependencies"]["dev"]
    assert requirement.url == f"git+{source}.git@v{__version__}"

    repository = tmp_path / "stackyard"
    shutil.copytree(ROOT / "src", repository / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, repository / name)
    git(repository, "init", "-q")
    git(repository, "add", "-A")
    git(repository, "commit", "-q", "-m", "release")
    git(repository, "tag", f"v{__version__}")

    local = requirement.url.replace(f"{source}.git", repository.as_uri())
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(wheels), f"stackyard @ {local}"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr

    (wheel,) = wheels.glob(f"stackyard-{__version__}-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = {name for name in archive.namelist() if name.startswith("stackyard/")}
    missing = package_files(repository) - shipped
    assert not missing, f"the installed package would lack: {sorted(missing)}"
