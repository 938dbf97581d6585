"""The Tabstop language server: lifecycle, settings and status. Features live in lsp/features/."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

from lsprotocol import types as t
from pygls import capabilities as pygls_capabilities
from pygls.lsp.server import LanguageServer

from lsp.logbridge import LspLogHandler
from lsp.protocol import TabstopProtocol
from lsp.services import Services
from lsp.settings import Settings, parse_settings, to_json
from lsp.transport import RobustTransport
from runtime.backend import BackendStatus

log = logging.getLogger(__name__)
VERSION = "0.1.0"
STATUS_METHOD = "tabstop/status"


def _prefer_utf8(cls, client_capabilities: t.ClientCapabilities) -> t.PositionEncodingKind:
    """UTF-8 when the client offers it (cheapest for us), else UTF-16, the LSP default.

    pygls picks the client's first preference; the issue asks for UTF-8 whenever offered.
    """
    general = client_capabilities.general
    offered = list(general.position_encodings or []) if general else []
    if t.PositionEncodingKind.Utf8 in offered:
        return t.PositionEncodingKind.Utf8
    return t.PositionEncodingKind.Utf16


pygls_capabilities.ServerCapabilitiesBuilder.choose_position_encoding = classmethod(_prefer_utf8)  # type: ignore[method-assign]


class TabstopServer(RobustTransport, LanguageServer):
    """Our transport and protocol (lsp/transport.py, lsp/protocol.py): every request gets an answer."""

    protocol: TabstopProtocol

    def __init__(self) -> None:
        super().__init__("tabstop", VERSION, max_workers=2, protocol_cls=TabstopProtocol)
        logging.getLogger("pygls").setLevel(logging.WARNING)  # until settings say otherwise (apply_log_level)
        self.settings = Settings()
        self.services: Services | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.last_status = BackendStatus("loading")
        self.last_latency_ms: float | None = None
        self._model_error_shown = ""
        self._log_handler: LspLogHandler | None = None
        # Features that need the client's `initialized` (dynamic registration, progress) append here.
        self.on_initialized: list[Callable[["TabstopServer"], None]] = []

    # -- status ----------------------------------------------------------------------------
    def report_server_error(self, error: Exception, source: Any) -> None:
        """Log only: a popup per failed notification would be noise (see DESIGN anti-patterns)."""
        log.error("server error (%s): %s", getattr(source, "__name__", source), error)

    def send_status(self, status: BackendStatus | None = None) -> None:
        """Tell the client (the VS Code status bar) what the backend is doing. Thread-safe."""
        if status is not None:
            self.last_status = status
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._send_status_now)

    def _send_status_now(self) -> None:
        status = self.last_status
        backend = self.services.backend if self.services else None
        payload = {
            "state": status.state if self.settings.completion.enabled else "disabled",
            "message": status.message,
            "backend": backend.name if backend else "",
            "model": backend.model_name if backend else "",
            "latencyMs": self.last_latency_ms,
        }
        try:
            self.protocol.notify(STATUS_METHOD, payload)
        except (RuntimeError, AttributeError, OSError):
            return
        if status.state == "error" and self._model_error_shown != status.message:
            # Once per distinct problem, never per keystroke.
            self._model_error_shown = status.message
            self.window_show_message(t.ShowMessageParams(type=t.MessageType.Error, message=f"Tabstop: {status.message}"))

    def apply_log_level(self) -> None:
        if not self.settings.log_level:
            return
        logging.getLogger().setLevel(self.settings.log_level.upper())
        # pygls logs every message body at INFO (code, settings with keys): only when debugging.
        logging.getLogger("pygls").setLevel(logging.DEBUG if self.settings.log_level == "debug" else logging.WARNING)

    def show_warnings(self, warnings: list[str]) -> None:
        for w in warnings:
            log.warning("settings: %s", w)
        if warnings:
            self.window_show_message(t.ShowMessageParams(
                type=t.MessageType.Warning,
                message="Tabstop settings: " + "; ".join(warnings[:5]) + (" …" if len(warnings) > 5 else ""),
            ))


def build_server() -> TabstopServer:
    server = TabstopServer()

    @server.feature(t.INITIALIZE)
    def initialize(ls: TabstopServer, params: t.InitializeParams) -> None:
        ls.loop = asyncio.get_running_loop()
        ls._log_handler = LspLogHandler(ls, ls.loop)
        logging.getLogger().addHandler(ls._log_handler)
        ls.settings, warnings = parse_settings(params.initialization_options)
        ls.apply_log_level()
        ls.show_warnings(warnings)
        log.debug("settings: %s", to_json(ls.settings))
        if ls.settings.completion.completion_fallback:
            from lsp.features import completion_fallback

            completion_fallback.register(ls)
        ls.services = Services(ls.settings, on_status=ls.send_status)
        ls.services.start()

    @server.feature(t.INITIALIZED)
    def initialized(ls: TabstopServer, params: t.InitializedParams) -> None:
        ls.send_status()
        for hook in ls.on_initialized:
            hook(ls)

    @server.feature(t.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: TabstopServer, params: t.DidChangeConfigurationParams) -> None:
        raw = params.settings
        if not raw:
            try:
                (raw,) = await ls.workspace_configuration_async(
                    t.ConfigurationParams(items=[t.ConfigurationItem(section="tabstop")])
                )
            except Exception as exc:  # the client may not support pull configuration
                log.info("workspace/configuration unavailable: %s", exc)
                return
        settings, warnings = parse_settings(raw, base=ls.settings)
        ls.show_warnings(warnings)
        ls.settings = settings
        ls.apply_log_level()
        if ls.services is not None:
            await ls.services.update(settings)
        ls.send_status()

    @server.feature(t.SHUTDOWN)
    async def shutdown(ls: TabstopServer, params: Any) -> None:
        if ls.services is not None:
            await ls.services.close()
        if ls._log_handler is not None:
            logging.getLogger().removeHandler(ls._log_handler)

    from lsp.features import commands, debug, documents, inline, telemetry, workspace_index

    documents.register(server)
    debug.register(server)
    inline.register(server)
    commands.register(server)
    workspace_index.register(server)
    telemetry.register(server)
    return server
