"""Telemetry and the acceptance filter for one server process, built from the settings tree.

Owns the tracker (completion/flywheel), the writer thread (cache/telemetry) and
the filter gate. Nothing here blocks the event loop: events go into the
writer's queue, the filter model is loaded on a background thread, and the
"how much survived" check is a timer on the loop that reads the open document.
With telemetry off there is no writer at all — no thread, no file.
"""
from __future__ import annotations

import asyncio
import atexit
import logging
import threading
from pathlib import Path
from typing import Any

from cache.telemetry import TelemetryStore, TelemetryWriter, resolve_db_path, telemetry_enabled, user_data_dir
from completion.filter.gate import FilterGate, resolve_model_path
from completion.flywheel.tracker import FeedbackTracker
from lsp.settings import Settings
from lsp.docsync import find_document

log = logging.getLogger(__name__)


def _clamp01(x: float) -> float:
    return max(0.0, min(1.0, float(x)))


class Feedback:
    def __init__(self, settings: Settings) -> None:
        self.writer: TelemetryWriter | None = None
        self.db_path: Path | None = None
        self.model_path: Path | None = None
        self.gate = FilterGate()
        self.tracker = FeedbackTracker(None, gate=self.gate)
        self._writer_key: tuple[Any, ...] | None = None
        self._timers: set[asyncio.TimerHandle] = set()
        self.settings = settings
        self.configure(settings)
        atexit.register(self._atexit)

    # -- configuration ---------------------------------------------------------------------
    def configure(self, settings: Settings) -> None:
        """Apply (new) settings: start, stop or redirect the writer; update the filter's thresholds."""
        self.settings = settings
        tele, filt = settings.telemetry, settings.filter
        enabled = telemetry_enabled(tele.enabled)
        path = resolve_db_path(tele.path) if enabled else None
        key = (enabled, str(path), tele.retention_days, tele.max_mb)
        if key != self._writer_key:
            self._close_writer()
            self._writer_key = key
            self.db_path = path
            if enabled and path is not None:
                retention, max_mb = tele.retention_days, tele.max_mb
                self.writer = TelemetryWriter(lambda: TelemetryStore(path, retention_days=retention, max_mb=max_mb))
                log.info("telemetry: writing events to %s", path)
            else:
                log.info("telemetry is off: no events are written")
        self.tracker.sink = self.writer.put if self.writer is not None else None
        self.tracker.store_code = bool(tele.store_code and enabled)
        self.tracker.capacity = max(16, tele.recent_completions)
        self.gate.enabled = filt.enabled
        self.gate.threshold = _clamp01(filt.threshold)
        self.gate.skip_threshold = _clamp01(filt.skip_threshold)
        self.gate.min_skip_auc = _clamp01(filt.min_skip_auc)
        self.gate.explore_rate = _clamp01(filt.explore_rate)
        model_path = resolve_model_path(filt.model_path, user_data_dir())
        if model_path != self.model_path:
            self.model_path = model_path
            self.gate.model = None
            if filt.enabled:
                self.load_filter()

    def load_filter(self) -> threading.Thread | None:
        """Load the filter model on a background thread (torch import and file read stay off the loop)."""
        path = self.model_path
        if path is None or not path.is_file():
            log.info("no filter model at %s: every suggestion is shown (cold start)", path)
            return None

        def load() -> None:
            model = FilterGate.load_model(path)
            if path == self.model_path:
                self.gate.model = model

        thread = threading.Thread(target=load, name="tabstop-filter-load", daemon=True)
        thread.start()
        return thread

    # -- events from the lsp layer ---------------------------------------------------------
    def accepted(self, ls: Any, completion_id: str) -> None:
        p = self.tracker.accepted(completion_id)
        if p is not None:
            self._schedule_outcome(ls, completion_id, p.uri)

    def partial(self, ls: Any, completion_id: str, accepted_length: int, kind: str | None = None) -> None:
        p = self.tracker.partial(completion_id, accepted_length, kind)
        if p is not None:
            self._schedule_outcome(ls, completion_id, p.uri)

    def _schedule_outcome(self, ls: Any, completion_id: str, uri: str) -> None:
        loop = getattr(ls, "loop", None)
        delay = max(0.0, float(self.settings.telemetry.outcome_delay_s))
        if loop is None or loop.is_closed():
            return
        p = self.tracker.get(completion_id)
        if p is not None and p.outcome_done:
            return

        def check() -> None:
            self._timers.discard(handle)
            doc = find_document(ls.workspace, uri)  # pygls keys by the unquoted URI
            self.tracker.outcome(completion_id, doc.source if doc is not None else None)

        handle = loop.call_later(delay, check)
        self._timers.add(handle)

    # -- shutdown --------------------------------------------------------------------------
    def _close_writer(self) -> None:
        """Retire the current writer; it drains its queue on its own thread (never on the loop)."""
        writer, self.writer = self.writer, None
        if writer is not None:
            threading.Thread(target=writer.close, name="tabstop-telemetry-close", daemon=True).start()

    async def aclose(self) -> None:
        for handle in list(self._timers):
            handle.cancel()
        self._timers.clear()
        writer, self.writer = self.writer, None
        self.tracker.sink = None
        if writer is not None:
            await asyncio.get_running_loop().run_in_executor(None, writer.close)

    def _atexit(self) -> None:
        """Exit without a shutdown request: still write what is queued (briefly)."""
        if self.writer is not None:
            self.writer.close(timeout=3.0)
