"""benchmarks/scale.py keeps working: a smoke run on tiny fleets yields every row.

Not a timed test (timings live in docs/benchmarks.md): it asserts that each measurement
ran, in its own child process, and reported figures, and that the Markdown report has
every row, target and step; never how fast anything was.
"""

from __future__ import annotations

from tests.benchmark_scripts import load_benchmark, quick_run

ROWS = [
    ("render", 3),
    ("render", 6),
    ("render, Cluster Mesh on", 3),
    ("validate", 3),
    ("parse floor (libyaml)", 3),
    ("plan", 3),
    ("plan", 6),
    ("simulate: model", 3),
    ("simulate: failure matrix", 3),
]


def test_quick_run_measures_every_row_and_reports_it() -> None:
    result = quick_run("scale")
    measured = result["measurements"]
    assert [(m["name"], m["clusters"]) for m in measured] == ROWS
    for m in measured:
        assert m["cpu"] > 0 and m["wall"] > 0 and m["rss"] > 0, m
    facts = {(m["name"], m["clusters"]): m["facts"] for m in measured}
    assert facts[("render", 6)]["files"] > facts[("render", 3)]["files"] > 0
    floor = facts[("parse floor (libyaml)", 3)]
    assert facts[("validate", 3)]["files"] == floor["manifests"] < floor["files"]
    assert facts[("plan", 6)]["errors"] == 0
    assert facts[("simulate: failure matrix", 3)]["failures"] > 0
    steps = {(m["name"], m["clusters"]): set(m["steps"]) for m in measured}
    assert "rendering" in steps[("render", 6)]
    assert "simulating failures" in steps[("simulate: failure matrix", 3)]
    assert [t["what"].split(",")[0] for t in result["targets"]] == [
        "render CPU",
        "render of 6 app clusters",
        "validate CPU / parse floor CPU",
    ]
    assert result["machine"]["cores"] > 0 and result["machine"]["python"]

    scale = load_benchmark("scale")
    rows = [scale.Measurement(**m) for m in measured]
    report = scale.markdown(rows, tuple(result["sizes"]), result["machine"])
    for name, clusters in ROWS:
        assert f"| {name} | {clusters} |" in report
    assert report.count("| PASS |") + report.count("| MISS |") == 3
    assert "| plan | 6 | (no progress reported) |" in report
    assert f"Python {result['machine']['python']}" in report
