"""What `manage.py bench` writes: medians over runs, the JSON file, a text table and PNG plots.

matplotlib is imported only when plotting (a dev dependency; the command says so when it is missing).
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

VARIANTS = ("deflate", "plain")


def median(values: list) -> float | None:
    values = [v for v in values if isinstance(v, (int, float))]
    return round(statistics.median(values), 3) if values else None


def medians(runs: list[dict]) -> dict:
    """Per target: the median over runs of every figure the tables and plots show."""
    out: dict = {}
    targets = sorted({t for run in runs for t in run}, key=lambda t: ("distributed", "embedded", "baseline").index(t))
    for target in targets:
        rows = [run[target] for run in runs if target in run]
        figures: dict = {}
        conns = [r["connections"] for r in rows if r.get("connections")]
        if conns:
            figures["connections"] = {
                v: {k: median([c[v][k] for c in conns if v in c]) for k in ("requested", "held", "kib_per_conn",
                                                                            "rss_before_kib", "rss_after_kib")}
                | {"deflate_negotiated": any(c[v].get("deflate_negotiated") for c in conns if v in c)}
                for v in VARIANTS if any(v in c for c in conns)}
        loads = [r["throughput"] for r in rows if r.get("throughput")]
        if loads:
            per_load: dict = {}
            for load in loads:
                for item in load:
                    per_load.setdefault(str(int(item["offered_per_s"])), []).append(item)
            figures["throughput"] = {
                rate: {"offered_per_s": float(rate),
                       "achieved_per_s": median([i["achieved_per_s"] for i in items]),
                       "unanswered": median([i["unanswered"] for i in items]),
                       "cpu_s_per_1000_calls": median([i.get("cpu_s_per_1000_calls") for i in items]),
                       **{p: median([i["latency_ms_all"].get(p) for i in items]) for p in ("p50", "p95", "p99")},
                       "per_action": {a: {p: median([i["latency_ms"].get(a, {}).get(p) for i in items])
                                          for p in ("p50", "p95", "p99")}
                                      for a in sorted({a for i in items for a in i["latency_ms"]})}}
                for rate, items in sorted(per_load.items(), key=lambda kv: float(kv[0]))}
        storms = [r["storm"] for r in rows if r.get("storm")]
        if storms:
            figures["storm"] = {k: median([s[k] for s in storms]) for k in ("stations", "wall_s", "completed",
                                                                            "refused", "connect_failed", "unanswered")}
        out[target] = figures
    return out


def table(result: dict) -> str:
    med, cfg = result["medians"], result["config"]
    lines = [f"manage.py bench, median of {cfg['runs']} run(s), {cfg['started']}", ""]
    base = med.get("baseline", {}).get("throughput", {})
    if any("connections" in f for f in med.values()):
        lines += ["CONNECTIONS (one server process; RSS of the node / runserver / baseline process)",
                  f"{'target':<12}{'offer':<9}{'negotiated':<12}{'held':>12}{'KiB/conn':>10}{'RSS MiB':>14}"]
        for target, f in med.items():
            for variant, c in f.get("connections", {}).items():
                rss = f"{(c['rss_before_kib'] or 0) / 1024:.0f}->{(c['rss_after_kib'] or 0) / 1024:.0f}"
                lines.append(f"{target:<12}{variant:<9}{'deflate' if c['deflate_negotiated'] else 'none':<12}"
                             f"{_n(c['held'])}/{_n(c['requested']):<5}{_f(c['kib_per_conn'], 1):>10}{rss:>14}")
        lines.append("")
    if any("throughput" in f for f in med.values()):
        lines += ["THROUGHPUT (mix 70% MeterValues|TransactionEvent / 20% Heartbeat / 10% StatusNotification, "
                  "1.6 + 2.0.1)",
                  f"{'target':<12}{'offered/s':>10}{'achieved/s':>11}{'x base':>8}{'p50 ms':>9}{'p95 ms':>9}"
                  f"{'p99 ms':>9}{'unanswered':>11}{'CPU s/1k':>9}"]
        for target, f in med.items():
            for rate, t in f.get("throughput", {}).items():
                ratio = (t["achieved_per_s"] / base[rate]["achieved_per_s"]
                         if rate in base and base[rate]["achieved_per_s"] else None)
                lines.append(f"{target:<12}{_f(t['offered_per_s'], 0):>10}{_f(t['achieved_per_s'], 0):>11}"
                             f"{_f(ratio, 2):>8}{_f(t['p50'], 1):>9}{_f(t['p95'], 1):>9}{_f(t['p99'], 1):>9}"
                             f"{_n(t['unanswered']):>11}{_f(t['cpu_s_per_1000_calls'], 2):>9}")
        lines += ["", "per action, p50 / p95 / p99 ms, at the highest offered load:"]
        for target, f in med.items():
            loads = f.get("throughput", {})
            if loads:
                rate, t = list(loads.items())[-1]
                for action, p in t["per_action"].items():
                    lines.append(f"  {target:<12}{rate:>6}/s  {action:<24}"
                                 f"{_f(p['p50'], 1):>8}{_f(p['p95'], 1):>8}{_f(p['p99'], 1):>8}")
        lines.append("")
    if any("storm" in f for f in med.values()):
        lines += ["BOOT STORM (connect, BootNotification, StatusNotification x 2; all at once)",
                  f"{'target':<12}{'stations':>9}{'wall s':>9}{'completed':>10}{'refused':>8}{'conn.failed':>12}"
                  f"{'unanswered':>11}"]
        for target, f in med.items():
            s = f.get("storm")
            if s:
                lines.append(f"{target:<12}{_n(s['stations']):>9}{_f(s['wall_s'], 2):>9}{_n(s['completed']):>10}"
                             f"{_n(s['refused']):>8}{_n(s['connect_failed']):>12}{_n(s['unanswered']):>11}")
    return "\n".join(lines) + "\n"


def _f(value, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _n(value) -> str:
    return "-" if value is None else f"{value:.0f}"


def write_json(result: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")


def plot(result: dict, stem: Path) -> list[Path]:
    """latency-vs-load (one panel per target, plus achieved vs offered) and boot-storm bars; the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    med, written = result["medians"], []
    with_tp = {t: f["throughput"] for t, f in med.items() if f.get("throughput")}
    if with_tp:
        fig, axes = plt.subplots(1, len(with_tp) + 1, figsize=(4.5 * (len(with_tp) + 1), 4), squeeze=False)
        for ax, (target, loads) in zip(axes[0], with_tp.items(), strict=False):
            offered = [v["offered_per_s"] for v in loads.values()]
            for p in ("p50", "p95", "p99"):
                ax.plot(offered, [v[p] for v in loads.values()], marker="o", label=p)
            ax.set(title=target, xlabel="offered calls/s", ylabel="latency ms", yscale="log")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend()
        ax = axes[0][-1]
        top = max(v["offered_per_s"] for loads in with_tp.values() for v in loads.values())
        ax.plot([0, top], [0, top], color="grey", linestyle=":", label="offered")
        for target, loads in with_tp.items():
            ax.plot([v["offered_per_s"] for v in loads.values()], [v["achieved_per_s"] for v in loads.values()],
                    marker="o", label=target)
        ax.set(title="achieved vs offered", xlabel="offered calls/s", ylabel="achieved calls/s")
        ax.grid(True, alpha=0.3)
        ax.legend()
        fig.tight_layout()
        path = stem.with_name(stem.name + "-latency.png")
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    storms = {t: f["storm"] for t, f in med.items() if f.get("storm")}
    if storms:
        fig, ax = plt.subplots(figsize=(6, 4))
        bars = ax.bar(list(storms), [s["wall_s"] or 0 for s in storms.values()], color=["C0", "C1", "C2"][:len(storms)])
        for bar, s in zip(bars, storms.values(), strict=True):
            ax.annotate(f"{s['wall_s']:.1f}s\n{_n(s['completed'])}/{_n(s['stations'])} ok",
                        (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom")
        ax.set(title=f"boot storm: {_n(next(iter(storms.values()))['stations'])} stations", ylabel="wall s")
        ax.margins(y=0.25)
        fig.tight_layout()
        path = stem.with_name(stem.name + "-storm.png")
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written
