"""kill -9 the real indexer (a subprocess scanning a tree whose files keep changing) at random points.

After each kill the file must pass `PRAGMA integrity_check`, never be judged damaged, and a restart
must reuse every row that still matches the disk (a file already indexed is not parsed again).
`benchmarks/kill9_stores.py` runs the same many more times.
"""
from __future__ import annotations

from tests.killnine import index_kill_runs


def test_killed_indexer_leaves_a_sound_reusable_index(tmp_path):
    figures = index_kill_runs(tmp_path, runs=6, files=1200, seed=3)
    assert figures.runs == 6
    assert figures.integrity_failures == 0 and figures.judged_damaged == 0
    assert figures.files_up_to_date > 0  # the kills left finished work behind ...
    assert figures.reparsed_up_to_date == 0  # ... and the restarts reused all of it
