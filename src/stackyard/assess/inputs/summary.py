"""What a release's values say about resources, images, autoscaling and budgets.

Some detectors ask the same question of every release, whatever its chart: does it
set requests and limits, which images does it name and are they pinned, does it
enable an autoscaler or a disruption budget. Those answers are taken from the values
once, as each release is read, and kept as a ``ValuesSummary``; the values themselves
are then kept only for the charts some detector reads by name
(``assess/data/charts.yaml``), so memory does not grow with the values of every
application in a large repository.

Resources are recognised in the shapes charts read them in, wherever the block sits
(``resources``, ``controller.resources``, ``server.resources``...):

- Kubernetes' own: ``resources.requests`` / ``resources.limits``;
- ``resources.cpu`` / ``resources.memory`` with plain quantities, which a chart can only
  be turning into requests and limits (Kubernetes has no such field);
- ``resources.cpu.request`` / ``resources.cpu.limit`` (Linkerd's shape).

An image is one reference however the values spell it: an ``image:`` mapping with a
``tag`` or ``digest`` (Bitnami's ``digest: sha256:…``, a ``tag: 1.2.3@sha256:…``), or
an ``image:`` string (``repo/name:1.2.3@sha256:…``). Every supply-chain control counts
the same list, so none can count a reference another missed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from stackyard.assess.inputs.located import Located, PathKey
from stackyard.assess.inputs.templating import INLINE
from stackyard.assess.model import Evidence, noted

AUTOSCALING_BLOCKS = frozenset({"autoscaling", "hpa"})
BUDGET_BLOCKS = frozenset({"podDisruptionBudget", "pdb", "disruptionBudget"})
BUDGET_KEYS = ("minAvailable", "maxUnavailable")
QUANTITY_KEYS = ("cpu", "memory")
DIGEST_MARK = "sha256:"


@dataclass(frozen=True)
class ImageRef:
    """An image named in values: where, and whether it is pinned by digest or floats.

    A templated reference (a ``{{ }}`` placeholder filled in only when rendered) is
    neither: ``templated`` says so, and every image control counts it as unknown.
    """

    evidence: Evidence
    digest: bool
    floating: bool
    templated: bool = False


@dataclass(frozen=True)
class ValuesSummary:
    """Answers taken from values: evidence of what is set, and what floats."""

    requests: Evidence | None = None
    limits: Evidence | None = None
    images: tuple[ImageRef, ...] = ()
    autoscaling: tuple[Evidence, ...] = ()
    budgets: tuple[Evidence, ...] = ()

    def merge(self, other: ValuesSummary) -> ValuesSummary:
        """Both summaries together (the first evidence found wins for requests/limits)."""
        return ValuesSummary(
            self.requests or other.requests,
            self.limits or other.limits,
            self.images + other.images,
            self.autoscaling + other.autoscaling,
            self.budgets + other.budgets,
        )

    def with_defaults(self, requests: Evidence | None, limits: Evidence | None) -> ValuesSummary:
        """This summary, with a chart's default resources where the values set none."""
        return replace(self, requests=self.requests or requests, limits=self.limits or limits)


def summarize(layers: Iterable[Located]) -> ValuesSummary:
    """One walk over every layer."""
    requests: Evidence | None = None
    limits: Evidence | None = None
    images: list[ImageRef] = []
    autoscaling: list[Evidence] = []
    budgets: list[Evidence] = []
    for layer in layers:
        for path, value in layer.walk():
            if not path:
                continue
            key = path[-1]
            parent = path[-2] if len(path) >= 2 else None
            if key == "resources" and isinstance(value, Mapping):
                found = _resources(layer, path, value)
                requests = requests or found[0]
                limits = limits or found[1]
            elif key == "image":
                image = _image(layer, path, value)
                if image is not None:
                    images.append(image)
            elif key == "tag" and parent == "image":
                continue  # counted with its image mapping
            elif isinstance(value, Mapping) and key in AUTOSCALING_BLOCKS:
                if truthy(value.get("enabled")):
                    autoscaling.append(layer.evidence(*path))
            elif isinstance(value, Mapping) and key in BUDGET_BLOCKS and _budget(value):
                budgets.append(layer.evidence(*path))
    return ValuesSummary(requests, limits, tuple(images), tuple(autoscaling), tuple(budgets))


