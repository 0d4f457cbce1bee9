"""The policy library: the Kyverno policies Stackyard renders and the shipped policy templates.

One data file, ``catalog/policy/library.yaml``: each rule by name with a one-line summary
of what it enforces (plan output and the docs say it), and the templates clusters carry
(``default``, ``baseline``, ``restricted``, ``regulated``), in the spec's template shape
(:class:`~stackyard.spec.policy.PolicyTemplate`) so ``policy.templates`` writes the
same thing. The render builds each rule (``stackyard.render.manifests.policy``); a test
keeps its builders and these names equal.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stackyard.errors import CatalogError, YamlError
from stackyard.spec.policy import DEFAULT_TEMPLATE, PolicyTemplate
from stackyard.yamlio import load_yaml_text


class PolicyRuleInfo(BaseModel):
    """A Kyverno policy Stackyard can render."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    summary: str = Field(description="What it enforces, in a few words.")


class PolicyLibrary(BaseModel):
    """Every renderable policy and every shipped template, by name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: dict[str, PolicyRuleInfo]
    templates: dict[str, PolicyTemplate]

    def with_templates(self, extra: Mapping[str, PolicyTemplate]) -> dict[str, PolicyTemplate]:
        """The shipped templates, with the spec's added or replacing them by name."""
        return {**self.templates, **extra}


def build_policy_library(source: str, text: str) -> PolicyLibrary:
    """Read and cross-check the library from ``source``'s YAML ``text``.

    Raises:
        CatalogError: not the library's shape, a template names an unknown rule, or there
            is no ``default`` template.
    """
    try:
        library = PolicyLibrary.model_validate(load_yaml_text(text, source).data)
    except (ValidationError, YamlError) as e:
        raise CatalogError(f"{source}: {e}") from e
    if DEFAULT_TEMPLATE not in library.templates:
        raise CatalogError(f"{source}: no {DEFAULT_TEMPLATE!r} template")
    for name, template in library.templates.items():
        for rule in template.policies:
            if rule.name not in library.rules:
                raise CatalogError(f"{source}: template {name!r} names unknown rule {rule.name!r}")
    return library
