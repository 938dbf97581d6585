"""The JSON-RPC/LSP protocol layer, hardened: every request with an id gets exactly one answer.

pygls 2.1.1, left to itself, answers a request whose params fail to
deserialize with nothing at all (the exception escapes `structure_message`
into the reader loop, which logs it), ignores requests after `shutdown` and
without `"jsonrpc": "2.0"` silently, and lets requests before `initialize`
fail with an internal error. The client then waits for its own timeout, and
VS Code gives up on the server after a few of those. This subclass takes each
top-level JSON value from our transport (lsp/transport.py) and guarantees:

* a request (a method and a valid id) gets a result or an error:
  -32602 with the deserialisation errors summarised for bad params,
  -32601 for unknown methods, -32600 for a broken envelope or after shutdown,
  -32002 before initialize, -32603 if anything unexpected escapes;
* a value that is not a message gets a -32600/-32700 error with id null, as
  JSON-RPC 2.0 prescribes (editors log it);
* a notification that cannot be read is logged and dropped — and a broken
  `didChange` marks its document out of sync rather than leaving it silently
  wrong (lsp/docsync.py).
"""
from __future__ import annotations

import contextvars
import logging
from typing import Any

from cattrs import transform_error
from cattrs.errors import BaseValidationError
from lsprotocol import types as t
from pygls.exceptions import JsonRpcException
from pygls.protocol import JsonRPCNotification, JsonRPCRequestMessage, JsonRPCResponseMessage, LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from lsp.docsync import DocumentSync

log = logging.getLogger(__name__)

PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32601, -32602, -32603
SERVER_NOT_INITIALIZED, REQUEST_CANCELLED = -32002, -32800

# The document edit sequence number when the current request arrived (see DocumentSync).
received_seq: contextvars.ContextVar[int] = contextvars.ContextVar("tabstop_received_seq", default=-1)


def valid_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def summarize_error(exc: BaseException, limit: int = 6) -> str:
    """cattrs' nested validation errors as one readable line ("expected int @ $.params.position.line")."""
    if isinstance(exc, BaseValidationError):
        try:
            lines = transform_error(exc)
        except Exception:  # the summary must never be what fails
            lines = [str(exc)]
    else:
        lines = [f"{type(exc).__name__}: {exc}"]
    text = "; ".join(lines[:limit]) + (f" (+{len(lines) - limit} more)" if len(lines) > limit else "")
    return text[:800]


