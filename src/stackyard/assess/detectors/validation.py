"""Where changes are validated before they merge: pipeline lines, the scripts they call, Atlantis.

A pipeline rarely runs ``kubeconform`` itself: a step calls ``./scripts/validate.sh``
or ``make validate``, and the script or Makefile target runs the checks. Such a
check counts when a CI line calls the script (or target) and the script runs a
check; both lines are cited, so a reviewer sees the call and the check.

Atlantis (``atlantis.yaml`` in the repository, ``repos.yaml`` on the server) runs
``terraform plan`` on every pull request that changes a project: autoplan is on
unless a project turns it off (https://www.runatlantis.io/docs/repo-level-atlantis-yaml.html).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from stackyard.assess.inputs import RepositoryIndex, TextFile
from stackyard.assess.model import Evidence

CHECKS = re.compile(
    r"\b(terraform\s+(validate|plan|fmt)|tofu\s+(validate|plan)|tflint|helm\s+(lint|template)"
    r"|kubeconform|kubeval|kustomize\s+build|yamllint|pytest|go\s+test|make\s+(test|lint|check)"
    r"|hashicorp/setup-terraform|pre-commit\s+run|stackyard\s+validate|conftest\s+(test|verify)"
    r"|checkov|tfsec|trivy\s+config|kube-linter|ansible-lint|polaris\s+audit|pluto\s+detect"
    # The pre-commit action runs ``pre-commit run --all-files``
    # (https://github.com/pre-commit/action); Molecule converges and verifies Ansible
    # roles on test instances (https://ansible.readthedocs.io/projects/molecule/).
    r"|pre-commit/action|molecule\s+(test|verify))\b"
)
_SCRIPT_CALL = re.compile(r"(?:^|[\s;&|'\"(=])(?:bash\s+|sh\s+|\./)?([\w./-]+\.(?:sh|bash))\b")
_MAKE_CALL = re.compile(r"\bmake\s+(?:-\S+\s+)*([A-Za-z][\w.-]*)")
_TARGET = re.compile(r"^([A-Za-z][\w.-]*(?:\s+[A-Za-z][\w.-]*)*)\s*:(?!=)")
_AUTOPLAN_OFF = re.compile(r"^\s*enabled:\s*false\b")


def pipeline_checks(index: RepositoryIndex) -> list[Evidence]:
    """Every CI line that runs a check, and every script line a CI line leads to."""
    found = index.text_hits(CHECKS)
    scripts = [t for t in index.texts if t.kind == "script"]
    for ci in index.ci_files():
        for call, script_hits in _called_checks(ci, scripts):
            found += [call, *script_hits]
    return list(dict.fromkeys(found))


def atlantis_plans(index: RepositoryIndex) -> list[Evidence]:
    """Atlantis configuration that plans pull requests (autoplan not turned off)."""
    found = []
    for text in index.texts:
        if text.system != "Atlantis":
            continue
        lines = [i for i, line in enumerate(text.lines) if "autoplan" in line]
        off = all(
            any(_AUTOPLAN_OFF.match(later) for later in text.lines[i + 1 : i + 4]) for i in lines
        )
        if lines and off:
            continue
        if lines:
            found += [_line(text, i) for i in lines]
        else:
            found.append(Evidence(text.file, 1, 1, "Atlantis: autoplan on by default"))
    return found


def _called_checks(
    ci: TextFile, scripts: list[TextFile]
) -> Iterator[tuple[Evidence, list[Evidence]]]:
    for i, line in enumerate(ci.lines):
        if line.lstrip().startswith("#"):
            continue
        for called in _SCRIPT_CALL.findall(line):
            target = called.removeprefix("./").lstrip("/")
            for script in scripts:
                if script.file == target or script.file.endswith("/" + target):
                    hits = script.search(CHECKS)
                    if hits:
                        yield _line(ci, i), hits
        for target in _MAKE_CALL.findall(line):
            for makefile in scripts:
                if makefile.file.rpartition("/")[2].lower() in ("makefile", "gnumakefile"):
                    hits = _recipe_hits(makefile, target)
                    if hits:
                        yield _line(ci, i), hits


def _recipe_hits(makefile: TextFile, target: str) -> list[Evidence]:
    """Lines of ``target``'s recipe (tab-indented lines after its rule) that run a check."""
    hits: list[Evidence] = []
    inside = False
    for i, line in enumerate(makefile.lines):
        rule = _TARGET.match(line)
        if rule is not None:
            inside = target in rule.group(1).split()
            continue
        if inside and line.startswith("\t") and CHECKS.search(line):
            hits.append(_line(makefile, i))
        elif inside and line.strip() and not line.startswith(("\t", "#")):
            inside = False
    return hits


def _line(text: TextFile, i: int) -> Evidence:
    number = text.first_line + i
    return Evidence(text.file, number, number, text.lines[i].strip()[:120])
