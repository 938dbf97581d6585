"""Subprocess helper: the real repository indexer over a generated tree (kill -9 and resource tests).

`python -m tests.index_worker churn DB ROOT SEED` — scan, then forever: change a few files on disk,
rescan, print the scan's figures (the parent kills it with SIGKILL at a random moment);
`python -m tests.index_worker once DB ROOT MAX_FILES` — one full scan, then print JSON figures:
scan stats, the index thread's nice value, RSS before the scan and the peak (VmHWM) after it.

`generate_tree` writes the small-file trees these tests index (fast: plain os calls).
"""
from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
from pathlib import Path

from cache.index.indexer import RepoIndex
from cache.index.scan import ScanRules
from completion.languages import language_for


def source(i: int, version: int = 0) -> str:
    return (f"import os\n\n\ndef func_{i}_v{version}(value, count={i % 7}):\n"
            f"    \"\"\"Helper number {i}.\"\"\"\n    return os.path.join(str(value), str(count + {version}))\n\n\n"
            f"class Thing{i}:\n    def method_{i}(self):\n        return func_{i}_v{version}(self, {i})\n")


def rel_path(i: int, per_dir: int = 100) -> str:
    return f"pkg{i // (per_dir * 50):02d}/mod{i // per_dir:04d}/file_{i}.py"


def generate_tree(root: Path, files: int, per_dir: int = 100) -> None:
    """`files` small Python files, `per_dir` to a folder, 50 folders to a package."""
    made: set[str] = set()
    for i in range(files):
        rel = rel_path(i, per_dir)
        folder = rel.rsplit("/", 1)[0]
        if folder not in made:
            os.makedirs(root / folder, exist_ok=True)
            made.add(folder)
        fd = os.open(root / rel, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, source(i).encode())
        finally:
            os.close(fd)


def change_files(root: Path, files: int, rng: random.Random, count: int) -> None:
    """Rewrite `count` random files with new content (a new version of their function)."""
    for i in rng.sample(range(files), min(count, files)):
        path = root / rel_path(i)
        path.write_text(source(i, rng.randrange(1, 10**6)))


def open_index(root: Path, db: Path, max_files: int = 100_000) -> RepoIndex:
    return RepoIndex(root, db, ScanRules(max_files=max_files), language_for)


def _status(key: str) -> int:
    """A `VmRSS`/`VmHWM` figure of this process in bytes (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


def thread_nice(native_id: int) -> int | None:
    """The nice value of one thread of this process (Linux: field 19 of /proc/self/task/TID/stat)."""
    try:
        stat = Path(f"/proc/self/task/{native_id}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[16])


def churn(db: Path, root: Path, seed: int) -> int:
    files = sum(1 for _ in root.rglob("*.py"))
    rng = random.Random(seed)
    index = open_index(root, db)
    index.start()
    while True:
        index.wait_idle()
        stats = index.last_scan
        print(f"scan parsed={stats.parsed} unchanged={stats.unchanged}", flush=True)
        change_files(root, files, rng, 40)
        index.rescan()


def once(db: Path, root: Path, max_files: int) -> int:
    rss_before = _status("VmRSS")
    index = open_index(root, db, max_files)
    t0 = time.perf_counter()
    index.start()
    index.wait_idle()
    seconds = time.perf_counter() - t0
    assert index._thread is not None and index._thread.native_id is not None
    nice = thread_nice(index._thread.native_id)  # the thread is still alive, waiting for work
    stats = index.last_scan
    out = {"listed": stats.listed, "parsed": stats.parsed, "unchanged": stats.unchanged, "seconds": seconds,
           "index_thread_nice": nice, "main_thread_nice": thread_nice(threading.get_native_id()),
           "rss_before": rss_before, "peak_rss": _status("VmHWM"), "rows": index.store.file_count()}
    index.close()
    print(json.dumps(out), flush=True)
    return 0


def main() -> int:
    mode, db, root = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    if mode == "churn":
        return churn(db, root, int(sys.argv[4]))
    if mode == "once":
        return once(db, root, int(sys.argv[4]))
    return 2


if __name__ == "__main__":
    sys.exit(main())