class TabstopProtocol(LanguageServerProtocol):
    def __init__(self, server, converter) -> None:
        super().__init__(server, converter)
        self.sync = DocumentSync()
        self.initialize_received = False

    # -- entry point from the transport ----------------------------------------------------
    def handle_raw(self, data: Any) -> None:
        """Handle one top-level JSON value read from the client."""
        if isinstance(data, list):  # a JSON-RPC batch: LSP has none, but answer every request in it
            if not data:
                self.send_error(None, INVALID_REQUEST, "empty batch")
            for item in data:
                self.handle_raw(item)
            return
        if not isinstance(data, dict):
            self.send_error(None, INVALID_REQUEST, f"not a JSON-RPC message: a JSON {type(data).__name__}")
            return
        method = data.get("method")
        is_request = "id" in data and "method" in data
        if is_request and not valid_id(data["id"]):
            self.send_error(None, INVALID_REQUEST, f"request id must be a string or an integer, got {data['id']!r:.80}")
            return
        if "method" not in data and not ("id" in data and ("result" in data or "error" in data)):
            self.send_error(None, INVALID_REQUEST, "neither a request, a notification nor a response")
            return
        if data.get("jsonrpc") != "2.0" or ("method" in data and not isinstance(method, str)):
            self._reject(data, is_request, 'not a JSON-RPC 2.0 message (needs "jsonrpc": "2.0" and a string method)')
            return
        if is_request and not self._admit(method, data["id"]):
            return
        if not is_request and "method" in data and not self.initialize_received and method != t.EXIT:
            log.warning("ignored %s notification before initialize", method)
            return
        try:
            message = self.structure(data)
        except Exception as exc:  # cattrs raises many kinds; all mean "this message is malformed"
            self._malformed(data, is_request, exc)
            return
        if is_request:
            self.initialize_received |= method == t.INITIALIZE
            received_seq.set(self.sync.seq)
            if not hasattr(message, "id"):
                # A notification method sent with an id (pygls' types drop the id): do what the
                # client meant, and still answer, since it is waiting for one.
                self.handle_message(message)
                self._send_response(data["id"], result=None)
                return
        self.handle_message(message)

    def _admit(self, method: str, msg_id: Any) -> bool:
        """Lifecycle rules of LSP: nothing before initialize, initialize once, nothing after shutdown."""
        if self._shutdown and method != t.EXIT:
            self.send_error(msg_id, INVALID_REQUEST, "the server is shutting down")
        elif method == t.INITIALIZE and self.initialize_received:
            self.send_error(msg_id, INVALID_REQUEST, "initialize may only be sent once")
        elif method != t.INITIALIZE and not self.initialize_received:
            self.send_error(msg_id, SERVER_NOT_INITIALIZED, f"{method} before initialize")
        else:
            return True
        return False

    def _reject(self, data: dict, is_request: bool, why: str) -> None:
        if is_request:
            self.send_error(data["id"], INVALID_REQUEST, why)
        else:
            log.warning("ignored message: %s", why)

    def _malformed(self, data: dict, is_request: bool, exc: Exception) -> None:
        method = data.get("method")
        summary = summarize_error(exc)
        if is_request:
            if self._known_method(method):
                self.send_error(data["id"], INVALID_PARAMS, f"invalid params for {method}: {summary}")
            else:
                self.send_error(data["id"], METHOD_NOT_FOUND, f"method not found: {method}")
            return
        if method is None:
            log.warning("ignored malformed response %r: %s", data.get("id"), summary)
            return
        log.warning("ignored malformed %s notification: %s", method, summary)
        if method == t.TEXT_DOCUMENT_DID_CHANGE:
            self._lost_change(data)

    def _lost_change(self, data: dict) -> None:
        """A didChange we could not read still changed the editor's text: mark the document out of sync."""
        params = data.get("params")
        doc = params.get("textDocument") if isinstance(params, dict) else None
        uri = doc.get("uri") if isinstance(doc, dict) else None
        if isinstance(uri, str) and self._workspace is not None:
            self.sync.mark_out_of_sync(self._workspace, uri, "a didChange could not be read")

    def _known_method(self, method: Any) -> bool:
        return isinstance(method, str) and (method in self.fm.features or method in self.fm.builtin_features)

    def structure(self, data: dict) -> Any:
        """pygls' `structure_message` without its per-failure traceback logging; raises on bad input."""
        converter = self._converter
        if "id" in data and "method" not in data:
            if "error" in data:
                return converter.structure(data, t.ResponseErrorMessage)
            response_type = self._result_types.pop(data["id"], None) or JsonRPCResponseMessage
            return converter.structure(data, response_type)
        if "id" in data:
            return converter.structure(data, self.get_message_type(data["method"]) or JsonRPCRequestMessage)
        return converter.structure(data, self.get_message_type(data["method"]) or JsonRPCNotification)

    # -- dispatch --------------------------------------------------------------------------
    def handle_message(self, message: Any) -> None:
        method = getattr(message, "method", None)
        msg_id = getattr(message, "id", None)
        is_request = method is not None and hasattr(message, "id")
        try:
            super().handle_message(message)
        except Exception as exc:  # nothing may escape: the request still needs its answer
            log.exception("failed to handle %s", method or "a response")
            if is_request:
                self.send_error(msg_id, INTERNAL_ERROR, f"internal error handling {method}: {summarize_error(exc)}")

    def _send_handler_result(self, future, *, msg_id) -> None:
        """pygls' version, but an error we raised on purpose (JsonRpcException) is logged in one line.

        A bad position from the client is not a server failure: no traceback at
        ERROR level and no `report_server_error` for it.
        """
        self._request_futures.pop(msg_id, None)
        if future.cancelled():
            self.send_error(msg_id, REQUEST_CANCELLED, f"request {msg_id} was cancelled")
            return
        try:
            result = future.result()
        except JsonRpcException as exc:
            log.info("request %s: %s (%d)", msg_id, exc.message, exc.code)
            self._send_response(msg_id, error=exc.to_response_error())
            return
        except Exception as exc:
            log.exception("request %s failed", msg_id)
            self.send_error(msg_id, INTERNAL_ERROR, f"internal error: {summarize_error(exc)}")
            return
        self._send_response(msg_id, result=result)

    def send_error(self, msg_id: Any, code: int, message: str) -> None:
        """An error response; `msg_id` None gives the `"id": null` that JSON-RPC asks for."""
        if msg_id is None:
            log.warning("error reply without id: %s", message)
            self._send_data({"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}})
        else:
            self._send_response(msg_id, error=t.ResponseError(code=code, message=message))

    def _send_response(self, msg_id: Any, result: Any = None, error: t.ResponseError | None = None) -> None:
        """Serialise first, so that a result we cannot encode still yields an answer (an error)."""
        if error is None:
            try:
                response_type = self._result_types.get(msg_id, JsonRPCResponseMessage)
                self._converter.unstructure(response_type(id=msg_id, result=result, jsonrpc="2.0"))
            except Exception as exc:
                log.exception("could not encode the result for request %r", msg_id)
                self._result_types.pop(msg_id, None)
                error = t.ResponseError(code=INTERNAL_ERROR, message=f"could not encode the result: {summarize_error(exc)}")
        super()._send_response(msg_id, result=result, error=error)

    # -- text synchronisation (replaces pygls' clamping implementation) ---------------------
    @lsp_method(t.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: t.DidOpenTextDocumentParams):
        self.sync.did_open(self.workspace, params)
        if (user_handler := self.fm.features.get(t.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield user_handler, (params,), None

    @lsp_method(t.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: t.DidChangeTextDocumentParams):
        self.sync.did_change(self.workspace, params)
        if (user_handler := self.fm.features.get(t.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield user_handler, (params,), None

    @lsp_method(t.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: t.DidCloseTextDocumentParams):
        self.sync.did_close(self.workspace, params)
        if (user_handler := self.fm.features.get(t.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield user_handler, (params,), None

    @lsp_method(t.TEXT_DOCUMENT_DID_SAVE)
    def lsp_text_document__did_save(self, params: t.DidSaveTextDocumentParams):
        self.sync.did_save(self.workspace, params)
        if (user_handler := self.fm.features.get(t.TEXT_DOCUMENT_DID_SAVE)) is not None:
            yield user_handler, (params,), None

