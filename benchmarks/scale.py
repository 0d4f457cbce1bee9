"""Benchmark: fleet scale, every figure and ratio measured side by side in one run.

Usage: python benchmarks/scale.py [--sizes 200 1000] [--quick] [--repeat 1] [-o markdown|json]

Each measurement runs a use case of ``stackyard.app`` (render, validate, plan, simulate)
in a fresh child process, as one command would: CPU seconds (the child's and its worker
processes'), wall time and peak resident memory (``getrusage``) are the child's own, so
one measurement's memory never hides in another's. The clock starts after Stackyard is
imported and its catalog loaded (constants every command pays, about 1.5 s); validate's
schemas load on first use, inside the measurement, as a command pays them. The parse
floor reads every file of the same rendered tree and parses each YAML file with libyaml
(``yaml.load_all`` with ``CSafeLoader``): what any Python tool pays to read the tree.
Each step a use case reports to its progress receiver is timed too (first and last call).

Fleets come from ``fleet.py``: Enterprise on premises, one mgmt cluster, a tenant per ten
app clusters, node pools of mixed sizes. Cluster Mesh is off in the fleets compared for
linearity: with it on, every cluster's Cilium values list every peer, output that grows
with the square of the fleet by design (and Cilium connects at most 255 clusters); one row
renders the small fleet with the mesh on to show what that costs.

Targets (issue 14): render CPU of LARGE over SMALL within 1.2 x LARGE/SMALL (6 for
1,000/200), render of LARGE under 1 GiB peak RSS, validate CPU at most 3 x the parse
floor's. Timings are never asserted in tests; tests/test_benchmark_scale.py runs
``--quick`` to keep the script working.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from fleet import fleet_spec

from stackyard import app
from stackyard.catalog import load_catalog

ROOT = Path(__file__).resolve().parent.parent
MATRIX_WINDOW = "30m"  # every single failure, lasting half an hour
CLUSTERS_PER_TENANT = 10
# Worker processes (validate's secret scan) are shown from this much CPU; below it a child
# process is a short helper such as ``git``, whose peak is the forking parent's size.
WORKERS_SHOWN = 0.2


@dataclass
class Measurement:
    """One child's figures: what it ran, on how many app clusters, and what it cost."""

    name: str
    clusters: int
    cpu: float
    wall: float
    rss: float  # peak resident memory of the child itself, MiB
    workers_cpu: float  # CPU seconds of its worker processes (included in ``cpu``)
    workers_rss: float  # the largest peak of its child processes, MiB
    steps: dict[str, dict[str, float]] = field(default_factory=dict)
    facts: dict[str, int] = field(default_factory=dict)


@dataclass
class Target:
    """A figure the issue sets a bound on, and whether this run met it."""

    what: str
    measured: float
    bound: float
    unit: str

    @property
    def met(self) -> bool:
        return self.measured <= self.bound


# ---- the child: one use case, measured ---------------------------------------------------


class StepClock:
    """A progress receiver that notes when each reported step first and last heard of."""

    def __init__(self) -> None:
        self.start_wall = time.perf_counter()
        self.steps: dict[str, dict[str, float]] = {}

    def __call__(self, step: str, done: int, total: int | None) -> None:
        wall = time.perf_counter() - self.start_wall
        entry = self.steps.setdefault(step, {"calls": 0, "first": wall, "last": wall})
        entry["calls"] += 1
        entry["last"] = wall


def _work(task: dict[str, Any], clock: StepClock) -> dict[str, int]:
    """Run ``task`` and return facts about what it did (counted files, findings, targets)."""
    kind, path = task["kind"], Path(task["path"])
    if kind == "render":
        rendered = app.render(path, Path(task["out"]), progress=clock)
        return {"files": len(rendered.report.written)}
    if kind == "validate":
        validation = app.validate(path, progress=clock)
        report = validation.report
        if validation.errors:  # a benchmark of a tree that fails proves nothing
            raise SystemExit(f"validate found errors: {validation.errors[:3]}")
        return {"files": report.files, "objects": report.objects}
    if kind == "floor":
        return _parse_floor(path)
    if kind == "plan":
        result = app.plan(path)
        return {"findings": len(result.findings), "errors": len(result.errors)}
    if kind == "model":
        model = app.simulate(path, progress=clock)
        assert isinstance(model, app.SimulationModel)
        return {"services": len(model.model.services)}
    if kind == "matrix":
        request = app.SimulateRequest(all_single_failures=True, duration=MATRIX_WINDOW)
        matrix = app.simulate(path, request, progress=clock)
        assert isinstance(matrix, app.FailureMatrixResult)
        return {"failures": len(matrix.matrix.rows)}
    raise SystemExit(f"unknown task {kind}")


