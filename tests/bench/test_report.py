"""manage.py bench's report: medians over runs and the text table, from made-up figures (no processes)."""

from csms.bench import load, report


def _run(achieved: float, p99: float) -> dict:
    return {"baseline": {"throughput": [{"offered_per_s": 100.0, "achieved_per_s": achieved, "unanswered": 0,
                                         "latency_ms_all": {"p50": 1.0, "p95": 2.0, "p99": p99},
                                         "latency_ms": {"Heartbeat 1.6": {"p50": 1.0, "p95": 2.0, "p99": p99}}}],
                         "storm": {"stations": 10, "wall_s": 1.5, "completed": 10, "refused": 0,
                                   "connect_failed": 0, "unanswered": 0}}}


def test_medians_and_table():
    runs = [_run(90, 5.0), _run(100, 3.0), _run(95, 9.0)]
    med = report.medians(runs)
    assert med["baseline"]["throughput"]["100"]["achieved_per_s"] == 95
    assert med["baseline"]["throughput"]["100"]["p99"] == 5.0
    text = report.table({"medians": med, "config": {"runs": 3, "started": "now"}})
    assert "THROUGHPUT" in text and "BOOT STORM" in text


def test_percentiles_by_nearest_rank():
    assert load.percentiles([0.001 * i for i in range(1, 101)]) == {"p50": 50.0, "p95": 95.0, "p99": 99.0,
                                                                     "max": 100.0}
