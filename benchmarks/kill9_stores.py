"""kill -9 the real writers of the two stores many times; print the figures.

    .venv/bin/python benchmarks/kill9_stores.py --index-runs 100 --telemetry-runs 100

* index: a subprocess runs the real RepoIndex over a generated tree (`--files`) whose files keep
  changing (the parent changes some before each run, the child changes 40 and rescans, forever),
  killed with SIGKILL after 0.3-2 s; then `PRAGMA integrity_check`, and a restart in this process
  that must reuse every row still matching the disk (counted: rows up to date, of those re-parsed).
* telemetry: a subprocess writes events through the real TelemetryWriter and prints how many are
  acknowledged after each flush; killed after 0.4-1.5 s; every acknowledged event must be there.

`benchmarks/kill9_sqlite.py` does the same for a bare `cache.safedb` writer. See docs/robustness.md.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.killnine import index_kill_runs, telemetry_kill_runs  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index-runs", type=int, default=100)
    ap.add_argument("--telemetry-runs", type=int, default=100)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    ok = True
    if args.index_runs:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            f = index_kill_runs(Path(tmp), args.index_runs, files=args.files, seed=args.seed)
        print(f"index kill -9: {f.runs} runs ({f.killed_in_first_scan} during the child's first scan), "
              f"{f.integrity_failures} integrity failures, {f.judged_damaged} files judged damaged, "
              f"{f.files_up_to_date} rows up to date after the kills, {f.reparsed_up_to_date} of them parsed again "
              f"on restart, {time.perf_counter() - t0:.0f} s")
        ok &= f.integrity_failures == 0 and f.judged_damaged == 0 and f.reparsed_up_to_date == 0
    if args.telemetry_runs:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            f = telemetry_kill_runs(Path(tmp), args.telemetry_runs, seed=args.seed)
        print(f"telemetry kill -9: {f.runs} runs, {f.events_acknowledged} events acknowledged, {f.events_lost} lost, "
              f"{f.integrity_failures} integrity failures, {f.judged_damaged} files judged damaged, "
              f"{time.perf_counter() - t0:.0f} s")
        ok &= f.events_lost == 0 and f.integrity_failures == 0 and f.judged_damaged == 0
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) at the end; {os.cpu_count()} CPUs")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
