"""A circuit breaker around a remote backend, with the local model as the fallback.

States:
- closed (status "ready"): requests go to the remote; a failure makes it "degraded"
  (the editor gets no suggestion for that request, the next one tries again);
- open, after `failure_threshold` consecutive failures: requests go to the local
  model (status "fallback"), or, without `fallback_to_local`, get an empty answer at
  once (status "error") instead of waiting on a dead server every keystroke;
  a background task probes the remote every `probe_interval_s`;
- half-open, after a successful probe (status "ready" again): the next request goes
  to the remote; success closes the circuit, one failure opens it again.

Only server faults count (stop_reason "error"); cancellations, deadlines and
heal mismatches are neutral. Status changes are pushed to listeners (the LSP
layer turns them into `tabstop/status` notifications).

While falling back, `metadata` is the local model's, so the completion layer
renders the prompt in the local model's FIM format.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable

from runtime.backend import Backend, BackendStatus, CancelToken, GenerationRequest, GenerationResult
from runtime.config import RemoteSettings
from runtime.remote.base import RemoteBackend

log = logging.getLogger(__name__)
StatusListener = Callable[[BackendStatus], None]


class ResilientBackend:
    def __init__(self, remote: RemoteBackend, settings: RemoteSettings,
                 local_factory: Callable[[], Backend] | None = None) -> None:
        self.remote = remote
        self.settings = settings
        self._local_factory = local_factory if settings.fallback_to_local else None
        self._local: Backend | None = None
        self._listeners: list[StatusListener] = []
        self._failures = 0
        self._state = "closed"  # closed | open | half-open
        self._status = remote.status
        self._probe_task: asyncio.Task[None] | None = None
        self.opened_at: float | None = None
        if remote.status.state == "error":  # misconfigured: nothing to send to; local answers if allowed
            self._state = "open"
            self._status = self._open_status(remote.status.message, probing=False)

    # -- status ------------------------------------------------------------------------------
    def add_status_listener(self, listener: StatusListener) -> None:
        self._listeners.append(listener)

    @property
    def status(self) -> BackendStatus:
        return self._status

    @property
    def state(self) -> str:
        return self._state

    def _set_status(self, status: BackendStatus) -> None:
        if status == self._status:
            return
        self._status = status
        log.log(logging.WARNING if status.state in ("degraded", "fallback", "error") else logging.INFO,
                "remote %s: %s", status.state, status.message)
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:  # a listener's bug must not break completions
                log.exception("status listener failed")

    def _open_status(self, why: str, probing: bool = True) -> BackendStatus:
        retry = f"; retrying every {self.settings.probe_interval_s:g}s" if probing else ""
        name = self.remote.name
        if self._local_factory is not None:
            return BackendStatus("fallback", f"remote {name} failing ({why}); using the local model{retry}")
        return BackendStatus("error", f"remote {name} failing ({why}); no completions{retry}")

    # -- Backend protocol --------------------------------------------------------------------
    @property
    def _falling_back(self) -> bool:
        return self._state == "open" and self._local_factory is not None

    @property
    def name(self) -> str:
        """"local" while the local model answers, so the completion layer applies its local-only
        latency machinery (prompt sizing to the CPU's speed, KV warm-up) during a fallback."""
        return "local" if self._falling_back else self.remote.name

    @property
    def model_name(self) -> str:
        if self._falling_back:
            return self._ensure_local().model_name
        return self.remote.model_name

    @property
    def metadata(self) -> dict[str, Any]:
        if self._falling_back:
            return getattr(self._ensure_local(), "metadata", {}) or {}
        return self.remote.metadata

    def count_tokens(self, text: str) -> int:
        """The local model's tokenizer when it is loaded (same family: a good estimate), else ~3 chars/token."""
        local = self._local
        if local is not None and getattr(local, "status", BackendStatus("loading")).state == "ready":
            return local.count_tokens(text)
        return self.remote.count_tokens(text)

    def start_loading(self):
        """Preload the fallback model in the background (Services calls this at start)."""
        if self._local_factory is None or not self.settings.preload_local:
            return None
        start = getattr(self._ensure_local(), "start_loading", None)
        return start() if start else None

    def _ensure_local(self) -> Backend:
        if self._local is None:
            assert self._local_factory is not None
            self._local = self._local_factory()
        return self._local

    async def generate(self, request: GenerationRequest, cancel: CancelToken) -> GenerationResult:
        if self._state == "open":
            if self._local_factory is not None:
                return await self._ensure_local().generate(request, cancel)
            return GenerationResult("", "error", self.remote.model_name, self.remote.name)
        result = await self.remote.generate(request, cancel)
        if result.stop_reason == "error":
            self._failure(self.remote.last_error or "error")
        elif result.stop_reason != "cancelled":
            self._success()
        return result

    async def close(self) -> None:
        if self._probe_task is not None:
            self._probe_task.cancel()
            self._probe_task = None
        await self.remote.close()
        if self._local is not None:
            await self._local.close()

    # -- the breaker -------------------------------------------------------------------------
    def _failure(self, why: str) -> None:
        self._failures += 1
        threshold = max(1, self.settings.failure_threshold)
        if self._state == "half-open" or self._failures >= threshold:
            self._open(why)
        else:
            self._set_status(BackendStatus("degraded", f"remote {self.remote.name} failed {self._failures}/{threshold}: {why}"))

    def _success(self) -> None:
        self._failures = 0
        if self._state != "closed" or self._status.state != "ready":
            self._state = "closed"
            self._set_status(self.remote.status)

    def _open(self, why: str) -> None:
        self._state = "open"
        self.opened_at = time.monotonic()
        self._set_status(self._open_status(why))
        if self._local_factory is not None:
            start = getattr(self._ensure_local(), "start_loading", None)
            if start:
                start()
        if self._probe_task is None or self._probe_task.done():
            self._probe_task = asyncio.get_running_loop().create_task(self._probe_loop())

    async def _probe_loop(self) -> None:
        while self._state == "open":
            await asyncio.sleep(max(0.05, self.settings.probe_interval_s))
            ok, detail = await self.remote.probe()
            if ok:
                self._failures = 0
                self._state = "half-open"
                self._set_status(BackendStatus("ready", f"remote {self.remote.name} answering again ({detail})"))
                return
            log.info("remote %s probe: %s", self.remote.name, detail)
