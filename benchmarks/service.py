"""Benchmark: the fleet service under load, a real uvicorn over real platform repositories.

Usage: python benchmarks/service.py [--platforms 50] [--clients 100] [--seconds 15]
       [--runs 2] [--think 0,1] [--workers 1,2] [--registrations 10]
       [--database sqlite|postgresql|both] [--database-url URL] [--quick]
       [-o markdown|json]

Makes ``--platforms`` Git repositories, each a generated fleet spec (``fleet.py``: every
edition and provider in turn, one to four app clusters, its own name) rendered and
committed as a user would, adds them to a fresh store and starts ``stackyard serve
--workers N`` (processes of their own) on loopback, for each N of ``--workers``. Then:

- **reads**: ``--clients`` concurrent clients for ``--seconds``, each a connection
  asking, one request at a time, for the fleet page (``/``), the fleet API
  (``/api/v1/platforms``), a platform page and a platform's API document in turn,
  platforms round-robin; ``--think`` seconds between a client's requests on average
  (each pause drawn between half and one and a half times it; 0: each asks again the
  moment it is answered, the hardest case; 1: people reading what they got), each value
  in turn. Latency is request to last byte, as the client sees it. Every worker
  reads every platform before the clock starts (the first read of a platform plans it;
  that figure is reported apart). Target: p99 < 200 ms. Beside them, the
  **floor**: the same clients with no pause asking the same server for ``/healthz``
  (an answer that does no work), the best any route could do here.
- **registrations**: ``--registrations`` clusters registered on one platform
  (``local-multicluster``, its host given room) at the same moment. Asserted: every
  answer 201, every cluster in the final spec (no lost update), one commit each, a clean
  work tree and ``git fsck --full`` without a complaint.

``--database both`` runs everything on SQLite, then on PostgreSQL (a throwaway server
started like the tests' own, or ``--database-url``). The load generator is wrk (Debian's
package): C, one process, so on two shared cores it leaves the server almost all of the
CPU an asyncio pool of Python clients took (this script's first version used one: a
third of the machine went to the clients).

Timings are never asserted in tests: tests/test_benchmark_service.py runs ``--quick``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
from fleet import EDITIONS, PROVIDERS, fleet_spec
from scale import machine

from stackyard.app import add_platform, open_fleet, render

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TARGET_P99_MS = 200.0
_Number = TypeVar("_Number", int, float)
STARTUP_SECONDS = 60.0
REGISTERED_PLATFORM = "local-multicluster"
IDENTITY = {
    "GIT_AUTHOR_NAME": "Benchmark",
    "GIT_AUTHOR_EMAIL": "benchmark@example.com",
    "GIT_COMMITTER_NAME": "Benchmark",
    "GIT_COMMITTER_EMAIL": "benchmark@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repository: Path, *args: str) -> str:
    """Run git in ``repository``; its stdout."""
    return subprocess.run(
        ["git", "-C", str(repository), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **IDENTITY},
    ).stdout.strip()


def _commit_rendered(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "platform.yaml").write_text(text, encoding="utf-8")
    git(folder, "init", "--quiet", "--initial-branch=main")
    for key, value in (("user.name", "Benchmark"), ("user.email", "benchmark@example.com")):
        git(folder, "config", key, value)  # the service commits with the repository's identity
    git(folder, "add", "-A")
    git(folder, "commit", "--quiet", "-m", "the platform spec")
    render(folder / "platform.yaml", folder / "rendered", commit=True)
    return folder


def platform_spec(number: int) -> tuple[str, str]:
    """The name and spec of generated platform ``number``: editions, providers and sizes vary."""
    edition = EDITIONS[number % len(EDITIONS)]
    provider = PROVIDERS[(number // len(EDITIONS)) % len(PROVIDERS)]
    name = f"{edition}-{provider}-{number:02d}"
    text = fleet_spec(1 + number % 4, edition=edition, provider=provider, mixed_pools=True)
    text = text.replace("name: fleet", f"name: {name}", 1)
    text = text.replace(
        "gitops: {repoURL: https://git.example.com/fleet.git}",
        f"gitops: {{repoURL: https://git.example.com/{name}.git, path: rendered}}",
        1,
    )
    return name, text


def registration_platform(folder: Path) -> Path:
    """``local-multicluster`` with room on its host for the clusters registered on it."""
    text = (EXAMPLES / "local-multicluster.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(  path:) \.$", r"\1 rendered", text, count=1)
    text = text.replace("\n  cpu: 10\n", "\n  cpu: 96\n", 1)
    text = text.replace("\n  memory: 64Gi\n", "\n  memory: 512Gi\n", 1)
    shutil.copytree(EXAMPLES / "apis", folder / "apis")  # the OpenAPI documents it names
    return _commit_rendered(folder, text)


def make_platforms(root: Path, count: int) -> list[Path]:
    """``count`` rendered platform repositories under ``root``, the registration one first."""
    made = [registration_platform(root / REGISTERED_PLATFORM)]
    for number in range(1, count):
        name, text = platform_spec(number)
        made.append(_commit_rendered(root / name, text))
    return made


def registration(number: int) -> dict[str, Any]:
    """App cluster ``number`` (0-9): addresses none of the example's clusters use."""
    return {
        "name": f"load{number}",
        "role": "app",
        "network": {
            "nodeSubnet": "192.168.64.0/24",
            "nodeRange": f"192.168.64.{40 + 10 * number}-192.168.64.{49 + 10 * number}",
            "podCIDR": f"10.{110 + number}.0.0/16",
            "serviceCIDR": f"10.{200 + number}.0.0/16",
            "loadBalancerPool": f"192.168.64.{140 + 6 * number}-192.168.64.{145 + 6 * number}",
        },
        "nodePools": [
            {"name": "cp", "role": "control-plane", "count": 1, "cpu": 2, "memory": "3Gi"},
            {"name": "worker", "count": 1, "cpu": 2, "memory": "4Gi"},
        ],
    }


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95, p99 and the maximum of ``values`` (ms)."""
    if len(values) < 2:
        only = values[0] if values else 0.0
        return {"p50": only, "p95": only, "p99": only, "max": only}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": max(values)}


def read_paths(names: list[str]) -> list[str]:
    """The requests the clients cycle through: fleet page and API, a platform's page and API."""
    paths: list[str] = []
    for name in names:
        paths += ["/", "/api/v1/platforms", f"/platforms/{name}", f"/api/v1/platforms/{name}"]
    return paths


