"""Benchmark: assess a generated corpus of manifests against checkov and a bare parse.

Usage: python benchmarks/assess.py [--groups 1000] [--repeat 3] [--skip-checkov]
       [--checkov-venv /tmp/stackyard-bench-checkov]
       python benchmarks/assess.py --scale 1000,5000,16700

Generates a repository-like corpus in a temporary folder: per application a multi-
document manifest file (Deployment or StatefulSet or DaemonSet or CronJob, Service,
ConfigMap, and on some a PodDisruptionBudget and an HPA), a Helm values file and an
Argo CD Application, plus ``kubectl get -A -o yaml`` style List exports. A manifest is
one YAML document. Then times, on the same corpus:

- ``stackyard.assess.run.assess_directory`` (the whole assessment), when the engine is
  installed, in one process (``workers=0``) and as the command runs it (files parsed
  ahead by a worker per spare core); and always the workload checks alone (safe,
  positioned YAML loading plus every ``WL`` check), which is Stackyard's per-object work;
- ``checkov -d`` restricted to its Kubernetes framework, installed in a throw-away
  virtualenv under /tmp (never a project dependency), with downloads disabled;
- ``yaml.load_all`` with libyaml's ``CSafeLoader`` over every file: the floor, what
  any Python tool pays to read the corpus.

Every timing includes reading the files. Best of ``--repeat`` runs, except checkov,
which runs once. Results are recorded by hand in docs/benchmarks.md.

``--scale`` instead assesses corpora of each size once, each in a fresh process, and
prints the wall time and the peak resident memory of the process and of its worker:
how time and memory grow with the repository (16,700 applications is 50,000 files).
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from stackyard.assess.workloads import WorkloadScanner
from stackyard.yamlio import read_yaml_file

KINDS = ("Deployment", "Deployment", "StatefulSet", "DaemonSet", "CronJob")


def pod_spec(index: int, indent: str) -> str:
    """A pod spec that is good on even apps and flawed on odd ones."""
    good = index % 2 == 0
    tag = f"1.{index}" if good else "latest"
    lines = [
        "containers:",
        f"  - name: app-{index}",
        f"    image: registry.example.com/team/app-{index}:{tag}",
        "    ports: [{containerPort: 8080}]",
        "    env:",
        "      - {name: LOG_LEVEL, value: info}",
        f"      - {{name: APP_ID, value: 'app-{index}'}}",
    ]
    if good:
        lines += [
            "    imagePullPolicy: Always",
            "    resources:",
            "      requests: {cpu: 100m, memory: 128Mi}",
            "      limits: {cpu: 500m, memory: 256Mi}",
            "    livenessProbe: {httpGet: {path: /healthz, port: 8080}}",
            "    readinessProbe: {httpGet: {path: /ready, port: 8080}}",
            "    securityContext:",
            "      allowPrivilegeEscalation: false",
            "      readOnlyRootFilesystem: true",
            "      runAsNonRoot: true",
            "automountServiceAccountToken: false",
        ]
    else:
        lines += ["    securityContext: {privileged: true}", "hostNetwork: true"]
    return "\n".join(indent + line for line in lines)


def workload(index: int) -> str:
    kind = KINDS[index % len(KINDS)]
    namespace = f"team-{index % 20}"
    head = [
        "apiVersion: " + ("batch/v1" if kind == "CronJob" else "apps/v1"),
        f"kind: {kind}",
        f"metadata: {{name: app-{index}, namespace: {namespace}, labels: {{app: app-{index}}}}}",
        "spec:",
    ]
    if kind == "CronJob":
        return "\n".join(
            [
                *head,
                "  schedule: '*/5 * * * *'",
                "  jobTemplate:",
                "    spec:",
                "      template:",
                "        spec:",
                "          restartPolicy: OnFailure",
                pod_spec(index, "          "),
            ]
        )
    replicas = [] if kind == "DaemonSet" else [f"  replicas: {1 + index % 3}"]
    return "\n".join(
        [
            *head,
            *replicas,
            f"  selector: {{matchLabels: {{app: app-{index}}}}}",
            "  template:",
            f"    metadata: {{labels: {{app: app-{index}}}}}",
            "    spec:",
            pod_spec(index, "      "),
        ]
    )


def manifest_file(index: int) -> str:
    namespace = f"team-{index % 20}"
    documents = [
        workload(index),
        "\n".join(
            [
                "apiVersion: v1",
                "kind: Service",
                f"metadata: {{name: app-{index}, namespace: {namespace}}}",
                "spec:",
                f"  selector: {{app: app-{index}}}",
                "  ports: [{port: 80, targetPort: 8080}]",
            ]
        ),
        "\n".join(
            [
                "apiVersion: v1",
                "kind: ConfigMap",
                f"metadata: {{name: app-{index}-config, namespace: {namespace}}}",
                "data:",
                "  application.yaml: |",
                "    server:",
                "      port: 8080",
                f"    feature: {index}",
            ]
        ),
    ]
    if index % 2 == 0:
        documents.append(
            "\n".join(
                [
                    "apiVersion: policy/v1",
                    "kind: PodDisruptionBudget",
                    f"metadata: {{name: app-{index}, namespace: {namespace}}}",
                    f"spec: {{minAvailable: 1, selector: {{matchLabels: {{app: app-{index}}}}}}}",
                ]
            )
        )
    if index % 3 == 0:
        documents.append(
            "\n".join(
                [
                    "apiVersion: autoscaling/v2",
                    "kind: HorizontalPodAutoscaler",
                    f"metadata: {{name: app-{index}, namespace: {namespace}}}",
                    "spec:",
                    "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: "
                    f"app-{index}}}",
                    "  minReplicas: 2",
                    "  maxReplicas: 6",
                ]
            )
        )
    return "---\n" + "\n---\n".join(documents) + "\n"


def values_file(index: int) -> str:
    return "\n".join(
        [
            f"replicaCount: {1 + index % 3}",
            "image:",
            f"  repository: registry.example.com/team/app-{index}",
            f"  tag: '1.{index}'",
            "resources:",
            "  requests: {cpu: 100m, memory: 128Mi}",
            "ingress:",
            "  enabled: true",
            f"  hosts: [{{host: app-{index}.example.com, paths: [{{path: /}}]}}]",
            "",
        ]
    )


def application(index: int) -> str:
    return "\n".join(
        [
            "apiVersion: argoproj.io/v1alpha1",
            "kind: Application",
            f"metadata: {{name: app-{index}, namespace: argocd}}",
            "spec:",
            "  project: default",
            "  source:",
            "    repoURL: https://charts.example.com",
            "    chart: web-app",
            "    targetRevision: 1.2.3",
            "    helm:",
            "      valuesObject:",
            f"        replicaCount: {1 + index % 3}",
            "  destination:",
            "    server: https://kubernetes.default.svc",
            f"    namespace: team-{index % 20}",
            "  syncPolicy: {automated: {prune: true, selfHeal: true}}",
            "",
        ]
    )


def export_file(start: int, count: int) -> str:
    """A ``kubectl get -A -o yaml`` style List of workloads."""
    items = []
    for index in range(start, start + count):
        body = yaml.safe_load(workload(index))
        items.append(body)
    return yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}, sort_keys=False)


def generate(root: Path, groups: int) -> int:
    """Write the corpus; return the number of YAML documents (manifests) in it."""
    documents = 0
    for index in range(groups):
        folder = root / "apps" / f"app-{index}"
        folder.mkdir(parents=True)
        text = manifest_file(index)
        (folder / "manifests.yaml").write_text(text, encoding="utf-8")
        documents += text.count("\n---\n") + 1
        (folder / "values.yaml").write_text(values_file(index), encoding="utf-8")
        (root / "argocd").mkdir(exist_ok=True)
        (root / "argocd" / f"app-{index}.yaml").write_text(application(index), encoding="utf-8")
        documents += 2
    exports = root / "exports"
    exports.mkdir()
    for start in range(0, groups, 100):
        (exports / f"export-{start}.yaml").write_text(export_file(start, 20), encoding="utf-8")
        documents += 1
    return documents


def yaml_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.yaml"))


def bare_parse(root: Path) -> int:
    count = 0
    for path in yaml_files(root):
        count += sum(1 for _ in yaml.load_all(path.read_bytes(), Loader=yaml.CSafeLoader))
    return count


def workload_checks(root: Path) -> int:
    """Positioned safe loading of every file, and every workload check on each object."""
    scanner = WorkloadScanner()

    def objects() -> Iterator[tuple[Any, Any]]:
        for path in yaml_files(root):
            for document in read_yaml_file(path):
                data = document.data
                if isinstance(data, dict) and data.get("kind") == "List":
                    yield from ((item, document) for item in data.get("items") or [])
                elif isinstance(data, dict):
                    yield data, document

    for obj, document in objects():
        scanner.add(obj, document)
    return len(scanner.findings())


def best_of(work: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


def checkov_binary(venv: Path) -> Path:
    """checkov in its own virtualenv under /tmp, created on first use."""
    binary = venv / "bin" / "checkov"
    if not binary.exists():
        print(f"installing checkov into {venv} (once)...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "checkov"], check=True)
    return binary


def run_checkov(binary: Path, root: Path) -> float:
    environment = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}
    command = [
        str(binary),
        "-d",
        str(root),
        "--framework",
        "kubernetes",
        "--skip-download",
        "--quiet",
        "--compact",
        "-o",
        "json",
    ]
    start = time.perf_counter()
    # checkov exits 1 when it finds failed checks; that is the expected outcome here.
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment)
    return time.perf_counter() - start


def report(label: str, seconds: float, manifests: int) -> float:
    rate = manifests / seconds
    print(f"{label:<52} {seconds:8.2f} s  {rate:10,.0f} manifests/s")
    return rate


SCALE_RUN = """
import resource, sys, time
from pathlib import Path
from stackyard.assess.run import assess_directory
start = time.perf_counter()
assessment = assess_directory(Path(sys.argv[1]))
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
print(seconds, len(assessment.workload_findings), peak, worker)
"""


def scaling(sizes: list[int]) -> None:
    """Assess corpora of growing size, each in a fresh process: time and peak memory."""
    print(f"{'files':>7} {'manifests':>9} {'time':>8} {'files/s':>8} {'findings':>8} peak RSS")
    for groups in sizes:
        with tempfile.TemporaryDirectory(prefix="stackyard-assess-scale-") as scratch:
            root = Path(scratch) / "corpus"
            manifests = generate(root, groups)
            files = len(yaml_files(root))
            done = subprocess.run(
                [sys.executable, "-c", SCALE_RUN, str(root)],
                check=True,
                capture_output=True,
                text=True,
            )
            seconds, findings, peak, worker = done.stdout.split()
            print(
                f"{files:>7,} {manifests:>9,} {float(seconds):>7.2f}s "
                f"{files / float(seconds):>8,.0f} {int(findings):>8,} "
                f"{peak} MiB (worker {worker} MiB)"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-checkov", action="store_true")
    parser.add_argument("--checkov-venv", type=Path, default=Path("/tmp/stackyard-bench-checkov"))
    parser.add_argument("--scale", help="comma-separated corpus sizes (applications)")
    args = parser.parse_args()
    if args.scale:
        scaling([int(size) for size in args.scale.split(",")])
        return
    with tempfile.TemporaryDirectory(prefix="stackyard-assess-bench-") as scratch:
        root = Path(scratch) / "corpus"
        manifests = generate(root, args.groups)
        files = len(yaml_files(root))
        print(f"corpus: {manifests} manifests in {files} files ({args.groups} applications)")

        seconds, parsed = best_of(lambda: bare_parse(root), args.repeat)
        assert parsed == manifests, (parsed, manifests)
        floor = report("bare parse (yaml.load_all, CSafeLoader)", seconds, manifests)

        seconds, findings = best_of(lambda: workload_checks(root), args.repeat)
        ours = report(f"stackyard workload checks ({findings} findings)", seconds, manifests)

        try:
            run = importlib.import_module("stackyard.assess.run")
        except ImportError:
            print("stackyard assess_directory: engine not installed, timed workload checks only")
        else:
            seconds, _ = best_of(lambda: run.assess_directory(root, workers=0), args.repeat)
            report("stackyard assess_directory, one process", seconds, manifests)
            seconds, _ = best_of(lambda: run.assess_directory(root), args.repeat)
            ours = report("stackyard assess_directory (default: parse ahead)", seconds, manifests)

        print(f"stackyard / bare parse: {ours / floor:.2f} (target >= 0.5)")
        if args.skip_checkov:
            return
        seconds = run_checkov(checkov_binary(args.checkov_venv), root)
        theirs = report("checkov -d --framework kubernetes", seconds, manifests)
        print(f"stackyard / checkov: {ours / theirs:.1f}x (target >= 20x)")


if __name__ == "__main__":
    main()
