"""The maturity model: areas, their controls, and the rules that turn verdicts into ratings.

The model is data (``assess/data/maturity.yaml``) checked against the schema below
when it is loaded; a malformed model is a packaging bug and fails loudly.

Area rating (1–5, the scale of the maturity scorecard):

- each control's verdict scores ``achieved`` 1, ``partial`` 0.5, ``missing`` 0;
- a level's score is the weighted mean of the scores of the controls at that level;
- a level is *met* when its score is at least ``PASS_MARK`` (0.75: all achieved, or
  one partial among two controls of equal weight);
- a *coverage* control (``coverage: true``: "every application sets requests") is
  decided by the fraction f of the units its detector counted, not by the detector's
  status: ``achieved`` (1) when f is at least ``HIGH_WATER`` (0.9), ``missing`` (0) when
  nothing is covered, and ``partial`` scoring f itself in between — so one application
  without requests among 18 (f = 0.94) costs nothing, half of them (0.5) fail the
  level, and 1 of 50 (0.02) scores next to nothing; the score never falls as f rises;
- the rating is the highest level L such that every level from 2 to L is met, and 1
  when level 2 is not (level 1 is the floor every platform starts from, so controls
  start at level 2, and every area has controls at each level 2–5).

Overall level on the CNCF Cloud Native Maturity Model (Build 1, Operate 2, Scale 3,
Improve 4, Adapt 5): every area declares the CNMM level from which it is expected
(``cnmm``). Level L is *reached* when, over the areas expected at or below L, the
mean rating is at least L − 0.5 and no such area rates below L − 2. The overall
level is the highest L such that every level from Operate to L is reached; Build
otherwise. The assignment of areas to levels follows the gap analysis' CNCF breakdown
(Scale: autoscaling and quotas; Improve: policy as code and supply chain; Adapt:
FinOps, developer portal, multi-cluster). So FinOps or a developer portal never hold
back a platform that is still proving it can Operate and Scale, and one area left far
behind (policy as code at 1) blocks Improve however strong the rest is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from stackyard.assess.detectors import detectors_by_name
from stackyard.assess.inputs.platform import PlatformContext, Term, dimension_of
from stackyard.assess.model import CnmmLevel, Priority, Status
from stackyard.errors import StackyardError, YamlError
from stackyard.yamlio import load_yaml_text

PASS_MARK = 0.75
HIGH_WATER = 0.9  # covered fraction from which a coverage control is achieved
SCORES: dict[Status, float] = {"achieved": 1.0, "partial": 0.5, "missing": 0.0}
LEVELS = (2, 3, 4, 5)


class MaturityModelError(StackyardError):
    """The packaged maturity model breaks its schema (a packaging bug, not user input)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DetectorRef(_Strict):
    """A detector that decides a control, and how its statuses map to the control's."""

    name: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    achieved: Status = "achieved"
    partial: Status = "partial"
    missing: Status = "missing"

    def map(self, status: Status) -> Status:
        """The control status a detector status stands for."""
        return {"achieved": self.achieved, "partial": self.partial, "missing": self.missing}[status]


class Control(_Strict):
    """A practice that raises an area to ``level`` when it is in place."""

    id: str = Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
    title: str = Field(min_length=1)
    level: int = Field(ge=2, le=5)
    weight: float = Field(default=1.0, gt=0)
    detectors: tuple[DetectorRef, ...] = Field(min_length=1)
    combine: Literal["all", "any"] = "all"
    # Decided by the fraction of its detector's units counted (see the module docstring).
    coverage: bool = False
    priority: Priority
    seed: str | None = Field(default=None, pattern=r"^(E[1-3]|P[1-5]|S[1-7])$")
    why: str = Field(min_length=1)
    next_step: str = Field(min_length=1)  # neutral: no distribution, engine or provider assumed
    # The same step in the terms of one distribution, GitOps engine or provider, where they
    # differ (terms of one dimension per control: kubeadm/rke2/k3s/talos, argocd/flux, or
    # aws/gcp/azure/onprem).
    next_step_for: dict[Term, str] = Field(default_factory=dict)

    def next_step_on(self, context: PlatformContext) -> str:
        """The next step for a repository of ``context`` (neutral when it does not say).

        With several terms detected (a fleet of RKE2 and kubeadm clusters), each gets its
        own advice, named; one without specific advice gets the neutral step.
        """
        return context.choose({str(k): v for k, v in self.next_step_for.items()}, self.next_step)

    @field_validator("next_step_for")
    @classmethod
    def _one_dimension(cls, value: dict[Term, str]) -> dict[Term, str]:
        if value:
            dimension_of({str(k): v for k, v in value.items()})
        return value

    @model_validator(mode="after")
    def _one_coverage_detector(self) -> Control:
        if self.coverage and (
            len(self.detectors) != 1
            or self.detectors[0] != DetectorRef(name=self.detectors[0].name)
        ):
            raise ValueError(
                f"coverage control {self.id} must have one detector whose statuses are not mapped"
            )
        return self

    @field_validator("detectors", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value


class Area(_Strict):
    """An area of the scorecard and its controls."""

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    title: str = Field(min_length=1)
    cnmm: CnmmLevel
    controls: tuple[Control, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _every_level(self) -> Area:
        present = {c.level for c in self.controls}
        absent = [str(level) for level in LEVELS if level not in present]
        if absent:
            raise ValueError(f"area {self.id} has no control at level {', '.join(absent)}")
        return self


class MaturityModel(_Strict):
    """The whole model."""

    version: Literal[1]
    areas: tuple[Area, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> MaturityModel:
        for kind, ids in (
            ("area", [a.id for a in self.areas]),
            ("control", [c.id for a in self.areas for c in a.controls]),
        ):
            twice = sorted(i for i, n in Counter(ids).items() if n > 1)
            if twice:
                raise ValueError(f"{kind} ids used twice: {', '.join(twice)}")
        return self

    def detector_names(self) -> set[str]:
        """Every detector the model refers to."""
        return {d.name for a in self.areas for c in a.controls for d in c.detectors}


def parse_model(text: str, source: str, known_detectors: Collection[str]) -> MaturityModel:
    """Validate a model's YAML text; every detector it names must be registered.

    Raises:
        MaturityModelError: the text is not YAML, breaks the schema, or names an
            unknown detector.
    """
    try:
        data = load_yaml_text(text, source).data
        model = MaturityModel.model_validate(data)
    except (YamlError, ValidationError) as e:
        raise MaturityModelError(f"{source}: {e}") from e
    unknown = sorted(model.detector_names() - set(known_detectors))
    if unknown:
        raise MaturityModelError(f"{source}: unknown detectors: {', '.join(unknown)}")
    return model


@cache
def load_model() -> MaturityModel:
    """The packaged model, checked against the detector registry."""
    resource = resources.files("stackyard.assess") / "data" / "maturity.yaml"
    text = resource.read_text(encoding="utf-8")
    return parse_model(text, "stackyard/assess/data/maturity.yaml", detectors_by_name())
