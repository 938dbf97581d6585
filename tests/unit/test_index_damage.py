"""A damaged or unusable repository index file is moved aside and rebuilt (real files, the real indexer)."""
from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

from cache.index.indexer import RepoIndex
from cache.index.scan import ScanRules
from completion.languages import language_for


def make_repo(root: Path, files: int = 60) -> None:
    for i in range(files):
        path = root / f"pkg{i % 3}" / f"mod_{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"def function_{i}(x):\n    return x * {i}\n\nclass Widget{i}:\n    size = {i}\n" * 4)


def build(root: Path, db: Path) -> RepoIndex:
    index = RepoIndex(root, db, ScanRules(), language_for)
    index.start()
    assert index.wait_idle(60)
    return index


def symbol_names(index: RepoIndex) -> set[str]:
    return {r[0] for r in index.store.conn().execute("SELECT name FROM symbols")}


def test_garbage_in_place_of_the_index_is_moved_aside_and_rebuilt(tmp_path, caplog):
    make_repo(tmp_path / "repo")
    db = tmp_path / "index.sqlite"
    db.write_bytes(os.urandom(20_000))
    with caplog.at_level(logging.WARNING):
        index = build(tmp_path / "repo", db)
    try:
        moved = index.store.opened.recovered_from
        assert moved is not None and moved.exists() and moved.stat().st_size == 20_000
        assert "repository index" in caplog.text and str(moved) in caplog.text
        assert index.last_scan.parsed == 60 and "function_59" in symbol_names(index)
    finally:
        index.close()


def test_scribbled_pages_of_a_real_index_are_found_and_rebuilt_once(tmp_path):
    """A real index damaged in the middle (header intact): the check on open catches it, the next open is clean."""
    make_repo(tmp_path / "repo", files=300)
    db = tmp_path / "index.sqlite"
    first = build(tmp_path / "repo", db)
    first.store.conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    first.close()
    with open(db, "r+b") as fh:
        fh.seek(db.stat().st_size // 2)
        fh.write(os.urandom(4096 * 4))
    conn = sqlite3.connect(db)
    try:  # it really is damaged: the check reports it, or reading the schema already fails
        assert conn.execute("PRAGMA quick_check").fetchone()[0] != "ok"
    except sqlite3.DatabaseError as exc:
        assert "malformed" in str(exc)
    finally:
        conn.close()
    second = build(tmp_path / "repo", db)
    try:
        assert second.store.opened.recovered_from is not None
        assert second.last_scan.parsed == 300  # rebuilt from the folder: the index is only a cache
        assert second.store.conn().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        second.close()
    third = build(tmp_path / "repo", db)  # and no loop: the rebuilt file is reused as it is
    try:
        assert third.store.opened.recovered_from is None and third.last_scan.parsed == 0
        assert len(list(tmp_path.glob("index.sqlite.corrupt-*"))) == 1
    finally:
        third.close()


def test_unusable_location_indexes_in_memory(tmp_path, caplog):
    """A file where the index folder should be: the session still gets an index (in memory), no crash."""
    make_repo(tmp_path / "repo", files=5)
    (tmp_path / "blocked").write_text("a file, not a folder")
    with caplog.at_level(logging.ERROR):
        index = build(tmp_path / "repo", tmp_path / "blocked" / "index.sqlite")
    try:
        assert index.store.opened.in_memory and "in memory" in caplog.text
        assert "function_4" in symbol_names(index)
        assert index.store.symbols_named("Widget3")  # reads from another thread see the same database
    finally:
        index.close()


def test_damage_found_mid_session_rebuilds_the_index(tmp_path, caplog):
    """A query that finds the file damaged after opening: moved aside, rescanned, at most a few times."""
    make_repo(tmp_path / "repo", files=20)
    db = tmp_path / "index.sqlite"
    index = build(tmp_path / "repo", db)
    try:
        with caplog.at_level(logging.WARNING):
            assert index.store.recover(sqlite3.DatabaseError("database disk image is malformed"))
            index.rescan()
            assert index.wait_idle(60)
        assert list(tmp_path.glob("index.sqlite.corrupt-*")) and "rebuilding" in caplog.text
        assert index.last_scan.parsed == 20 and "function_19" in symbol_names(index)
        assert not index.store.recover(sqlite3.OperationalError("database is locked"))  # busy is not damage
    finally:
        index.close()
