"""Indexing a 50,000-file tree: bounded memory, low CPU priority, and a restart that rescans nothing.

The indexer runs in a subprocess (`tests/index_worker.py once`) so that its peak RSS (VmHWM) is
its own, not pytest's. Speed and event-loop lag are measured by `benchmarks/index_resources.py`.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time

from cache.index.indexer import INDEX_NICE
from tests.conftest import ROOT, server_env
from tests.index_worker import change_files, generate_tree

FILES = 50_000
# What a scan may add to the process: the set of paths seen (~100 B each), one 8 MB SQLite page
# cache per connection, one file's text and tree at a time. Measured: +18 MB for the first scan
# of 50,000 files, +16 MB for the restart. The scan before it streamed (a full listing plus every
# row loaded as an object) added 49 MB on the restart, so this cap fails for it.
SCAN_MEMORY_CAP = 32 * 1024 * 1024


def index_once(tmp_path, max_files: int = 100_000) -> dict:
    out = subprocess.run([sys.executable, "-m", "tests.index_worker", "once", str(tmp_path / "index.sqlite"),
                          str(tmp_path / "repo"), str(max_files)], cwd=ROOT, env=server_env(),
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_fifty_thousand_files_low_priority_bounded_memory_and_no_rescan(tmp_path):
    t0 = time.perf_counter()
    generate_tree(tmp_path / "repo", FILES)
    assert time.perf_counter() - t0 < 60  # generation must stay quick (it is ~5 s idle)
    first = index_once(tmp_path)
    assert first["listed"] == FILES and first["parsed"] == FILES and first["rows"] == FILES
    assert first["index_thread_nice"] == INDEX_NICE and first["main_thread_nice"] == 0
    assert first["peak_rss"] - first["rss_before"] < SCAN_MEMORY_CAP, first
    change_files(tmp_path / "repo", FILES, __import__("random").Random(1), 25)
    second = index_once(tmp_path)  # the next launch: nothing parsed again but the 25 changed files
    assert second["listed"] == FILES and second["parsed"] == 25 and second["unchanged"] == FILES - 25
    assert second["peak_rss"] - second["rss_before"] < SCAN_MEMORY_CAP, second


def test_file_count_cap_stops_the_walk_and_keeps_what_it_indexed(tmp_path):
    generate_tree(tmp_path / "repo", 3000)
    capped = index_once(tmp_path, max_files=1000)
    assert capped["listed"] == 1000 and capped["rows"] == 1000
    again = index_once(tmp_path, max_files=1000)
    assert again["parsed"] == 0 and again["unchanged"] == 1000
