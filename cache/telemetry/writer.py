"""A background thread that owns the telemetry database connection.

Why a thread and a queue: an SQLite write can wait seconds on another
process's lock (busy timeout) or on a slow disk, and the language server's event
loop must never wait for telemetry. `put` only appends to a bounded queue; the
thread batches events into one transaction each. When the database is locked
the batch is retried with back-off; when it stays unusable the batch is dropped
and logged — the server keeps serving. The file is opened lazily on the first
event, so a server that never completes anything creates no file.
"""
from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from typing import Any, Callable

from cache.telemetry.store import TelemetryError, TelemetryStore, is_corruption

log = logging.getLogger(__name__)
_STOP = object()
_FLUSH = "flush"


class TelemetryWriter:
    def __init__(
        self,
        store_factory: Callable[[], TelemetryStore],
        *,
        max_queue: int = 10_000,
        batch_size: int = 256,
        linger_s: float = 0.2,
        retries: int = 6,
        prune_every_s: float = 3600.0,
    ) -> None:
        self._factory = store_factory
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        self._batch_size = batch_size
        self._linger_s = linger_s
        self._retries = retries
        self._prune_every_s = prune_every_s
        self._store: TelemetryStore | None = None
        self._last_prune = 0.0
        self._closed = False
        self.written = 0
        self.dropped = 0
        self.failures = 0
        self._thread = threading.Thread(target=self._run, name="tabstop-telemetry", daemon=True)
        self._thread.start()

    # -- producer side (any thread, never blocks) -----------------------------------------
    def put(self, event: dict[str, Any]) -> bool:
        if self._closed:
            return False
        try:
            self._queue.put_nowait(event)
            return True
        except queue.Full:
            self.dropped += 1
            if self.dropped in (1, 100, 10_000):
                log.warning("telemetry queue full: %d events dropped so far", self.dropped)
            return False

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is written (or given up on). For tests and shutdown."""
        if self._closed or not self._thread.is_alive():
            return False
        done = threading.Event()
        try:
            self._queue.put((_FLUSH, done), timeout=timeout)
        except queue.Full:
            return False
        return done.wait(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the thread and close the database."""
        if self._closed:
            return
        self._closed = True
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            log.warning("telemetry: queue full at shutdown; %d events not written", self._queue.qsize())
            return
        self._thread.join(timeout)

    # -- the thread ------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            item = self._queue.get()
            batch: list[dict[str, Any]] = []
            waiters: list[threading.Event] = []
            stop = False
            deadline = time.monotonic() + self._linger_s
            while True:
                if item is _STOP:
                    stop = True
                elif isinstance(item, tuple) and item and item[0] == _FLUSH:
                    waiters.append(item[1])
                else:
                    batch.append(item)
                if stop or waiters or len(batch) >= self._batch_size:
                    break
                remaining = deadline - time.monotonic()
                try:
                    item = self._queue.get(timeout=max(0.0, remaining)) if remaining > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._write(batch)
            self._maybe_prune()
            for w in waiters:
                w.set()
            if stop:
                # Drain anything queued after the stop marker was placed (there should be none).
                rest = []
                while True:
                    try:
                        extra = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if isinstance(extra, dict):
                        rest.append(extra)
                if rest:
                    self._write(rest)
                if self._store is not None:
                    self._store.close()
                return

    def _ensure_store(self) -> TelemetryStore:
        if self._store is None or self._store.db is None:
            store = self._factory()
            store.open()
            self._store = store
        return self._store

    def _write(self, batch: list[dict[str, Any]]) -> None:
        delay = 0.05
        for attempt in range(self._retries + 1):
            try:
                store = self._ensure_store()
                self.written += store.write(batch)
                return
            except sqlite3.DatabaseError as exc:
                if is_corruption(exc) and self._store is not None:
                    log.error("telemetry database damaged (%s): moving it aside and rebuilding", exc)
                    try:
                        self._store.quarantine()
                    except TelemetryError as qexc:
                        log.error("%s", qexc)
                        break
                    continue
                log.info("telemetry write attempt %d failed: %s", attempt + 1, exc)
            except (OSError, TelemetryError) as exc:
                log.info("telemetry write attempt %d failed: %s", attempt + 1, exc)
                if self._store is not None:
                    self._store.close()
            except (sqlite3.InterfaceError, ValueError, TypeError) as exc:  # a bad event: retrying cannot help
                self.failures += 1
                self.dropped += len(batch)
                log.error("telemetry: dropping %d events that cannot be stored: %s", len(batch), exc)
                return
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
        self.failures += 1
        self.dropped += len(batch)
        log.error("telemetry: gave up writing %d events (database unavailable)", len(batch))

    def _maybe_prune(self) -> None:
        if self._store is None or self._store.db is None:
            return
        now = time.monotonic()
        if now - self._last_prune < self._prune_every_s:
            return
        self._last_prune = now
        try:
            self._store.prune()
        except sqlite3.Error as exc:
            log.info("telemetry prune skipped: %s", exc)
