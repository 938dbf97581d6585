"""Document lifecycle notifications, fanned out to whoever needs them.

pygls allows one handler per notification, and several features care about
open/change/save/close (the engine's per-document state, the repository index,
telemetry's implicit-reject detection), so this module owns the handlers and
calls the listeners registered on the server.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from lsprotocol import types as t

log = logging.getLogger(__name__)


Handler = Callable[[Any, Any], None]  # (server, the notification's params)


@dataclass
class DocumentListener:
    on_open: Handler | None = None
    on_change: Handler | None = None
    on_save: Handler | None = None
    on_close: Handler | None = None


def _fan_out(ls, attr: str, params: Any) -> None:
    for listener in list(getattr(ls, "document_listeners", [])):
        fn = getattr(listener, attr)
        if fn is None:
            continue
        try:
            fn(ls, params)
        except Exception:  # one failing listener must not break document sync for the others
            log.exception("document listener %s failed for %s", attr, params.text_document.uri)


def register(server) -> None:
    server.document_listeners = []

    @server.feature(t.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls, params: t.DidOpenTextDocumentParams) -> None:
        _fan_out(ls, "on_open", params)

    @server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls, params: t.DidChangeTextDocumentParams) -> None:
        _fan_out(ls, "on_change", params)

    @server.feature(t.TEXT_DOCUMENT_DID_SAVE, t.SaveOptions(include_text=False))
    def did_save(ls, params: t.DidSaveTextDocumentParams) -> None:
        _fan_out(ls, "on_save", params)

    @server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls, params: t.DidCloseTextDocumentParams) -> None:
        _fan_out(ls, "on_close", params)

    def engine_close(ls, params: t.DidCloseTextDocumentParams) -> None:
        if ls.services is not None:
            ls.services.engine.forget_document(params.text_document.uri)

    server.document_listeners.append(DocumentListener(on_close=engine_close))
