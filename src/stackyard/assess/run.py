"""``assess DIR``: read a repository, run every detector, rate every area, write the roadmap.

One streaming pass over the files builds the fact index; each Kubernetes object is
also handed to the per-object workload checks as it passes. Then every detector the
model names runs once over the index, controls are judged, areas rated, the overall
CNCF level computed and the gaps sorted into the roadmap. A detector that fails on
an unexpected input does not end the assessment: its controls read ``missing`` and a
notice names the detector, so one odd file never hides the rest of the report.

Reading allocates millions of small, acyclic objects (YAML values and positions);
with CPython's default thresholds the cyclic garbage collector would rescan them
hundreds of times. The run collects less often (the facts and findings it keeps are
long-lived too), and restores the thresholds afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from stackyard.assess.detectors import DetectorResult, detectors_by_name
from stackyard.assess.inputs import KubeObject, RepositoryIndex, index_repository
from stackyard.assess.inputs.exclude import Exclusions
from stackyard.assess.inputs.platform import platform_context
from stackyard.assess.maturity import MaturityModel, load_model
from stackyard.assess.model import Assessment, ExcludedPaths, Notice
from stackyard.assess.roadmap import build_roadmap
from stackyard.assess.scoring import cnmm_level, score
from stackyard.assess.workloads import WorkloadScanner
from stackyard.errors import InputError, Location, Problem
from stackyard.progress import Progress, no_progress

DETECTING = "running detectors"


def assess_directory(
    root: Path,
    charts: Path | None = None,
    workers: int | None = None,
    exclusions: Exclusions | None = None,
    progress: Progress = no_progress,
) -> Assessment:
    """Assess the repository at ``root``; with ``charts``, hydrate releases found there.

    ``workers`` parse files ahead on large trees (None: one per spare core; 0: none);
    the result is the same for any number. ``exclusions`` are the exclude rules (None:
    the defaults, which leave out vendored dependencies and test fixtures); what they
    left out is counted in ``stats`` and listed in ``excluded``. ``progress`` hears
    "reading files" (per file; the total is known when the walk ends), "hydrating
    releases" with ``charts``, and "running detectors" (per detector).

    Raises:
        InputError: ``root`` (or ``charts``) is not a directory.
    """
    if not root.is_dir():
        raise InputError([Problem(Location(str(root)), "", "not a directory")])
    if charts is not None and not charts.is_dir():
        raise InputError([Problem(Location(str(charts)), "", "charts directory not found")])
    notices: list[Notice] = []
    scanner = WorkloadScanner()
    exclusions = Exclusions() if exclusions is None else exclusions

    def check(obj: KubeObject) -> None:
        if obj.origin is None:  # rendered objects have no file of their own to cite
            scanner.add(obj.data, obj.doc, obj.base)

    with _bulk_allocation():
        index = index_repository(root, notices, (check,), charts, workers, exclusions, progress)
        model = load_model()
        results = run_detectors(model, index, notices, progress)
        areas = score(model, results)
        context = platform_context(index)
        excluded = exclusions.excluded()
        return Assessment(
            root=str(root),
            areas=areas,
            level=cnmm_level(model, {a.area: a.rating for a in areas}),
            roadmap=build_roadmap(model, areas, context),
            workload_findings=tuple(scanner.findings()),
            exceptions=tuple(scanner.exception_uses()),
            notices=tuple(sorted(notices, key=lambda n: n.file)),  # read-ahead reorders them
            stats=_stats(index, scanner.workloads, excluded),
            distributions=context.distributions,
            engines=context.engines,
            providers=context.providers,
            excluded=excluded,
        )


def run_detectors(
    model: MaturityModel,
    index: RepositoryIndex,
    notices: list[Notice],
    progress: Progress = no_progress,
) -> Mapping[str, DetectorResult]:
    """Run every detector the model names, once each (``progress`` hears each one)."""
    registry = detectors_by_name()
    results: dict[str, DetectorResult] = {}
    names = sorted(model.detector_names())
    for done, name in enumerate(names):
        progress(DETECTING, done, len(names))
        detector = registry[name]
        try:
            results[name] = detector.detect(index)
        except Exception as e:  # one detector must not sink the report
            notices.append(
                Notice(
                    index.root, f"detector {name} failed ({type(e).__name__}: {e}); please report"
                )
            )
            results[name] = DetectorResult("missing", (), "detector failed", detector.looks_for)
    progress(DETECTING, len(names), len(names))
    return results


@contextmanager
def _bulk_allocation() -> Iterator[None]:
    """Run the cyclic garbage collector less often while the repository is assessed."""
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], 50_000), max(old[1], 20), max(old[2], 20))
    try:
        yield
    finally:
        gc.set_threshold(*old)


_INDEX_COUNTS = ("files", "skipped", "documents", "objects", "hydrated")


def _stats(
    index: RepositoryIndex, workloads: int, excluded: tuple[ExcludedPaths, ...]
) -> dict[str, int]:
    # Every key in every document, zero included: a count that vanishes when it is zero
    # (no file skipped, nothing hydrated without --charts) breaks readers of the JSON.
    stats = {key: 0 for key in _INDEX_COUNTS} | dict(index.stats)
    stats.update(
        {
            "releases": len(index.releases),
            "workloads": workloads,
            "terraformBlocks": len(index.terraform),
            "ciFiles": len(index.ci_files()),
            "excludedFolders": sum(len(x.folders) for x in excluded),
            "excludedFiles": sum(len(x.files) for x in excluded),
        }
    )
    return stats
