"""The repository index of one workspace folder, built and kept current by one background thread.

Why one low-priority thread: parsing is CPU work that must never delay a
completion. The thread runs at a low OS priority (Linux priorities are per
thread), yields between files, and pauses entirely while a completion is
gathering context (`busy()`), so the event loop and the inference thread are
not kept waiting for the GIL. Work is a queue of jobs; buffer updates for the
same file coalesce (the newest text wins).

Restarts reuse the database: a file whose size and mtime are unchanged is
skipped without being read; one whose content hash is unchanged is not re-parsed.
"""
from __future__ import annotations

import collections
import contextlib
import hashlib
import logging
import os
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import platformdirs

from cache.index import languages
from cache.index.extract import extract
from cache.index.model import FileExtract
from cache.index.scan import FileEntry, IgnoreRules, ScanRules, looks_binary_or_generated, should_index, walk
from cache.index.store import FileRow, IndexStore
from cache.index.windows import line_windows, split_lines

log = logging.getLogger(__name__)
ProgressCallback = Callable[[str, str, "int | None"], None]  # (begin|report|end, message, percentage)
INDEX_DIR_ENV = "TABSTOP_INDEX_DIR"
# Nice 10, not 19: at 19 a thread gets ~1.5% of a core against any busy process, and on a shared
# machine the first index would take hours. Against our own inference thread 10 still yields ~90%,
# and `busy()` pauses indexing outright while a request gathers context.
INDEX_NICE = 10
BUFFER_DEBOUNCE_S = 0.4
EXTRACTION_META = "extraction_version"  # meta key: languages.extraction_version() of the code that wrote the rows
SCAN_COMMIT_S = 0.25  # a scan commits its batch this often (what a kill -9 can cost)


def default_db_path(root: Path, directory: str = "") -> Path:
    """One database per folder, under the user cache dir (`TABSTOP_INDEX_DIR` or a setting overrides)."""
    base = Path(directory or os.environ.get(INDEX_DIR_ENV) or platformdirs.user_cache_dir("tabstop")) / "index"
    digest = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:12]
    return base / f"{root.name or 'root'}-{digest}.sqlite"


@dataclass
class ScanStats:
    listed: int = 0
    parsed: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class _Job:
    kind: str  # scan | paths | text | stop
    changed: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    done: threading.Event | None = field(default=None, compare=False)


