"""Does a chart's ``kubeVersion`` constraint admit the platform's Kubernetes version?

Helm evaluates ``kubeVersion`` with Masterminds semver. Its grammar is npm's range
grammar plus two liberties charts use in practice: a space after the operator
(``>= 1.21.0-0``), commas between clauses, and short versions (``1.21-0``). We
normalise those and evaluate with ``semantic_version.NpmSpec``.
"""

from __future__ import annotations

import functools
import re

import semantic_version

_OPERATOR_SPACE = re.compile(r"(>=|<=|>|<|=|\^|~)\s+")
_SHORT_VERSION = re.compile(r"(?<![\d.])(\d+)\.(\d+)(?=-|\s|$)")


def normalise_constraint(constraint: str) -> str:
    """Rewrite a Helm ``kubeVersion`` constraint into npm range syntax."""
    text = constraint.replace(",", " ")
    text = _OPERATOR_SPACE.sub(r"\1", text)
    text = _SHORT_VERSION.sub(r"\1.\2.0", text)
    return " ".join(text.split())


@functools.lru_cache(maxsize=512)
def kube_version_allowed(constraint: str, version: str) -> bool:
    """Whether ``version`` (``major.minor.patch``) satisfies the chart constraint.

    Cached: a fleet asks the same few questions once per component per cluster.

    Raises:
        ValueError: the constraint cannot be parsed.
    """
    spec = semantic_version.NpmSpec(normalise_constraint(constraint))
    return bool(spec.match(semantic_version.Version(version)))
