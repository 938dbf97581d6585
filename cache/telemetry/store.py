"""The telemetry database: one SQLite file per user, written by several server processes.

Why these choices:
- WAL, so readers (`tabstop stats`) never block writers and several editor
  windows (one server process each) can append at once; a busy timeout makes a
  writer wait for the lock instead of failing.
- Every batch is one `BEGIN IMMEDIATE` transaction: it takes the write lock up
  front (no deadlock-prone lock upgrade) and is all-or-nothing, so a process
  killed mid-write leaves the file consistent and every committed row intact.
- `auto_vacuum=INCREMENTAL`, so pruning old rows (retention, size cap) gives the
  space back without a full VACUUM that would lock out the other processes.
- Code columns (opt-in) pass through `redact` here, at the last step before
  the disk, so no caller can store a secret by forgetting to.
- The file is opened through `cache.safedb`: a file that is not a database, or a
  malformed one, is moved aside (`telemetry.db.corrupt-<time>`, at most three
  copies kept) and rebuilt: telemetry is never worth a crash, nor a crash loop.

This module is synchronous: it runs on the writer thread (see `writer.py`) or in
the CLI, never on the server's event loop.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterable, Iterator

from sqlite_utils import Database

from cache.safedb import immediate_transaction, move_aside, open_database
from cache.telemetry.migrations import migrate
from cache.telemetry.redact import redact

log = logging.getLogger(__name__)
KINDS = ("requested", "shown", "accepted", "partial", "rejected", "outcome")
JSON_COLUMNS = ("features", "context_kinds")
CODE_COLUMNS = ("prefix", "suffix", "completion")  # opt-in only; always redacted on the way in


class TelemetryError(Exception):
    """The telemetry database cannot be used (and could not be rebuilt)."""


def is_corruption(exc: BaseException) -> bool:
    """A damaged file, as opposed to a busy or read-only one (those are OperationalError)."""
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(
        exc, (sqlite3.OperationalError, sqlite3.IntegrityError, sqlite3.ProgrammingError)
    )


class TelemetryStore:
    def __init__(self, path: str | Path, *, retention_days: int = 90, max_mb: float = 64,
                 busy_timeout_s: float = 10.0) -> None:
        self.path = Path(path)
        self.retention_days = retention_days
        self.max_mb = max_mb
        self.busy_timeout_s = busy_timeout_s
        self.db: Database | None = None
        self._columns: set[str] = set()
        self.recovered_from: Path | None = None  # where a damaged file was moved on open

    # -- lifecycle -------------------------------------------------------------------------
    def open(self) -> "TelemetryStore":
        """Connect, migrate; a corrupt file is moved aside and a new one created (`cache.safedb`)."""
        self._open_once()
        return self

    def _open_once(self) -> None:
        """Through `cache.safedb`: WAL, the quick check, a damaged file moved aside and rebuilt.

        A file that is only locked or unwritable raises (no in-memory fallback): the
        writer thread retries with back-off, and drops the batch only when it stays so.
        """
        self.close()
        opened = open_database(
            self.path, setup=lambda conn: migrate(Database(conn)), timeout=self.busy_timeout_s,
            what="telemetry database", pragmas=("auto_vacuum = INCREMENTAL",), memory_fallback=False)
        db = Database(opened.conn)
        self.db = db
        self.recovered_from = opened.recovered_from
        self._columns = {c.name for c in db["events"].columns}

    def close(self) -> None:
        if self.db is not None:
            try:
                self.db.conn.close()
            except sqlite3.Error:
                pass
            self.db = None

    def quarantine(self) -> Path:
        """Move the damaged file (and its WAL/SHM) aside; return where it went."""
        self.close()
        try:
            return move_aside(self.path)
        except FileNotFoundError:
            return self.path  # already gone (another process moved it): nothing to do
        except OSError as exc:
            log.error("cannot move %s aside: %s", self.path, exc)
            try:
                self.path.unlink()
            except OSError:
                raise TelemetryError(f"cannot remove damaged telemetry database {self.path}: {exc}") from exc
            return self.path

    def __enter__(self) -> "TelemetryStore":
        return self.open() if self.db is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------
    def _row(self, event: dict[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for key, value in event.items():
            if key not in self._columns or key == "id":
                continue
            if key in JSON_COLUMNS and not isinstance(value, (str, type(None))):
                value = json.dumps(value, sort_keys=True, separators=(",", ":"))
            elif isinstance(value, bool):
                value = int(value)
            elif key in CODE_COLUMNS and isinstance(value, str):
                value = redact(value)
            row[key] = value
        return row

    def write(self, events: Iterable[dict[str, Any]]) -> int:
        """Append events in one transaction; all are committed or none. Returns the count."""
        if self.db is None:
            self.open()
        assert self.db is not None
        rows = [self._row(e) for e in events]
        if not rows:
            return 0
        columns = sorted({k for r in rows for k in r})
        sql = f"insert into events ({', '.join(columns)}) values ({', '.join('?' for _ in columns)})"
        with immediate_transaction(self.db.conn) as conn:
            conn.executemany(sql, [tuple(r.get(c) for c in columns) for r in rows])
        return len(rows)

    # -- bounds ----------------------------------------------------------------------------
    def used_bytes(self) -> int:
        assert self.db is not None
        conn = self.db.conn
        pages = conn.execute("PRAGMA page_count").fetchone()[0] - conn.execute("PRAGMA freelist_count").fetchone()[0]
        return pages * conn.execute("PRAGMA page_size").fetchone()[0]

    def prune(self, now: float | None = None) -> int:
        """Delete events past retention, then the oldest until under `max_mb`. Returns rows deleted."""
        if self.db is None:
            self.open()
        assert self.db is not None
        conn = self.db.conn
        now = time.time() if now is None else now
        deleted = 0
        if self.retention_days > 0:
            cur = conn.execute("delete from events where ts < ?", (now - self.retention_days * 86400,))
            conn.commit()
            deleted += cur.rowcount
        limit = int(self.max_mb * 1024 * 1024)
        while self.max_mb > 0 and self.used_bytes() > limit:
            total = conn.execute("select count(*) from events").fetchone()[0]
            if total == 0:
                break
            chunk = max(100, total // 10)  # oldest tenth at a time: few rounds, little over-deletion
            cur = conn.execute(
                "delete from events where id in (select id from events order by ts, id limit ?)", (chunk,))
            conn.commit()
            deleted += cur.rowcount
        if deleted:
            conn.execute("PRAGMA incremental_vacuum")
            conn.commit()
            log.info("telemetry: pruned %d old events from %s", deleted, self.path)
        return deleted

    # -- reading ---------------------------------------------------------------------------
    def events(self, since: float | None = None, kinds: Iterable[str] | None = None) -> Iterator[dict[str, Any]]:
        """Events in time order, JSON columns decoded."""
        if self.db is None:
            self.open()
        assert self.db is not None
        where, params = [], []
        if since is not None:
            where.append("ts >= ?")
            params.append(since)
        if kinds:
            kinds = list(kinds)
            where.append(f"kind in ({', '.join('?' for _ in kinds)})")
            params.extend(kinds)
        sql = "select * from events" + (f" where {' and '.join(where)}" if where else "") + " order by ts, id"
        for row in self.db.query(sql, params):
            for key in JSON_COLUMNS:
                if row.get(key):
                    try:
                        row[key] = json.loads(row[key])
                    except ValueError:
                        row[key] = None
            yield row

    def count(self) -> int:
        if self.db is None:
            self.open()
        assert self.db is not None
        return self.db.execute("select count(*) from events").fetchone()[0]

    def integrity(self) -> str:
        assert self.db is not None
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]