def _resources(
    layer: Located, path: PathKey, block: Mapping[str, object]
) -> tuple[Evidence | None, Evidence | None]:
    """Requests and limits a ``resources`` block sets, in any of the shapes charts read."""
    requests = limits = None
    if isinstance(block.get("requests"), Mapping) and block["requests"]:
        requests = layer.evidence(*path)
    if isinstance(block.get("limits"), Mapping) and block["limits"]:
        limits = layer.evidence(*path)
    quantities = [k for k in QUANTITY_KEYS if _quantity(block.get(k))]
    if quantities:
        # A flat cpu/memory block is the chart's own shape: Kubernetes has no such
        # field, so the chart's templates turn it into the container's requests and limits.
        where = layer.evidence(*path)
        shape = Evidence(
            where.file,
            where.line,
            where.end_line,
            noted(
                where.quote, f"{'/'.join(quantities)}: the chart's own shape, requests and limits"
            ),
        )
        requests, limits = requests or shape, limits or shape
    for name, per in block.items():
        # Per-component blocks under one ``resources`` key, as Rook's CephCluster spec
        # writes them (``resources.mgr.requests``, ``resources.mon.limits``):
        # https://rook.io/docs/rook/latest/CRDs/Cluster/ceph-cluster-crd/#cluster-wide-resources-configuration-settings
        if name in ("requests", "limits") or not isinstance(per, Mapping):
            continue
        if isinstance(per.get("requests"), Mapping) and per["requests"]:
            requests = requests or layer.evidence(*path, name)
        if isinstance(per.get("limits"), Mapping) and per["limits"]:
            limits = limits or layer.evidence(*path, name)
    for name in QUANTITY_KEYS:
        per = block.get(name)
        if isinstance(per, Mapping):
            if _quantity(per.get("request")):
                requests = requests or layer.evidence(*path, name, "request")
            if _quantity(per.get("limit")):
                limits = limits or layer.evidence(*path, name, "limit")
    return requests, limits


def templated_image(reference: str) -> bool:
    """Whether an image reference holds a placeholder (``{{ }}``, or a template's ``TEMPLATE``).

    Its tag is known only when the template is rendered, so it is neither pinned nor
    floating; every image control reads it through this one test.
    """
    return "{{" in reference or INLINE in reference


def _image(layer: Located, path: PathKey, value: object) -> ImageRef | None:
    """The image an ``image:`` key names, or None when it names none."""
    if isinstance(value, str):
        reference = value.strip()
        if templated_image(reference):
            return ImageRef(layer.evidence(*path), False, False, templated=True)
        if not reference or " " in reference:
            return None
        if "/" not in reference and ":" not in reference and "@" not in reference:
            return None  # a bare word (``image: nginx``) may be completed by other keys
        last = reference.rsplit("/", 1)[-1]
        return ImageRef(
            layer.evidence(*path),
            DIGEST_MARK in reference,
            DIGEST_MARK not in reference and last.endswith(":latest"),
        )
    if not isinstance(value, Mapping):
        return None
    tag = str(value.get("tag") or "").strip()
    digest = str(value.get("digest") or "").strip()
    if not tag and not digest:
        return None
    pinned = DIGEST_MARK in digest or DIGEST_MARK in tag
    at = ("digest",) if DIGEST_MARK in digest else ("tag",) if tag else ("digest",)
    if not pinned and templated_image(tag + digest):
        return ImageRef(layer.evidence(*path, *at), False, False, templated=True)
    return ImageRef(layer.evidence(*path, *at), pinned, not pinned and tag.lower() == "latest")


def _quantity(value: object) -> bool:
    """A resource quantity: ``100m``, ``128Mi``, ``0.5``, ``2``."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return value > 0
    return isinstance(value, str) and bool(value.strip()) and value.strip()[0].isdigit()


def _budget(block: Mapping[str, object]) -> bool:
    """``pdb: {enabled: true}`` or ``podDisruptionBudget: {minAvailable: 1}``."""
    if "enabled" in block:
        return truthy(block["enabled"])
    return any(block.get(k) is not None for k in BUDGET_KEYS)


def truthy(value: object) -> bool:
    """YAML-ish truth of a switch: true, "true", "on", "yes", non-zero numbers."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "on", "yes", "1", "enabled")
    return bool(value)
