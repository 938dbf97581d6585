"""Document lifecycle notifications, fanned out to whoever needs them.

pygls allows one handler per notification, and several features care about
open/change/save/close (the engine's per-document state, the repository index,
telemetry's implicit-reject detection), so this module owns the handlers and
calls the listeners registered on the server.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from lsprotocol import types as t

log = logging.getLogger(__name__)


@dataclass
class DocumentListener:
    on_open: Callable[[str], None] | None = None
    on_change: Callable[[str], None] | None = None
    on_save: Callable[[str], None] | None = None
    on_close: Callable[[str], None] | None = None


def _fan_out(ls, attr: str, uri: str) -> None:
    for listener in list(getattr(ls, "document_listeners", [])):
        fn = getattr(listener, attr)
        if fn is None:
            continue
        try:
            fn(uri)
        except Exception:  # one failing listener must not break document sync for the others
            log.exception("document listener %s failed for %s", attr, uri)


def register(server) -> None:
    server.document_listeners = []

    @server.feature(t.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls, params: t.DidOpenTextDocumentParams) -> None:
        _fan_out(ls, "on_open", params.text_document.uri)

    @server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls, params: t.DidChangeTextDocumentParams) -> None:
        _fan_out(ls, "on_change", params.text_document.uri)

    @server.feature(t.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls, params: t.DidSaveTextDocumentParams) -> None:
        _fan_out(ls, "on_save", params.text_document.uri)

    @server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls, params: t.DidCloseTextDocumentParams) -> None:
        _fan_out(ls, "on_close", params.text_document.uri)

    def engine_close(uri: str) -> None:
        if server.services is not None:
            server.services.engine.forget_document(uri)

    server.document_listeners.append(DocumentListener(on_close=engine_close))