WRK_SCRIPT = """\
-- Each connection asks for the next of the paths in turn; each wrk thread starts at
-- another place in the list. delay(): a client's pause before its next request.
local paths = {%(paths)s}
local start = 0
next_path = 0
setup = function(thread)
  thread:set("next_path", start)
  start = start + 7
end
request = function()
  next_path = next_path %% #paths + 1
  return wrk.format("GET", paths[next_path])
end
%(delay)s
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK-RESULT %%d %%d %%d %%d %%d %%d %%d %%d %%d %%d %%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.status, e.connect, e.read, e.write, e.timeout))
end
"""
FAILURES = ("non-2xx", "connect", "read", "write", "timeout")


def read_load(
    base: str, paths: list[str], clients: int, seconds: float, think: float, workdir: Path
) -> dict[str, Any]:
    """``clients`` concurrent connections reading for ``seconds`` (wrk): latencies, throughput.

    Each connection is a client: one request at a time, the next the moment it is
    answered, or after a pause of ``think`` seconds on average.
    """
    script = workdir / "reads.lua"
    # Each pause drawn between half and one and a half times ``think``, as people's are:
    # equal pauses would keep the clients in step, arriving as one burst each time.
    low, high = round(think * 500), round(think * 1500)
    delay = f"delay = function() return math.random({low}, {high}) end" if think else ""
    quoted = ", ".join(f'"{path}"' for path in paths)
    script.write_text(WRK_SCRIPT % {"paths": quoted, "delay": delay}, encoding="utf-8")
    load_before = os.getloadavg()[0]
    done = subprocess.run(
        [
            "wrk",
            f"--threads={min(2, clients)}",
            f"--connections={clients}",
            f"--duration={max(1, round(seconds))}s",
            "--timeout=60s",
            f"--script={script}",
            base,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRK-RESULT "))
    count, micros, p50, p95, p99, most, *errors = (int(x) for x in line.split()[1:])
    return {
        "clients": clients,
        "seconds": round(micros / 1e6, 1),
        "think": think,
        "requests": count,
        "throughput": round(count / (micros / 1e6), 1),
        "all": {"p50": p50 / 1000, "p95": p95 / 1000, "p99": p99 / 1000, "max": most / 1000},
        "failures": {kind: n for kind, n in zip(FAILURES, errors, strict=True) if n},
        "loadAverage": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


async def register_at_once(base: str, count: int) -> dict[str, Any]:
    """``count`` registrations on one platform at the same moment: statuses and wall time."""
    async with httpx.AsyncClient(base_url=base, timeout=900.0) as client:
        began = time.perf_counter()
        answers = await asyncio.gather(
            *(
                client.post(
                    f"/api/v1/platforms/{REGISTERED_PLATFORM}/clusters", json=registration(n)
                )
                for n in range(count)
            )
        )
        elapsed = time.perf_counter() - began
    return {
        "registrations": count,
        "seconds": round(elapsed, 1),
        "statuses": sorted(a.status_code for a in answers),
        "details": [a.json().get("detail", "") for a in answers if a.status_code != 201],
    }


def check_repository(repository: Path, count: int, commits_before: int) -> dict[str, Any]:
    """What the registrations left: every cluster in the spec, one commit each, Git intact."""
    spec = (repository / "platform.yaml").read_text(encoding="utf-8")
    missing = [f"load{n}" for n in range(count) if f"name: load{n}\n" not in spec]
    fsck = subprocess.run(
        ["git", "-C", str(repository), "fsck", "--full", "--no-progress"],
        capture_output=True,
        text=True,
        check=False,
    )
    subjects = git(repository, "log", "--format=%s", f"-{count}").splitlines() if count else []
    facts = {
        "missing": missing,
        "newCommits": int(git(repository, "rev-list", "--count", "HEAD")) - commits_before,
        "subjects": sorted(subjects),
        "clean": git(repository, "status", "--porcelain") == "",
        "fsck": fsck.returncode == 0 and not fsck.stdout.strip() and not fsck.stderr.strip(),
    }
    expected = sorted(f"Register cluster load{n}" for n in range(count))
    facts["ok"] = (
        not missing
        and facts["newCommits"] == count
        and facts["subjects"] == expected
        and facts["clean"]
        and facts["fsck"]
    )
    return facts


@contextmanager
def serving(database_url: str, workdir: Path, workers: int = 1) -> Iterator[str]:
    """``stackyard serve --workers N`` on a free loopback port over ``database_url``; its URL."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (workdir / f"serve-{port}.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stackyard",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env={**os.environ, **IDENTITY, "STACKYARD_DATABASE_URL": database_url},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"stackyard serve did not start: see {log.name}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


WARM_ROUNDS = 8


def warm_up(base: str, names: list[str], workers: int) -> dict[str, float]:
    """Each platform's page and API read until every worker has read it: the first round's
    figures (the first reads after start).

    Each request goes on a connection of its own, so it lands on whichever worker accepts
    it; each path is asked for by ``4 × workers`` such requests at once, so every worker
    gets some. Rounds go on until one finds every platform read already (each request
    under 200 ms).
    """

    def took(path: str) -> float:
        began = time.perf_counter()
        httpx.get(base + path, timeout=300.0).raise_for_status()
        return (time.perf_counter() - began) * 1000

    rounds: list[list[float]] = []
    at_once = 4 * workers
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        while len(rounds) < WARM_ROUNDS and (not rounds or max(rounds[-1]) >= TARGET_P99_MS):
            round_: list[float] = []
            for name in names:
                for path in (f"/platforms/{name}", f"/api/v1/platforms/{name}"):
                    round_ += pool.map(took, [path] * at_once)
            rounds.append(round_)
    return percentiles(rounds[0])


@contextmanager
def database(kind: str, url: str | None, workdir: Path) -> Iterator[str]:
    """A fresh store's URL: SQLite in ``workdir``, or PostgreSQL (``url`` or a throwaway)."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'store.db'}"
        return
    if url:
        yield url
        return
    sys.path.insert(0, str(ROOT))
    from tests.postgres import start_postgres  # the tests' throwaway server, nothing installed

    server = start_postgres()
    try:
        yield server.create_database("stackyard_benchmark")
    finally:
        server.stop()


def run(
    kind: str, args: argparse.Namespace, repositories: list[Path], workdir: Path
) -> dict[str, Any]:
    """Every measurement on one database: reads per worker count and think time, then
    the registrations (on the last server started)."""
    folder = workdir / kind
    with database(kind, args.database_url, folder) as url:
        folder.mkdir(exist_ok=True)
        fleet = open_fleet(url)
        try:
            names = [add_platform(fleet, repository).name for repository in repositories]
        finally:
            fleet.close()
        result: dict[str, Any] = {"database": kind, "reads": [], "floor": []}
        paths = read_paths(names)
        for workers in args.workers:
            with serving(url, folder, workers) as base:
                # The first reads of each platform after start plan it, in each worker.
                first = warm_up(base, names, workers)
                result.setdefault("firstRead", first)
                # The floor: the same clients on the same server asking for nothing at all.
                floor = read_load(base, ["/healthz"], args.clients, args.seconds, 0.0, folder)
                result["floor"].append({**floor, "workers": workers})
                if "oneClient" not in result:
                    # One client alone: a request's cost when nobody queues for it.
                    result["oneClient"] = read_load(base, paths, 1, 5.0, 0.0, folder)
                for think in args.think:
                    for number in range(1, args.runs + 1):
                        reads = read_load(base, paths, args.clients, args.seconds, think, folder)
                        result["reads"].append({**reads, "workers": workers, "run": number})
                if workers == args.workers[-1]:
                    result.update(registrations(base, repositories[0], args, names, folder))
        return result


def registrations(
    base: str, registered: Path, args: argparse.Namespace, names: list[str], folder: Path
) -> dict[str, Any]:
    """The registrations at once on ``registered``, what they left, and the reads just after."""
    first = git(registered, "rev-parse", "HEAD")
    before = int(git(registered, "rev-list", "--count", "HEAD"))
    done = asyncio.run(register_at_once(base, args.registrations))
    done["repository"] = check_repository(registered, args.registrations, before)
    after = read_load(
        base, read_paths(names), args.clients, min(args.seconds, 5.0), args.think[0], folder
    )
    git(registered, "reset", "--quiet", "--hard", first)  # the next database starts alike
    return {"registrations": done, "readsAfter": after}


def _row(database: str, where: str, reads: dict[str, Any], verdict: str = "") -> str:
    """One row of the reads table: ``where`` fills the workers, think time and run columns."""
    figures = reads["all"]
    return (
        f"| {database} | {where} | {reads['throughput']:.0f} | {figures['p50']:.0f} | "
        f"{figures['p95']:.0f} | {figures['p99']:.0f} | {figures['max']:.0f} | "
        f"{sum(reads['failures'].values())} | "
        f"{reads['loadAverage'][0]} → {reads['loadAverage'][1]} | {verdict}".rstrip()
        + " |"
    )


def markdown(result: dict[str, Any]) -> str:
    """The figures as docs/benchmarks.md records them."""
    lines = [
        f"{result['platforms']} platforms, {result['clients']} clients, "
        f"{result['machine']['cores']} cores ({result['machine']['cpu']}), "
        f"commit {result['machine']['commit']}",
        "",
        "| database | workers | think s | run | requests/s | p50 ms | p95 ms | p99 ms | max ms | "
        "failures | load avg before → after | p99 < 200 ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for each in result["databases"]:
        for reads in each["reads"]:
            verdict = "PASS" if reads["all"]["p99"] < TARGET_P99_MS else "MISS"
            where = f"{reads['workers']} | {reads['think']:g} | {reads['run']}"
            lines.append(_row(each["database"], where, reads, verdict))
    for each in result["databases"]:
        for floor in each["floor"]:
            lines.append(_row(each["database"], f"{floor['workers']} | 0 | floor: /healthz", floor))
    for each in result["databases"]:
        lines.append(_row(each["database"], "1 client alone | |", each["oneClient"]))
    lines += [
        "",
        "| database | first read of a platform p50 / max ms | registrations at once | "
        "wall s | answers | lost | commits | git fsck | p99 ms just after |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for each in result["databases"]:
        registered = each["registrations"]
        facts = registered["repository"]
        statuses = ", ".join(str(s) for s in sorted(set(registered["statuses"])))
        lines.append(
            f"| {each['database']} | {each['firstRead']['p50']:.0f} / "
            f"{each['firstRead']['max']:.0f} | {registered['registrations']} | "
            f"{registered['seconds']} | {statuses} | {len(facts['missing'])} | "
            f"{facts['newCommits']} | {'clean' if facts['fsck'] else 'FAILED'} | "
            f"{each['readsAfter']['all']['p99']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platforms", type=int, default=50)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--think", type=_numbers(float), default=[0.0, 1.0])
    parser.add_argument("--workers", type=_numbers(int), default=[1, 2])
    parser.add_argument("--registrations", type=int, default=10)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--database-url", help="an empty PostgreSQL database to use instead")
    parser.add_argument("--quick", action="store_true", help="a smoke run: tiny and short")
    parser.add_argument("-o", "--output", choices=["markdown", "json"], default="markdown")
    args = parser.parse_args(argv)
    if args.quick:
        args.platforms, args.clients, args.seconds = 3, 4, 1.0
        args.runs, args.registrations, args.think, args.workers = 1, 2, [0.0], [1, 2]
    if not 1 <= args.registrations <= 10:
        parser.error("--registrations: 1 to 10 (the addresses registration() hands out)")
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    os.environ.update(IDENTITY)
    with tempfile.TemporaryDirectory(prefix="stackyard-service-bench-") as folder:
        workdir = Path(folder)
        began = time.perf_counter()
        repositories = make_platforms(workdir / "platforms", args.platforms)
        made = time.perf_counter() - began
        result: dict[str, Any] = {
            "platforms": args.platforms,
            "clients": args.clients,
            "setupSeconds": round(made, 1),
            "machine": machine(),
            "databases": [run(kind, args, repositories, workdir) for kind in kinds],
        }
    if args.output == "json":
        print(json.dumps(result, indent=2))
    else:
        print(markdown(result), end="")
    failed = any(not each["registrations"]["repository"]["ok"] for each in result["databases"])
    return 1 if failed else 0


def _numbers(kind: Callable[[str], _Number]) -> Callable[[str], list[_Number]]:
    """An argument type: comma-separated numbers (``--think 0,1``)."""
    return lambda text: [kind(part) for part in text.split(",")]


if __name__ == "__main__":
    sys.exit(main())
