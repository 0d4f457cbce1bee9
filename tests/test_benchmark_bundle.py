"""benchmarks/bundle.py keeps working: a smoke run on two tiny images yields every row.

Not a timed test (timings live in docs/benchmarks.md): it asserts that each contender ran
on the same bytes and reported figures, that the re-push moved no blob, and that the
Markdown report has every row and target; never how fast anything was.
"""

from __future__ import annotations

import shutil

from tests.benchmark_scripts import load_benchmark, quick_run

HASHED = "bundle create, layouts another tool made (every blob hashed)"
PULLED = "bundle create, layout images pull made (recorded blobs trusted)"
ROWS = [
    HASHED,
    PULLED,
    "copy floor (copyfileobj + fsync)",
    "stackyard command start (--version)",
    "stackyard images push",
    "stackyard images push again (unchanged)",
]
SKOPEO = "skopeo copy --all, image after image"


def test_quick_run_measures_every_row_and_reports_it() -> None:
    result = quick_run("bundle")
    measured = {m["name"]: m for m in result["measurements"]}
    with_skopeo = shutil.which("skopeo") is not None
    assert list(measured) == ROWS + ([SKOPEO] if with_skopeo else [])
    facts = result["facts"]
    assert facts["images"] == 2 and facts["blobs"] > 2 * 4
    assert facts["imageBytes"] > facts["distinctBytes"]  # the shared layers count once
    for name in (HASHED, PULLED, "copy floor (copyfileobj + fsync)", "stackyard images push"):
        assert measured[name]["seconds"] > 0 and measured[name]["bytes"] > 0, name
    assert measured["copy floor (copyfileobj + fsync)"]["bytes"] == facts["distinctBytes"]
    # the same bundle both ways: from the other tool's layouts every blob read is hashed
    # (each config and layer, each manifest, the Git bundle); from the pulled one only the
    # Git bundle, the record vouching for the rest
    hashed, pulled = measured[HASHED]["facts"], measured[PULLED]["facts"]
    assert hashed["bundleBytes"] == pulled["bundleBytes"]
    assert hashed["blobsTrusted"] == 0 and hashed["blobsHashed"] == pulled["blobsTrusted"] + 1
    assert pulled["blobsHashed"] == 1 and pulled["blobsTrusted"] > 2 * 4
    assert hashed["cpuMilliseconds"] > 0 and pulled["cpuMilliseconds"] > 0
    assert "cpuMilliseconds" in measured["copy floor (copyfileobj + fsync)"]["facts"]
    pushed = measured["stackyard images push"]["facts"]
    # every config and layer sent once, shared ones too; manifests are not counted as blobs
    assert facts["distinctBytes"] - 64 * 1024 < pushed["bytesPushed"] < facts["distinctBytes"]
    assert measured["stackyard images push again (unchanged)"]["facts"]["blobsPushed"] == 0
    targets = [t["what"] for t in result["targets"]]
    assert targets == [
        "create (every blob hashed) / copy floor",
        "create (pulled, recorded) / copy floor",
    ] + (["images push / skopeo copy"] if with_skopeo else []) + ["blobs moved by the re-push"]
    assert result["machine"]["cores"] > 0 and result["machine"]["python"]

    bundle = load_benchmark("bundle")
    rows = [bundle.Row(m["name"], m["seconds"], m["bytes"], m["facts"]) for m in measured.values()]
    report = bundle.markdown(rows, result["targets"], facts)
    for name in measured:
        assert f"| {name} |" in report
    assert report.count("| PASS |") + report.count("| MISS |") == len(targets)