def _parse_floor(root: Path) -> dict[str, int]:
    """Read every file under ``root`` and parse each YAML file with libyaml."""
    files = manifests = documents = 0
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        files += 1
        if path.suffix in (".yaml", ".yml"):
            manifests += 1
            documents += sum(1 for _ in yaml.load_all(data, Loader=yaml.CSafeLoader))
    return {"files": files, "manifests": manifests, "documents": documents}


def child(task: dict[str, Any]) -> None:
    """Measure one task in this process and print its figures as one JSON line."""
    load_catalog()  # the clock starts after the imports and the catalog
    clock = StepClock()
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    facts = _work(task, clock)
    wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    own = resource.getrusage(resource.RUSAGE_SELF)
    figures = {
        "cpu": cpu + workers_cpu,
        "wall": wall,
        "workers_cpu": workers_cpu,
        "rss": own.ru_maxrss / 1024,  # KiB on Linux
        "workers_rss": after.ru_maxrss / 1024,
        "steps": clock.steps,
        "facts": facts,
    }
    print(json.dumps(figures))


# ---- the parent: fleets, children, tables ------------------------------------------------


def run_child(name: str, clusters: int, task: dict[str, Any], repeat: int) -> Measurement:
    """Run ``task`` in ``repeat`` fresh children; the figures of the fastest (by CPU)."""
    best: dict[str, Any] | None = None
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps(task)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"{name} ({clusters} clusters) failed:\n{done.stderr[-3000:]}")
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        if best is None or figures["cpu"] < best["cpu"]:
            best = figures
    assert best is not None
    return Measurement(name, clusters, **best)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = platform.processor() or platform.machine()
    memory = 0
    cpuinfo, meminfo = Path("/proc/cpuinfo"), Path("/proc/meminfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    if meminfo.exists():
        total = meminfo.read_text().splitlines()[0].split()
        memory = int(total[1]) // 1024**2  # kB -> GiB
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cpu": model,
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0,
        "memoryGiB": memory,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "commit": commit,
        "loadAverage": list(os.getloadavg()),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
    }


def measure_all(sizes: tuple[int, int], repeat: int, scratch: Path) -> list[Measurement]:
    """Every measurement, in an order that keeps the compared pairs next to each other."""
    small, large = sizes

    def spec(clusters: int, mesh: str) -> Path:
        path = scratch / f"fleet-{clusters}-mesh-{mesh}.yaml"
        if not path.exists():
            text = fleet_spec(
                clusters,
                clusters_per_tenant=CLUSTERS_PER_TENANT,
                mixed_pools=True,
                cluster_mesh="on" if mesh == "on" else "off",
            )
            path.write_text(text, encoding="utf-8")
        return path

    def render(clusters: int, mesh: str) -> dict[str, Any]:
        out = scratch / f"tree-{clusters}-mesh-{mesh}"
        return {"kind": "render", "path": str(spec(clusters, mesh)), "out": str(out)}

    tree = str(scratch / f"tree-{small}-mesh-off")
    plan: list[tuple[str, int, dict[str, Any]]] = [
        ("render", small, render(small, "off")),
        ("render", large, render(large, "off")),
        ("render, Cluster Mesh on", small, render(small, "on")),
        ("validate", small, {"kind": "validate", "path": tree}),
        ("parse floor (libyaml)", small, {"kind": "floor", "path": tree}),
        ("plan", small, {"kind": "plan", "path": str(spec(small, "off"))}),
        ("plan", large, {"kind": "plan", "path": str(spec(large, "off"))}),
        ("simulate: model", small, {"kind": "model", "path": str(spec(small, "off"))}),
        ("simulate: failure matrix", small, {"kind": "matrix", "path": str(spec(small, "off"))}),
    ]
    results = []
    for name, clusters, task in plan:
        print(f"measuring {name} at {clusters} app clusters", file=sys.stderr, flush=True)
        results.append(run_child(name, clusters, task, repeat))
    return results


