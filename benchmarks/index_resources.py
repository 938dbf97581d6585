"""Indexing a large generated tree as the server does it: memory, time, event-loop lag, restart.

    .venv/bin/python benchmarks/index_resources.py --files 50000

Generates FILES small Python files in a temporary folder, then in this process (like the
server: the index thread beside an asyncio event loop) measures

* event-loop lag: a coroutine asks to sleep 5 ms over and over; lag = how late it wakes up,
  first for a few seconds with no indexing (the baseline), then during the whole first scan;
* index reads during the scan (a BM25 window search, what context gathering does), timed;
* peak RSS (VmHWM) and the growth over the RSS before the scan;
* the first scan's time and the index thread's nice value;
* a restart (a new RepoIndex on the same file): its time and how many files it parsed.

Prints one block of figures; see docs/robustness.md.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.index_worker import _status, generate_tree, open_index, thread_nice  # noqa: E402


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


async def lag_while(done, period: float = 0.005) -> list[float]:
    """Lags (ms) of a 5 ms sleep until `done()` is true."""
    lags = []
    while not done():
        t = time.perf_counter()
        await asyncio.sleep(period)
        lags.append((time.perf_counter() - t - period) * 1000)
    return lags


async def reads_while(index, done, every: float = 0.05) -> list[float]:
    """Times (ms) of window searches run on the loop's executor while indexing, like context gathering.

    The terms are rare ones (a class and a method of one file), like the names at a cursor;
    terms found in every generated file would time BM25 over 100,000 windows instead.
    """
    loop = asyncio.get_running_loop()
    times = []
    n = 0
    while not done():
        n += 1
        terms = [f"Thing{n * 7919 % 50000}", f"method_{n * 7919 % 50000}"]
        t = time.perf_counter()
        await loop.run_in_executor(None, index.store.search_windows, terms, 8)
        times.append((time.perf_counter() - t) * 1000)
        await asyncio.sleep(every)
    return times


async def measure(root: Path, db: Path, baseline_s: float) -> dict:
    start = time.monotonic()
    baseline = await lag_while(lambda: time.monotonic() - start > baseline_s)
    rss_before = _status("VmRSS")
    index = open_index(root, db)
    t0 = time.perf_counter()
    index.start()
    scanning = lambda: index.ready.is_set()  # noqa: E731
    lags, reads = await asyncio.gather(lag_while(scanning), reads_while(index, scanning))
    first_s = time.perf_counter() - t0
    stats = index.last_scan
    nice = thread_nice(index._thread.native_id) if index._thread and index._thread.native_id else None
    peak = _status("VmHWM")
    index.close()
    t1 = time.perf_counter()
    again = open_index(root, db)
    again.start()
    again.wait_idle()
    restart_s = time.perf_counter() - t1
    restart = again.last_scan
    again.close()
    return {"baseline": baseline, "lags": lags, "reads": reads, "first_s": first_s, "stats": stats, "nice": nice,
            "rss_before": rss_before, "peak": peak, "restart_s": restart_s, "restart": restart}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=50_000)
    ap.add_argument("--baseline", type=float, default=3.0, help="seconds of lag measured before indexing")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root, db = Path(tmp) / "repo", Path(tmp) / "index.sqlite"
        t = time.perf_counter()
        generate_tree(root, args.files)
        gen_s = time.perf_counter() - t
        r = asyncio.run(measure(root, db, args.baseline))
        db_mb = db.stat().st_size / 2**20
    mb = 2**20
    s = r["stats"]
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) at the end; {os.cpu_count()} CPUs")
    print(f"tree: {args.files} files generated in {gen_s:.1f} s; index file {db_mb:.0f} MB")
    print(f"first scan: {s.listed} listed, {s.parsed} parsed in {r['first_s']:.1f} s; index thread nice {r['nice']}")
    print(f"memory: RSS {r['rss_before'] / mb:.0f} MB before, peak {r['peak'] / mb:.0f} MB "
          f"(+{(r['peak'] - r['rss_before']) / mb:.0f} MB)")
    for name, v in (("event-loop lag, no indexing", r["baseline"]), ("event-loop lag while indexing", r["lags"])):
        print(f"{name}: n={len(v)} p50 {statistics.median(v):.2f} ms, p95 {pct(v, 95):.2f} ms, "
              f"p99 {pct(v, 99):.2f} ms, max {max(v):.1f} ms")
    v = r["reads"]
    print(f"window search while indexing: n={len(v)} p50 {statistics.median(v):.1f} ms, p95 {pct(v, 95):.1f} ms, "
          f"max {max(v):.1f} ms")
    print(f"restart: {r['restart'].listed} listed, {r['restart'].parsed} parsed, {r['restart'].unchanged} unchanged "
          f"in {r['restart_s']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
