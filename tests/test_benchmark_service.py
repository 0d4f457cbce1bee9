"""benchmarks/service.py keeps working: a smoke run on SQLite and PostgreSQL yields every figure.

Not a timed test (figures live in docs/benchmarks.md and docs/service.md): it asserts that
every kind of read was answered 200 on both databases, that the registrations made at once
all landed (no lost update, one commit each, ``git fsck`` clean) and that the Markdown
report has a row per run; never how fast anything was.
"""

from __future__ import annotations

from tests.benchmark_scripts import load_benchmark, quick_run


def test_quick_run_reads_and_registers_on_both_databases() -> None:
    result = quick_run("service")
    assert [d["database"] for d in result["databases"]] == ["sqlite", "postgresql"]
    for each in result["databases"]:
        assert [r["workers"] for r in each["reads"]] == [1, 2]  # a server each
        assert [f["workers"] for f in each["floor"]] == [1, 2]
        assert all(f["requests"] > 0 and f["failures"] == {} for f in each["floor"])
        for reads in each["reads"]:
            assert reads["requests"] > 0 and reads["failures"] == {}, reads
            assert reads["all"]["p50"] <= reads["all"]["p95"] <= reads["all"]["p99"]
        registered = each["registrations"]
        assert registered["statuses"] == [201, 201], registered
        facts = registered["repository"]
        assert facts["ok"] and facts["missing"] == [] and facts["newCommits"] == 2, facts
        assert facts["fsck"] and facts["clean"]
        assert each["readsAfter"]["failures"] == {}
        assert each["oneClient"]["failures"] == {} and each["oneClient"]["requests"] > 0
    report = load_benchmark("service").markdown(result)
    assert report.count("| sqlite | 1 | 0 | 1 |") == 1
    assert report.count("| postgresql | 2 | 0 | 1 |") == 1
    assert report.count("| PASS |") + report.count("| MISS |") == 4
    assert report.count("| floor: /healthz |") == 4


def test_generated_platforms_vary_and_registrations_do_not_overlap() -> None:
    service = load_benchmark("service")
    specs = [service.platform_spec(n) for n in range(1, 13)]
    assert len({name for name, _ in specs}) == 12
    assert len({text.count("role: app") for _, text in specs}) == 4  # one to four app clusters
    ranges = [service.registration(n)["network"] for n in range(10)]
    for key in ("nodeRange", "podCIDR", "serviceCIDR", "loadBalancerPool"):
        assert len({r[key] for r in ranges}) == 10, key
