"""The server's collaborators, built from the settings tree and rebuilt when it changes.

Kept out of the handler module so the handlers stay thin and the server object
holds no ad-hoc state (the "god object" anti-pattern).
"""
from __future__ import annotations

import logging
from typing import Callable

from completion.engine import CompletionEngine
from lsp.feedback import Feedback
from lsp.settings import Settings
from runtime.backend import Backend, BackendStatus
from runtime.factory import make_backend

log = logging.getLogger(__name__)
StatusCallback = Callable[[BackendStatus], None]


class Services:
    def __init__(self, settings: Settings, on_status: StatusCallback | None = None) -> None:
        self.settings = settings
        self.on_status = on_status or (lambda status: None)
        self.backend: Backend = self._make_backend(settings)
        self.engine = self._make_engine(settings, self.backend)
        self.feedback = Feedback(settings)  # telemetry + acceptance filter (docs/telemetry.md)

    @staticmethod
    def _make_backend(settings: Settings) -> Backend:
        return make_backend(settings.backend, settings.model, settings.remote)

    def _make_engine(self, settings: Settings, backend: Backend) -> CompletionEngine:
        return CompletionEngine(backend, settings.completion, settings.context, fim_family=settings.model.fim_family)

    def start(self) -> None:
        """Load the model in the background; report the outcome through `on_status`."""
        start = getattr(self.backend, "start_loading", None)
        self.on_status(self.backend.status)
        if start is None:
            return
        future = start()
        backend = self.backend

        def done(fut) -> None:
            if backend is not self.backend:
                return  # replaced by a settings change meanwhile
            exc = fut.exception()
            if exc is not None:
                log.error("model unavailable: %s", exc)
            self.on_status(backend.status)

        future.add_done_callback(done)

    async def update(self, settings: Settings) -> None:
        """Apply new settings; a different backend or model is loaded afresh."""
        old = self.settings
        self.settings = settings
        self.feedback.configure(settings)
        if (settings.backend, settings.model, settings.remote) != (old.backend, old.model, old.remote):
            log.info("backend settings changed: reloading")
            previous = self.backend
            self.backend = self._make_backend(settings)
            self.engine = self._make_engine(settings, self.backend)
            await previous.close()
            self.start()
        else:
            self.engine.settings = settings.completion
            self.engine.context_settings = settings.context

    async def close(self) -> None:
        await self.feedback.aclose()
        await self.backend.close()
