"""SQLite access for the repository index: writes from the indexer thread, reads from anywhere.

Each thread gets its own connection (sqlite3 connections are not shared across
threads); WAL lets readers run while the indexer writes, so a completion never
waits for indexing. A write is one transaction, or part of a scan's batch committed
every fraction of a second, so a process killed at any instant leaves every file it
committed indexed (and reused on restart).
"""
from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from cache.index.bases import base_keys
from cache.index.model import FileExtract, Import, Symbol
from cache.index.schema import migrate
from cache.index.tokens import fts_query
from cache.index.windows import Window
from cache.safedb import Check, OpenedDatabase, configure, is_damage, move_aside, open_database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileRow:
    id: int
    path: str
    language: str
    size: int
    mtime_ns: int
    hash: str
    lines: int
    source: str


@dataclass(frozen=True)
class WindowHit:
    path: str
    start: int
    end: int  # exclusive
    score: float  # BM25, higher is better
    tokens: str


class IndexStore:
    """Opened lazily, on first use (the indexer thread's, normally), through `cache.safedb`.

    Lazily because the integrity check reads the whole file (0.1 s for 50,000 files
    while idle, more under load) and the store is created on the server's event loop. A damaged file
    is moved aside and rebuilt; the index is only a cache of the folder, so a
    rebuild costs a rescan, never data. If no file can be used at all the index
    lives in memory for the session (one connection shared by every thread).
    """

    def __init__(self, path: Path | str, *, check: Check = "quick") -> None:
        self.path = Path(path)
        self.check: Check = check
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._opened: OpenedDatabase | None = None
        self._batching = False  # only the indexer thread writes

    @property
    def opened(self) -> OpenedDatabase:
        """The result of opening (where a damaged file went, whether it is in memory)."""
        self.conn()
        assert self._opened is not None
        return self._opened

    def conn(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is not None:
            return db
        with self._lock:
            if self._opened is None:
                self._opened = open_database(self.path, check=self.check, setup=migrate, what="repository index")
                db = self._opened.conn
            elif self._opened.in_memory:
                db = self._opened.conn  # an in-memory database exists on its connection only
            else:
                db = sqlite3.connect(self.path, timeout=5.0, check_same_thread=False)
                configure(db)
            db.execute("PRAGMA cache_size=-8000")  # 8 MB page cache per connection: bounded memory
            if db not in self._all:
                self._all.append(db)
        self._local.db = db
        return db

    def close(self) -> None:
        with self._lock:
            for db in self._all:
                try:
                    db.close()
                except sqlite3.Error:
                    pass
            self._all.clear()
            self._opened = None
        self._local = threading.local()

    def recover(self, exc: BaseException) -> bool:
        """A query found the file damaged mid-session: move it aside and start empty (the caller rescans).

        Returns False when `exc` is not damage (nothing done).
        """
        if not is_damage(exc):
            return False
        self.close()
        try:
            moved = move_aside(self.path)
        except OSError as move_exc:
            log.error("repository index %s is damaged (%s) and cannot be moved aside: %s", self.path, exc, move_exc)
        else:
            log.warning("repository index %s is damaged (%s); moved it to %s and rebuilding", self.path, exc, moved)
        return True

    # -- writes (indexer thread) --------------------------------------------------------------
    @contextlib.contextmanager
    def _tx(self, db: sqlite3.Connection) -> Iterator[None]:
        """One write: its own transaction, or part of the open `batch()`."""
        if self._batching:
            yield
            return
        with db:
            yield

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group many file writes into few transactions (the scan): call `commit()` now and then.

        A transaction per file cost more than parsing the file (each commit also flushes a
        new FTS5 segment). A process killed mid-batch loses only the uncommitted files,
        which the next scan finds unchanged-on-disk-but-not-indexed and parses again.
        """
        db = self.conn()
        self._batching = True
        try:
            yield
            db.commit()
        except BaseException:
            if db.in_transaction:
                db.rollback()
            raise
        finally:
            self._batching = False

    def commit(self) -> None:
        """End the current batch's transaction (so readers in other processes see it, and locks go)."""
        db = self.conn()
        if db.in_transaction:
            db.commit()

    def file_rows(self) -> dict[str, FileRow]:
        rows = self.conn().execute("SELECT id, path, language, size, mtime_ns, hash, lines, source FROM files")
        return {r[1]: FileRow(*r) for r in rows}

    def file_count(self) -> int:
        return self.conn().execute("SELECT count(*) FROM files").fetchone()[0]

    def iter_paths(self, batch: int = 2000) -> Iterator[str]:
        """Every indexed path, in pages (no full listing in memory; safe to write between pages)."""
        last = ""
        while True:
            rows = self.conn().execute("SELECT path FROM files WHERE path > ? ORDER BY path LIMIT ?",
                                       (last, batch)).fetchall()
            if not rows:
                return
            yield from (r[0] for r in rows)
            last = rows[-1][0]

    def replace_file(self, rel: str, language: str, size: int, mtime_ns: int, digest: str, lines: int,
                     extract: FileExtract, windows: Sequence[Window], source: str = "disk") -> None:
        db = self.conn()
        name = rel.rsplit("/", 1)[-1]
        with self._tx(db):
            old = db.execute("SELECT id FROM files WHERE path = ?", (rel,)).fetchone()
            if old is not None:
                self._delete_ids(db, [old[0]])
            cur = db.execute(
                "INSERT INTO files (path, name, language, size, mtime_ns, hash, lines, parsed, source) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (rel, name, language, size, mtime_ns, digest, lines, int(extract.parsed), source),
            )
            fid = cur.lastrowid
            db.executemany(
                "INSERT INTO symbols (file_id, name, kind, parent, signature, doc, start_line, end_line) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(fid, s.name, s.kind, s.parent, s.signature, s.doc, s.start_line, s.end_line) for s in extract.symbols],
            )
            db.executemany("INSERT INTO bases (file_id, class, start_line, base) VALUES (?, ?, ?, ?)",
                           [(fid, s.name, s.start_line, base) for s in extract.symbols if s.kind == "class"
                            for base in base_keys(s.signature, language)])
            db.executemany("INSERT INTO imports (file_id, module, name, local, line) VALUES (?, ?, ?, ?, ?)",
                           [(fid, i.module, i.name, i.local, i.line) for i in extract.imports])
            db.executemany("INSERT INTO windows (file_id, start_line, end_line, tokens) VALUES (?, ?, ?, ?)",
                           [(fid, w.start, w.end, w.tokens) for w in windows])

    def touch_file(self, file_id: int, size: int, mtime_ns: int) -> None:
        db = self.conn()
        with self._tx(db):
            db.execute("UPDATE files SET size = ?, mtime_ns = ?, source = 'disk' WHERE id = ?", (size, mtime_ns, file_id))

    def delete_paths(self, paths: Iterable[str]) -> int:
        db = self.conn()
        ids = []
        for p in paths:
            row = db.execute("SELECT id FROM files WHERE path = ?", (p,)).fetchone()
            if row is not None:
                ids.append(row[0])
        if ids:
            with self._tx(db):
                self._delete_ids(db, ids)
        return len(ids)

    @staticmethod
    def _delete_ids(db: sqlite3.Connection, ids: list[int]) -> None:
        for fid in ids:
            # Explicit child deletes: the FTS trigger must see each window row go.
            db.execute("DELETE FROM windows WHERE file_id = ?", (fid,))
            db.execute("DELETE FROM symbols WHERE file_id = ?", (fid,))
            db.execute("DELETE FROM imports WHERE file_id = ?", (fid,))
            db.execute("DELETE FROM bases WHERE file_id = ?", (fid,))
            db.execute("DELETE FROM files WHERE id = ?", (fid,))

    def mark_all_stale(self, meta_key: str, meta_value: str) -> int:
        """Make every file's rows look out of date (so the next scan re-reads each file) and record
        why in `meta`, in one transaction: a scan killed half-way still re-reads the rest next time."""
        db = self.conn()
        with self._tx(db):
            n = db.execute("UPDATE files SET hash = '', mtime_ns = -1").rowcount
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (meta_key, meta_value))
        return n

    def set_meta(self, key: str, value: str) -> None:
        db = self.conn()
        with self._tx(db):
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- reads (any thread) ---------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def counts(self) -> dict[str, int]:
        db = self.conn()
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("files", "symbols", "windows")}

    def file(self, rel: str) -> FileRow | None:
        r = self.conn().execute("SELECT id, path, language, size, mtime_ns, hash, lines, source FROM files "
                                "WHERE path = ?", (rel,)).fetchone()
        return FileRow(*r) if r else None

    def doc_counts(self, terms: Iterable[str]) -> dict[str, int]:
        """How many windows contain each term (FTS5 folds case, so terms are lower-cased)."""
        terms = list(dict.fromkeys(t.lower() for t in terms))
        if not terms:
            return {}
        marks = ",".join("?" * len(terms))
        rows = self.conn().execute(f"SELECT term, doc FROM windows_vocab WHERE term IN ({marks})", terms)
        return dict(rows.fetchall())

    def search_windows(self, terms: Sequence[str], limit: int = 20, require: str = "") -> list[WindowHit]:
        """Windows matching any of `terms`, best BM25 first; with `require`, only windows holding that
        identifier (ranked by it and the terms; with no terms, by it alone)."""
        query = fts_query(terms)
        if require:
            needed = fts_query([require])
            if not needed:
                return []
            query = f"{needed} AND ({query})" if query else needed
        if not query:
            return []
        db = self.conn()
        # Rank inside FTS5 alone (its ORDER BY rank LIMIT is optimised), then look up the few winners.
        ranked = db.execute("SELECT rowid, -rank FROM windows_fts WHERE windows_fts MATCH ? ORDER BY rank LIMIT ?",
                            (query, limit)).fetchall()
        if not ranked:
            return []
        marks = ",".join("?" * len(ranked))
        rows = db.execute(
            f"SELECT w.id, f.path, w.start_line, w.end_line, w.tokens FROM windows w JOIN files f ON f.id = w.file_id "
            f"WHERE w.id IN ({marks})", [r[0] for r in ranked]).fetchall()
        by_id = {r[0]: r for r in rows}
        return [WindowHit(by_id[i][1], by_id[i][2], by_id[i][3], score, by_id[i][4]) for i, score in ranked if i in by_id]

    def symbols_named(self, name: str, limit: int = 20) -> list[tuple[str, Symbol]]:
        rows = self.conn().execute(
            "SELECT f.path, s.name, s.kind, s.parent, s.signature, s.doc, s.start_line, s.end_line "
            "FROM symbols s JOIN files f ON f.id = s.file_id WHERE s.name = ? LIMIT ?", (name, limit))
        return [(r[0], Symbol(*r[1:])) for r in rows]

    def subclasses(self, name: str, language: str, limit: int = 33) -> list[tuple[str, Symbol]]:
        """Classes whose header names a base called `name` (`Base`, `mod.Base`: the caller checks which)."""
        rows = self.conn().execute(
            "SELECT f.path, s.name, s.kind, s.parent, s.signature, s.doc, s.start_line, s.end_line "
            "FROM bases b JOIN files f ON f.id = b.file_id JOIN symbols s ON s.file_id = b.file_id "
            "AND s.start_line = b.start_line AND s.name = b.class AND s.kind = 'class' "
            "WHERE b.base = ? AND f.language = ? LIMIT ?", (name, language, limit))
        return [(r[0], Symbol(*r[1:])) for r in rows]

    def symbols_of(self, rel: str, parent: str | None = None) -> list[Symbol]:
        sql = ("SELECT s.name, s.kind, s.parent, s.signature, s.doc, s.start_line, s.end_line FROM symbols s "
               "JOIN files f ON f.id = s.file_id WHERE f.path = ?")
        args: tuple = (rel,)
        if parent is not None:
            sql += " AND s.parent = ?"
            args = (rel, parent)
        return [Symbol(*r) for r in self.conn().execute(sql + " ORDER BY s.start_line", args)]

    def imports_of(self, rel: str) -> list[Import]:
        rows = self.conn().execute(
            "SELECT i.module, i.name, i.local, i.line FROM imports i JOIN files f ON f.id = i.file_id "
            "WHERE f.path = ? ORDER BY i.line", (rel,))
        return [Import(*r) for r in rows]

    def paths_named(self, name: str) -> list[str]:
        return [r[0] for r in self.conn().execute("SELECT path FROM files WHERE name = ?", (name,))]

    def paths_under(self, rel_dir: str, limit: int = 200) -> list[str]:
        prefix = rel_dir.rstrip("/") + "/" if rel_dir else ""
        # Only direct children: filtered in SQL, so files of subfolders cannot use up the limit.
        rows = self.conn().execute(
            "SELECT path FROM files WHERE path >= ? AND path < ? AND instr(substr(path, ?), '/') = 0 "
            "ORDER BY path LIMIT ?", (prefix, prefix + "\uffff", len(prefix) + 1, limit))
        return [r[0] for r in rows]

    def subpackages(self, rel_dir: str, limit: int = 200) -> list[str]:
        """Names of the folders directly under `rel_dir` that hold an `__init__.py` (Python packages)."""
        prefix = rel_dir.rstrip("/") + "/" if rel_dir else ""
        rows = self.conn().execute(
            "SELECT path FROM files WHERE path >= ? AND path < ? AND name = '__init__.py' ORDER BY path LIMIT ?",
            (prefix, prefix + "\uffff", limit * 20))
        rests = (r[0][len(prefix):] for r in rows)
        return [rest.split("/", 1)[0] for rest in rests if rest.count("/") == 1][:limit]

    def folders_with(self, language: str) -> list[str]:
        """Folders holding files of `language` (Go packages, Java packages)."""
        rows = self.conn().execute(
            "SELECT DISTINCT substr(path, 1, length(path) - length(name) - 1) FROM files WHERE language = ?",
            (language,))
        return [r[0] for r in rows]