def content_digest(data: bytes) -> str:
    """What a file row's `hash` holds: equal digests mean the row was extracted from these bytes."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class RepoIndex:
    """Index of one folder. Write methods enqueue work; read methods go to SQLite directly."""

    def __init__(self, root: Path | str, db_path: Path | str | None = None, rules: ScanRules | None = None,
                 language_of: Callable[[str], str] | None = None, on_progress: ProgressCallback | None = None,
                 read_cache_files: int = 64) -> None:
        self.root = Path(root).resolve()
        self._root_prefix = str(self.root).rstrip(os.sep) + os.sep
        self.rules = rules or ScanRules()
        self.language_of = language_of or (lambda name: "plaintext")
        self.store = IndexStore(db_path or default_db_path(self.root))
        self.on_progress = on_progress or (lambda kind, message, pct: None)
        self.ignore = IgnoreRules(self.root, self.rules.exclude)
        self.ready = threading.Event()  # the first full scan finished
        self.last_scan = ScanStats()
        self._jobs: queue.Queue[_Job] = queue.Queue()
        self._texts: dict[str, str] = {}
        self._live: set[str] = set()  # files open in an editor: their buffer, not the disk, is the truth
        self._last_text = 0.0
        self._texts_lock = threading.Lock()
        self._busy = 0
        self._busy_lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._recoveries = 0  # damaged files rebuilt this session (bounded: never a loop)
        self._lines: collections.OrderedDict[str, tuple[int, list[str]]] = collections.OrderedDict()
        self._lines_max = read_cache_files

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self, scan: bool = True) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"tabstop-index:{self.root.name}", daemon=True)
            self._thread.start()
        if scan:
            self._jobs.put(_Job("scan"))

    def close(self, timeout: float = 5.0) -> None:
        self._stopping = True
        if self._thread is not None:
            self._jobs.put(_Job("stop"))
            self._thread.join(timeout)
            self._thread = None
        self.store.close()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every queued job is done (tests, the CLI and the eval harness)."""
        done = threading.Event()
        self._jobs.put(_Job("paths", done=done))
        return done.wait(timeout)

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """Pause indexing while a completion gathers context (reads never wait for it)."""
        with self._busy_lock:
            self._busy += 1
            self._idle.clear()
        try:
            yield
        finally:
            with self._busy_lock:
                self._busy -= 1
                if self._busy == 0:
                    self._idle.set()

    # -- requests (any thread) ----------------------------------------------------------------------
    def rel(self, path: str | Path) -> str | None:
        """Posix path relative to the root, or None when outside it (called per request: string work first)."""
        text = os.path.abspath(path)
        if text.startswith(self._root_prefix):
            return text[len(self._root_prefix):].replace(os.sep, "/")
        try:
            rel = Path(path).resolve().relative_to(self.root)  # through symlinks: slower, rarely needed
        except (ValueError, OSError):
            return None
        return rel.as_posix()

    def covers(self, rel: str) -> bool:
        return should_index(self.root, rel, self.rules, self.ignore, self.language_of)

    def submit_text(self, rel: str, text: str) -> None:
        """An editor buffer's current text (didOpen/didChange): indexed in place of the disk file."""
        with self._texts_lock:
            fresh = rel not in self._texts
            self._texts[rel] = text
            self._live.add(rel)
            self._last_text = time.monotonic()
        if fresh:
            self._jobs.put(_Job("text", changed=(rel,)))

    def release_text(self, rel: str) -> None:
        """The editor closed the file: the disk is the truth again."""
        with self._texts_lock:
            self._live.discard(rel)
            self._texts.pop(rel, None)
        self.submit_paths(changed=(rel,))

    def submit_paths(self, changed: tuple[str, ...] = (), deleted: tuple[str, ...] = ()) -> None:
        """Files created/changed/deleted on disk (didSave, didChangeWatchedFiles)."""
        if changed or deleted:
            self._jobs.put(_Job("paths", changed=tuple(changed), deleted=tuple(deleted)))

    def rescan(self) -> None:
        self._jobs.put(_Job("scan"))

    # -- reading text back ----------------------------------------------------------------------
    def read_lines(self, rel: str) -> list[str] | None:
        """The file's current lines from disk (small LRU keyed by mtime), None if unreadable."""
        path = self.root / rel
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            return None
        hit = self._lines.get(rel)
        if hit is not None and hit[0] == mtime:
            self._lines.move_to_end(rel)
            return hit[1]
        try:
            lines = split_lines(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return None
        self._lines[rel] = (mtime, lines)
        while len(self._lines) > self._lines_max:
            self._lines.popitem(last=False)
        return lines

    # -- the worker -----------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), INDEX_NICE)
        except (AttributeError, OSError) as exc:  # not Linux, or not permitted
            log.debug("index thread keeps normal priority: %s", exc)
        self.store.conn()  # open and check the file here, off the event loop
        while True:
            job = self._jobs.get()
            if job.kind == "stop":
                return
            try:
                if job.kind == "scan":
                    self._scan()
                elif job.kind == "text":
                    self._index_buffers()
                elif job.kind == "paths":
                    self._index_paths(job.changed, job.deleted)
            except sqlite3.DatabaseError as exc:
                # Damaged mid-session: moved aside and rebuilt by a rescan, a few times at most (no loop).
                if self._recoveries < 3 and self.store.recover(exc):
                    self._recoveries += 1
                    self._jobs.put(_Job("scan"))
                else:
                    log.exception("index job %s failed", job.kind)
            except Exception:  # one bad job must not end indexing for the session
                log.exception("index job %s failed", job.kind)
            finally:
                if job.done is not None:
                    job.done.set()

    def _yield(self) -> None:
        """Let completions run first: wait while one gathers context, and give up the GIL."""
        if not self._idle.is_set():
            self.store.commit()  # never hold the write lock while waiting
            self._idle.wait(1.0)
        time.sleep(0)

    def _scan(self) -> None:
        """One pass over the folder, streaming: memory is O(files) for the set of paths seen, nothing more.

        The walk is consumed as it goes (no listing held), each file's row is looked
        up by its primary key instead of loading every row, and removed files are
        found by paging through the table afterwards. Writes are committed every
        SCAN_COMMIT_S, so a scan killed at any point resumes on the next launch
        where it stopped, losing at most that much work.
        """
        t0 = time.perf_counter()
        stats = ScanStats()
        self.ignore = IgnoreRules(self.root, self.rules.exclude)
        version = languages.extraction_version()
        if self.store.meta(EXTRACTION_META) != version:
            stale = self.store.mark_all_stale(EXTRACTION_META, version)
            if stale:
                log.info("index %s: built by another version of the extraction code: re-reading its %d files",
                         self.root.name, stale)
        self.on_progress("begin", f"Indexing {self.root.name}", 0)
        expected = self.store.file_count()  # last time's count: a guess for the percentage
        seen: set[str] = set()
        last_report = last_commit = 0.0
        with self.store.batch():
            for entry in walk(self.root, self.rules, self.ignore, self.language_of):
                if self._stopping:
                    return
                now = time.monotonic()
                if now - last_commit > SCAN_COMMIT_S:
                    last_commit = now
                    self.store.commit()
                if self._scan_entry(entry, stats, seen) and now - last_report > 0.5:
                    last_report = now
                    pct = min(99, int(100 * stats.listed / expected)) if expected else None
                    self.on_progress("report", f"{stats.listed} files", pct)
        gone = [p for p in self.store.iter_paths() if p not in seen]
        stats.removed = self.store.delete_paths(gone)
        stats.seconds = time.perf_counter() - t0
        self.last_scan = stats
        self.store.set_meta("last_scan", str(time.time()))
        self.ready.set()
        log.info("index %s: %d files (%d parsed, %d unchanged, %d removed, %d skipped) in %.1fs", self.root.name,
                 stats.listed, stats.parsed, stats.unchanged, stats.removed, stats.skipped, stats.seconds)
        self.on_progress("end", f"Indexed {stats.listed} files", 100)

    def _scan_entry(self, entry: FileEntry, stats: ScanStats, seen: set[str]) -> bool:
        """One file of a scan; True when it had to be read."""
        stats.listed += 1
        seen.add(entry.rel)
        if entry.rel in self._live:
            return False
        row = self.store.file(entry.rel)
        if row is not None and row.source == "disk" and row.size == entry.size and row.mtime_ns == entry.mtime_ns:
            stats.unchanged += 1
            return False
        self._yield()
        outcome = self._index_disk_file(entry.rel, row)
        if outcome == "parsed":
            stats.parsed += 1
        elif outcome == "unchanged":
            stats.unchanged += 1
        else:
            stats.skipped += 1
        return True

    def _index_paths(self, changed: tuple[str, ...], deleted: tuple[str, ...]) -> None:
        if deleted:
            self.store.delete_paths(deleted)
        for rel in changed:
            if rel.endswith(".gitignore"):
                self.ignore.forget(rel.rsplit("/", 1)[0] if "/" in rel else "")
                continue
            self._yield()
            if rel in self._live and self.store.file(rel) is not None:
                row = self.store.file(rel)
                if row is not None and row.source == "buffer":
                    continue  # the open buffer is newer than (or equal to) what was saved
            if not self.covers(rel):
                self.store.delete_paths([rel])
                continue
            self._index_disk_file(rel, self.store.file(rel))

    def _index_buffers(self) -> None:
        # Debounce: while the user is typing, parse once they pause, not on every keystroke.
        while not self._stopping and time.monotonic() - self._last_text < BUFFER_DEBOUNCE_S:
            time.sleep(0.05)
        with self._texts_lock:
            texts, self._texts = self._texts, {}
        for rel, text in texts.items():
            self._yield()
            data = text.encode("utf-8", "replace")
            if len(data) > self.rules.max_file_bytes:
                continue
            row = self.store.file(rel)
            digest = content_digest(data)
            if row is not None and row.hash == digest:
                continue
            self._write(rel, text, len(data), row.mtime_ns if row else 0, digest, source="buffer")

    def _index_disk_file(self, rel: str, row: FileRow | None) -> str:
        path = self.root / rel
        try:
            st = path.stat()
            if st.st_size > self.rules.max_file_bytes:
                self.store.delete_paths([rel])
                return "skipped"
            data = path.read_bytes()
        except OSError:
            self.store.delete_paths([rel])
            return "skipped"
        if looks_binary_or_generated(data):
            self.store.delete_paths([rel])
            return "skipped"
        digest = content_digest(data)
        if row is not None and row.hash == digest:
            self.store.touch_file(row.id, st.st_size, st.st_mtime_ns)
            return "unchanged"
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            self.store.delete_paths([rel])
            return "skipped"
        self._write(rel, text, st.st_size, st.st_mtime_ns, digest, source="disk")
        return "parsed"

    def _write(self, rel: str, text: str, size: int, mtime_ns: int, digest: str, source: str) -> None:
        language = self.language_of(rel)
        lines = split_lines(text)
        result = FileExtract(language)
        if languages.supported(language):
            try:
                result = extract(text, language)
            except (ValueError, RuntimeError) as exc:
                log.debug("parse failed for %s: %s", rel, exc)
        self.store.replace_file(rel, language, size, mtime_ns, digest, len(lines), result, line_windows(lines), source)
