"""Fuzz `tabstop serve` with thousands of hostile cases and print the figures (docs/robustness.md).

    .venv/bin/python benchmarks/fuzz_server.py --cases 3000 [--seed 1] [--log /tmp/fuzz.log]

The same strategies and checks as tests/e2e/test_fuzz.py (tests/fuzzing.py),
against one real server process with the real model (tiny generations for
speed), ending with a real completion. Failures are counted, not fatal; a
crashed server is counted and restarted so that the run goes on.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, Phase, given, settings, seed as hseed  # noqa: E402

from tests.fuzzing import FuzzHarness, cases  # noqa: E402
from tests.rawlsp import RawServer  # noqa: E402


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--log", default="/tmp/tabstop-fuzz-server.log")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the answers of one case")
    args = ap.parse_args()

    server = RawServer(Path(args.log))
    harness = FuzzHarness(server, timeout=args.timeout)
    harness.setup()
    time.sleep(3)  # let the model finish loading, so that RSS figures compare like with like
    rss_start = rss_mb(server.proc.pid)
    durations: list[float] = []
    restarts = 0

    @hseed(args.seed)
    @settings(max_examples=args.cases, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=cases)
    def run(case):
        nonlocal server, harness, restarts
        t0 = time.perf_counter()
        try:
            harness.run_case(case)
        except AssertionError as exc:
            print(f"FAILED case {harness.stats.cases}: {str(exc)[:400]}", flush=True)
        durations.append(time.perf_counter() - t0)
        if not server.alive():
            restarts += 1
            stats = harness.stats
            server = RawServer(Path(args.log + f".{restarts}"))
            harness = FuzzHarness(server, timeout=args.timeout)
            harness.stats = stats
            harness.setup()
        if harness.stats.cases % 250 == 0:
            print(f"... {harness.stats.line()}, RSS {rss_mb(server.proc.pid):.0f} MB", flush=True)

    t0 = time.perf_counter()
    run()
    wall = time.perf_counter() - t0
    rss_end = rss_mb(server.proc.pid)
    reply = harness.real_completion()
    items = reply.get("result", {}).get("items", [])
    final = items[0]["insertText"].strip() if items else f"(none: {reply})"
    server.close()

    s = harness.stats
    ms = sorted(d * 1000 for d in durations)
    print()
    print(f"fuzz: {s.line()}")
    print(f"server restarts after a crash: {restarts}")
    print("answers: " + ", ".join(f"{k}: {v}" for k, v in s.outcomes.most_common()))
    print(f"wall {wall:.0f} s, {s.cases / wall:.1f} cases/s; per case p50 {statistics.median(ms):.0f} ms, "
          f"p95 {ms[int(len(ms) * 0.95) - 1]:.0f} ms, max {ms[-1]:.0f} ms")
    print(f"server RSS after model load {rss_start:.0f} MB, after the fuzz {rss_end:.0f} MB")
    print(f"final real completion of `def subtract(a, b): return `: {final!r}")
    ok = s.unanswered == 0 and s.crashes == 0 and s.duplicates == 0 and final == "a - b"
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
