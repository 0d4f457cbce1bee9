"""Benchmark: validate of a rendered fleet in two checkouts, against the parse floor, in one run.

Usage: python benchmarks/validate_compare.py BEFORE AFTER [--clusters 200] [--rounds 2]
       [--tree DIR]

BEFORE and AFTER are checkouts (a worktree of main and the branch under test). The fleet
of ``benchmarks/fleet.py`` is rendered once with AFTER (render output does not depend on
the change) unless ``--tree`` names a rendered tree. Each round measures, each in a fresh
child process: the parse floor (every file read, every YAML file loaded with libyaml, as
``benchmarks/scale.py`` measures it), ``validate_directory`` with BEFORE, then with AFTER.
Wall seconds and CPU seconds (the process and its workers) are printed, best of the
rounds, each as a multiple of the floor's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

FLOOR = """
import sys, time
from pathlib import Path
import yaml
started, cpu = time.perf_counter(), time.process_time()
for path in sorted(Path(sys.argv[1]).rglob("*")):
    if path.is_file():
        data = path.read_bytes()
        if path.suffix in (".yaml", ".yml"):
            for _ in yaml.load_all(data, Loader=yaml.CSafeLoader):
                pass
print(time.perf_counter() - started, time.process_time() - cpu)
"""
VALIDATE = """
import resource, sys, time
def main():
    sys.path[:0] = [sys.argv[1] + "/src"]
    from pathlib import Path
    from stackyard.validate.run import validate_directory
    started, cpu = time.perf_counter(), time.process_time()
    validate_directory(Path(sys.argv[2]))
    wall = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(wall, time.process_time() - cpu + children.ru_utime + children.ru_stime)
if __name__ == "__main__":
    main()
"""
SPEC = """
import sys
sys.path[:0] = [sys.argv[1] + "/benchmarks"]
from fleet import fleet_spec
print(fleet_spec(int(sys.argv[2])))
"""


def child(code: str, *args: str) -> tuple[float, float]:
    """Wall and CPU seconds a child process prints."""
    env = dict(os.environ, PYTHONPATH="")
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(code)  # a file, so spawned workers can import the main module
    try:
        done = subprocess.run(
            [sys.executable, script.name, *args],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
    finally:
        os.unlink(script.name)
    wall, cpu = done.stdout.split()[-2:]
    return float(wall), float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tree", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        tree = args.tree
        if tree is None:
            tree, spec = Path(scratch) / "tree", Path(scratch) / "fleet.yaml"
            env = dict(os.environ, PYTHONPATH="")
            command = [sys.executable, "-c", SPEC, args.after, str(args.clusters)]
            spec.write_text(
                subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
            )
            env["PYTHONPATH"] = args.after + "/src"
            command = [sys.executable, "-m", "stackyard", "render", str(spec), str(tree)]
            subprocess.run(command, env=env, check=True, capture_output=True)
        best: dict[str, tuple[float, float]] = {}
        for _ in range(args.rounds):
            runs = {
                "parse floor": child(FLOOR, str(tree)),
                "validate before": child(VALIDATE, args.before, str(tree)),
                "validate after": child(VALIDATE, args.after, str(tree)),
            }
            for label, (wall, cpu) in runs.items():
                old = best.get(label, (wall, cpu))
                best[label] = (min(old[0], wall), min(old[1], cpu))
    floor_wall, floor_cpu = best["parse floor"]
    for label, (wall, cpu) in best.items():
        print(
            f"{label:<16} wall {wall:6.2f} s ({wall / floor_wall:4.2f}x)"
            f"   cpu {cpu:6.2f} s ({cpu / floor_cpu:4.2f}x the floor)"
        )


if __name__ == "__main__":
    main()
