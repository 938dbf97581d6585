"""Benchmark: what telemetry and the filter cost the server's event loop.

Prints p50/p95 of `TelemetryWriter.put` (the only telemetry call the event loop
makes), of the tracker's per-request work (features, events), of scoring one
suggestion with a filter model, and the writer thread's throughput into a real
SQLite file. Usage: .venv/bin/python scripts/bench_telemetry.py [--model filter.pt]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cache.telemetry import TelemetryStore, TelemetryWriter  # noqa: E402
from completion.filter.gate import FilterGate  # noqa: E402
from completion.flywheel.tracker import FeedbackTracker  # noqa: E402
from completion.types import CompletionInfo, CompletionResponse, Request, Suggestion  # noqa: E402


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def show(name: str, samples_s: list[float]) -> None:
    us = [s * 1e6 for s in samples_s]
    print(f"{name:<38} p50 {pct(us, 0.5):8.1f} us   p95 {pct(us, 0.95):8.1f} us   (n={len(us)})")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--model", help="a filter model file (tabstop flywheel train-filter)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tabstop-bench-"))
    db = tmp / "telemetry.db"
    writer = TelemetryWriter(lambda: TelemetryStore(db), max_queue=args.events + 10)
    text = "".join(f"def f{i}(x):\n    return x * {i}\n" for i in range(200))
    gate = FilterGate(FilterGate.load_model(Path(args.model)) if args.model else None, threshold=0.15,
                      skip_threshold=0.05)
    tracker = FeedbackTracker(writer.put, gate=gate)
    info = CompletionInfo(model="m", backend="local", mode="line", stop_reason="rule", prompt_tokens=900,
                          generated_tokens=8, total_ms=420.0)

    put_times, request_times, score_times = [], [], []
    t_start = time.perf_counter()
    for i in range(args.events // 4):
        req = Request(uri="file:///b.py", text=text + "x" * (i % 7), offset=len(text) + i % 7, language="python",
                      trigger="automatic")
        t0 = time.perf_counter()
        decision = tracker.before(req)
        out = tracker.after(req, CompletionResponse([Suggestion(f"c{i}", "y * 2", -0.4)], info), decision)
        request_times.append(time.perf_counter() - t0)
        for s in out.items:
            tracker.shown(s.id)
            t0 = time.perf_counter()
            writer.put({"completion_id": s.id, "kind": "bench", "ts": time.time()})
            put_times.append(time.perf_counter() - t0)
            tracker.accepted(s.id)
        if gate.model is not None:
            t0 = time.perf_counter()
            gate.after(decision.features | {"completion_chars": 5, "mean_logprob": -0.4})
            score_times.append(time.perf_counter() - t0)
    produced = time.perf_counter() - t_start
    t0 = time.perf_counter()
    writer.flush(timeout=600)
    drain = time.perf_counter() - t0
    writer.close()
    total = TelemetryStore(db).open().count()
    show("TelemetryWriter.put (event loop)", put_times)
    show("tracker before+after per request", request_times)
    if score_times:
        show("filter score, one suggestion (torch)", score_times)
    print(f"writer thread: {total} events in the file; {writer.written / (produced + drain):.0f} events/s "
          f"sustained; drained the backlog in {drain:.2f} s; dropped {writer.dropped}")
    print(f"database size: {db.stat().st_size / 1e6:.1f} MB ({tmp})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