def targets(results: list[Measurement], sizes: tuple[int, int]) -> list[Target]:
    """The issue's targets, judged on this run's figures."""
    small, large = sizes

    def find(name: str, clusters: int) -> Measurement:
        return next(m for m in results if m.name == name and m.clusters == clusters)

    render_small, render_large = find("render", small), find("render", large)
    validate, floor = find("validate", small), find("parse floor (libyaml)", small)
    return [
        Target(
            f"render CPU, {large:,} / {small:,} app clusters",
            render_large.cpu / render_small.cpu,
            round(1.2 * large / small, 2),
            "x",
        ),
        Target(f"render of {large:,} app clusters, peak RSS", render_large.rss, 1024, "MiB"),
        Target(
            f"validate CPU / parse floor CPU, {small:,} app clusters",
            validate.cpu / floor.cpu,
            3,
            "x",
        ),
    ]


def ratios(results: list[Measurement], sizes: tuple[int, int]) -> dict[int, str]:
    """Informative ratios, by row index: each row against what it compares with."""
    small, large = sizes
    index = {(m.name, m.clusters): i for i, m in enumerate(results)}
    shown: dict[int, str] = {}

    def against(row: tuple[str, int], base: tuple[str, int], label: str) -> None:
        if row in index and base in index:
            value = results[index[row]].cpu / results[index[base]].cpu
            shown[index[row]] = f"{value:.2f}x {label}"

    against(("render", large), ("render", small), f"render of {small:,}")
    against(("render, Cluster Mesh on", small), ("render", small), "mesh off")
    against(("validate", small), ("parse floor (libyaml)", small), "parse floor")
    against(("plan", large), ("plan", small), f"plan of {small:,}")
    return shown


def markdown(results: list[Measurement], sizes: tuple[int, int], info: dict[str, Any]) -> str:
    """The run as Markdown tables: measurements, targets, steps, machine."""
    shown = ratios(results, sizes)
    lines = [
        "| measurement | app clusters | CPU | wall | peak RSS | ratio (CPU) |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for i, m in enumerate(results):
        rss = f"{m.rss:,.0f} MiB"
        if m.workers_cpu >= WORKERS_SHOWN:
            rss += f" (workers {m.workers_rss:,.0f})"
        lines.append(
            f"| {m.name} | {m.clusters:,} | {m.cpu:.2f} s | {m.wall:.2f} s | {rss} "
            f"| {shown.get(i, '')} |"
        )
    lines += ["", "| target | measured | bound | result |", "|---|---:|---:|---|"]
    for t in targets(results, sizes):
        verdict = "PASS" if t.met else "MISS"
        lines.append(
            f"| {t.what} | {t.measured:,.2f} {t.unit} | ≤ {t.bound:,.2f} {t.unit} | {verdict} |"
        )
    lines += ["", "| measurement | app clusters | step reported | calls | from | to |"]
    lines.append("|---|---:|---|---:|---:|---:|")
    for m in results:
        for step, s in m.steps.items():
            lines.append(
                f"| {m.name} | {m.clusters:,} | {step} | {int(s['calls']):,} "
                f"| {s['first']:.2f} s | {s['last']:.2f} s |"
            )
        if not m.steps:
            lines.append(f"| {m.name} | {m.clusters:,} | (no progress reported) | | | |")
    start, end = (", ".join(f"{x:.2f}" for x in info[k]) for k in ("loadAverage", "loadAverageEnd"))
    lines += [
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['memoryGiB']} GiB, "
        f"Python {info['python']}, {info['system']}; commit {info['commit']}, "
        f"{info['date']}; load average (1, 5, 15 min) {start} at the start, {end} at the end.",
    ]
    return "\n".join(lines) + "\n"


def as_json(results: list[Measurement], sizes: tuple[int, int], info: dict[str, Any]) -> str:
    """The run as one JSON document."""
    return json.dumps(
        {
            "machine": info,
            "sizes": list(sizes),
            "measurements": [asdict(m) for m in results],
            "targets": [{**asdict(t), "met": t.met} for t in targets(results, sizes)],
        },
        indent=2,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=(200, 1000), metavar="N")
    parser.add_argument("--quick", action="store_true", help="3 and 6 app clusters: a smoke run")
    parser.add_argument("--repeat", type=int, default=1, help="children per measurement (best)")
    parser.add_argument("-o", "--output", choices=("markdown", "json"), default="markdown")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    small, large = (3, 6) if args.quick else sorted(args.sizes)
    sizes = (small, large)
    info = machine()
    scratch = Path(tempfile.mkdtemp(prefix="stackyard-scale-"))
    try:
        results = measure_all(sizes, args.repeat, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    info["loadAverageEnd"] = list(os.getloadavg())
    show: Callable[..., str] = as_json if args.output == "json" else markdown
    print(show(results, sizes, info))


if __name__ == "__main__":
    main()
