"""Open a SQLite database so that a damaged file never costs more than its own contents.

Every store (the repository index, telemetry, caches) opens its file here:

* WAL journal with `synchronous=NORMAL`: a committed transaction survives the
  process being killed (-9) at any instant (it is in the WAL before `commit`
  returns); only an OS crash or power loss can lose the last commits.
* An integrity check on open (`quick` by default: every page is read and
  checked, indexes are not cross-checked; `integrity` for the full check).
* A file that is not a database, fails the check, or cannot be opened at all
  (a directory in its place, no permission) is *moved aside* to
  `NAME.corrupt-<time>` with its -wal/-shm files, a warning names both paths,
  and a fresh database is created. At most `keep_corrupt` old copies are kept.
* If even a fresh file cannot be created (read-only or full disk, a locked
  database), the caller gets an in-memory database and an error in the log:
  the server keeps running without persistence rather than crash-looping.

Callers pass their schema set-up (`setup`, e.g. migrations); a corruption error
raised inside it is handled like a failed check.
"""
from __future__ import annotations

import logging
import os
import contextlib
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Literal, Sequence

log = logging.getLogger(__name__)

Check = Literal["quick", "integrity", "none"]
_SIDECARS = ("-wal", "-shm", "-journal")


class DatabaseDamaged(Exception):
    """The file is not a usable database (internal: triggers moving it aside)."""


@dataclass
class OpenedDatabase:
    conn: sqlite3.Connection
    path: Path
    recovered_from: Path | None = None  # where a damaged file was moved, if one was
    in_memory: bool = False  # the file could not be used at all; nothing will persist


def configure(conn: sqlite3.Connection, *, wal: bool = True, busy_timeout_ms: int = 5000) -> None:
    """The pragmas every connection to a store should have (also for extra per-thread connections)."""
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")


@contextlib.contextmanager
def immediate_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception (KeyboardInterrupt included).

    IMMEDIATE takes the write lock at the start, so a busy database fails here, before
    any work, and several processes writing one file never deadlock on lock upgrades.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise


def is_damage(exc: BaseException) -> bool:
    """Whether a sqlite error means the file itself is bad (as opposed to busy, or a bug in SQL)."""
    if isinstance(exc, DatabaseDamaged):
        return True
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CANTOPEN):
        return True
    text = str(exc).lower()
    return any(s in text for s in ("malformed", "not a database", "unable to open", "corrupt"))


def _check(conn: sqlite3.Connection, check: Check) -> None:
    if check == "none":
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # reads the header and schema
        return
    rows = conn.execute("PRAGMA quick_check" if check == "quick" else "PRAGMA integrity_check").fetchall()
    if [r[0] for r in rows] != ["ok"]:
        raise DatabaseDamaged(damage_summary([str(r[0]) for r in rows]))


def damage_summary(problems: Sequence[str]) -> str:
    """One log line for an integrity check's report: its rows often span several lines
    ("*** in database main ***\nPage 3: …") and a damaged file reports hundreds."""
    first = " ".join(problems[0].split())[:200] if problems else "unknown damage"
    return f"{first} ({len(problems)} problem{'s' if len(problems) != 1 else ''} reported)"


def _connect(path: Path, *, check: Check, wal: bool, timeout: float, check_same_thread: bool,
             setup: Callable[[sqlite3.Connection], None] | None, pragmas: Sequence[str] = ()) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=timeout, check_same_thread=check_same_thread)
    try:
        for pragma in pragmas:  # before WAL: some (auto_vacuum) only take effect on an empty file
            conn.execute(f"PRAGMA {pragma}")
        configure(conn, wal=wal, busy_timeout_ms=int(timeout * 1000))
        _check(conn, check)
        if setup is not None:
            setup(conn)
        return conn
    except BaseException:
        conn.close()
        raise


def move_aside(path: Path, keep: int = 3) -> Path:
    """Rename a damaged database (and its sidecar files) to NAME.corrupt-<time>; prune old copies."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    os.replace(path, target)
    for suffix in _SIDECARS:
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, target.with_name(target.name + suffix))
    _prune(path, keep)
    return target


def _prune(path: Path, keep: int) -> None:
    copies = sorted(p for p in path.parent.glob(f"{path.name}.corrupt-*") if not p.name.endswith(_SIDECARS))
    for old in copies[: max(0, len(copies) - keep)]:
        for victim in [old, *(old.with_name(old.name + s) for s in _SIDECARS)]:
            try:
                if victim.is_dir():
                    shutil.rmtree(victim)
                elif victim.exists():
                    victim.unlink()
            except OSError as exc:
                log.warning("could not remove old damaged copy %s: %s", victim, exc)


def open_database(
    path: str | Path,
    *,
    check: Check = "quick",
    setup: Callable[[sqlite3.Connection], None] | None = None,
    wal: bool = True,
    timeout: float = 5.0,
    check_same_thread: bool = False,
    keep_corrupt: int = 3,
    what: str = "database",
    pragmas: Sequence[str] = (),
    memory_fallback: bool = True,
) -> OpenedDatabase:
    """Open (creating if needed) and check a store; never raises for a bad file (see the module doc).

    `pragmas` run first on the connection (`auto_vacuum` must precede WAL on a new
    file). With `memory_fallback=False` a file that cannot be used for a reason
    other than damage (locked, read-only) raises instead: a caller that can retry
    later (telemetry's writer) must not silently keep its data in memory.
    """
    path = Path(path).expanduser()
    kwargs = dict(check=check, wal=wal, timeout=timeout, check_same_thread=check_same_thread, setup=setup,
                  pragmas=tuple(pragmas))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return OpenedDatabase(_connect(path, **kwargs), path)  # type: ignore[arg-type]
    except (sqlite3.Error, DatabaseDamaged, OSError) as exc:
        if not (is_damage(exc) and path.exists()):
            if not memory_fallback:
                raise
            return _in_memory(path, what, exc, setup)
        first = exc
    try:
        moved = move_aside(path, keep_corrupt)
    except OSError as exc:
        if not memory_fallback:
            raise
        return _in_memory(path, what, exc, setup)
    log.warning("%s %s is damaged (%s); moved it to %s and started a new one", what, path, first, moved)
    try:
        return OpenedDatabase(_connect(path, **kwargs), path, recovered_from=moved)  # type: ignore[arg-type]
    except (sqlite3.Error, DatabaseDamaged, OSError) as exc:
        if not memory_fallback:
            raise
        opened = _in_memory(path, what, exc, setup)
        opened.recovered_from = moved
        return opened


def _in_memory(path: Path, what: str, exc: BaseException, setup) -> OpenedDatabase:
    log.error("%s %s cannot be used (%s); keeping it in memory for this session only (nothing will be saved)",
              what, path, exc)
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.execute("PRAGMA foreign_keys = ON")
    if setup is not None:
        setup(conn)
    return OpenedDatabase(conn, path, in_memory=True)
