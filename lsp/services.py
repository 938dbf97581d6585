"""The server's collaborators, built from the settings tree and rebuilt when it changes.

Kept out of the handler module so the handlers stay thin and the server object
holds no ad-hoc state (the "god object" anti-pattern).
"""
from __future__ import annotations

import logging
from typing import Callable

from completion.context.provider import RepositoryContext
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
        # Repository context (issue 3): folders are set by lsp/features/workspace_index.py.
        self.context = RepositoryContext(settings.context)
        self.backend: Backend = self._make_backend(settings)
        self._subscribe(self.backend)
        self.engine = self._make_engine(settings, self.backend)
        self.feedback = Feedback(settings)  # telemetry + acceptance filter (docs/telemetry.md)

    @staticmethod
    def _make_backend(settings: Settings) -> Backend:
        return make_backend(settings.backend, settings.model, settings.remote)

    def _subscribe(self, backend: Backend) -> None:
        """Forward a backend's own status changes (remote healthy / degraded / fallback) to the client."""
        add_listener = getattr(backend, "add_status_listener", None)
        if add_listener is not None:
            add_listener(lambda status: self.on_status(status) if backend is self.backend else None)

    def _make_engine(self, settings: Settings, backend: Backend) -> CompletionEngine:
        return CompletionEngine(backend, settings.completion, settings.context, fim_family=settings.model.fim_family,
                                context=self.context)

    def start(self) -> None:
        """Load the model in the background; report the outcome through `on_status`."""
        start = getattr(self.backend, "start_loading", None)
        self.on_status(self.backend.status)
        if start is None:
            return
        future = start()
        if future is None:  # nothing to load (a remote backend without a preloaded fallback)
            return
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
            self._subscribe(self.backend)
            self.engine = self._make_engine(settings, self.backend)
            await previous.close()
            self.start()
        else:
            self.engine.settings = settings.completion
            self.engine.context_settings = settings.context
        self.context.apply_settings(settings.context)

    async def close(self) -> None:
        self.engine.cancel_all("shutdown")
        self.context.close()
        await self.feedback.aclose()
        await self.backend.close()
