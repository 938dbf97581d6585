"""Forward log records to the client as `window/logMessage` (stdout is the protocol).

Records may come from the inference thread, so sending is marshalled onto the
event loop with `call_soon_threadsafe`.
"""
from __future__ import annotations

import asyncio
import logging
import threading

from lsprotocol import types as t

_LEVELS = {
    logging.ERROR: t.MessageType.Error,
    logging.WARNING: t.MessageType.Warning,
    logging.INFO: t.MessageType.Info,
    logging.DEBUG: t.MessageType.Log,
}


class LspLogHandler(logging.Handler):
    def __init__(self, server, loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__()
        self.server = server
        self.loop = loop
        self._thread = threading.get_ident()
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        from lsp.logredact import install

        install(self)  # secrets never reach the client's log either

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("pygls"):
            return  # pygls logs every message; those stay in the log file
        try:
            params = t.LogMessageParams(type=_LEVELS.get(record.levelno, t.MessageType.Log), message=self.format(record))
            if self.loop is not None and threading.get_ident() != self._thread:
                self.loop.call_soon_threadsafe(self._send, params)
            else:
                self._send(params)
        except Exception:  # logging must never take the server down
            self.handleError(record)

    def _send(self, params: t.LogMessageParams) -> None:
        try:
            self.server.window_log_message(params)
        except (RuntimeError, AttributeError, OSError):
            pass  # not connected yet / already closed
