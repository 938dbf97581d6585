"""Completion feedback notifications, in the shapes existing clients already send.

- `textDocument/didShowCompletion` `{item}` and
  `textDocument/didPartiallyAcceptCompletion` `{item, acceptedLength}` are the
  Copilot language server's notifications (copilot.lua, copilot.el, Zed and the
  Copilot extensions send them); the completion id is the first argument of the
  item's `command`, which we set to `tabstop.accept(id)`. `acceptedLength` is
  the length of the accepted part of `insertText` (cumulative).
- `tabstop/didRejectCompletion` `{item}` or `{completionId, reason?}` is ours,
  for clients that know when the user dismissed a suggestion.
- Acceptance itself arrives as `workspace/executeCommand tabstop.accept` (see
  commands.py), which LSP 3.18 clients run when the user accepts an item.

Closing a document (`textDocument/didClose`, via documents.py's listeners)
rejects its still-pending shown suggestion ("dismissed").

Notifications get no reply, so malformed ones are logged and dropped.
"""
from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)
DID_SHOW = "textDocument/didShowCompletion"
DID_PARTIALLY_ACCEPT = "textDocument/didPartiallyAcceptCompletion"
DID_REJECT = "tabstop/didRejectCompletion"


def _field(obj: Any, *names: str) -> Any:
    for name in names:
        if obj is None:
            return None
        obj = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return obj


def completion_id_of(params: Any) -> str:
    """The completion id in `{item: {command: {arguments: [id]}}}` or `{completionId}`; "" if none."""
    direct = _field(params, "completionId")
    if isinstance(direct, str) and direct:
        return direct
    args = _field(params, "item", "command", "arguments")
    if isinstance(args, (list, tuple)) and args and isinstance(args[0], str):
        return args[0]
    return ""


def _feedback(ls):
    services = getattr(ls, "services", None)
    return getattr(services, "feedback", None)


def register(server) -> None:
    listeners = getattr(server, "document_listeners", None)  # lsp/features/documents.py
    if listeners is not None:
        from lsp.features.documents import DocumentListener

        def closed(ls, params) -> None:
            fb = _feedback(ls)
            if fb is not None:
                fb.tracker.dismiss_document(params.text_document.uri)  # closing it dismisses a suggestion still on screen

        listeners.append(DocumentListener(on_close=closed))

    @server.feature(DID_SHOW)
    def did_show(ls, params: Any) -> None:
        cid, fb = completion_id_of(params), _feedback(ls)
        if not cid:
            log.warning("%s without a completion id: %r", DID_SHOW, params)
            return
        if fb is not None:
            fb.tracker.shown(cid)

    @server.feature(DID_PARTIALLY_ACCEPT)
    def did_partially_accept(ls, params: Any) -> None:
        cid, fb = completion_id_of(params), _feedback(ls)
        length = _field(params, "acceptedLength")
        if not cid or not isinstance(length, int) or isinstance(length, bool) or length < 0:
            log.warning("%s needs an item with a completion id and acceptedLength >= 0: %r", DID_PARTIALLY_ACCEPT,
                        params)
            return
        kind = _field(params, "kind")  # VS Code's trigger: word | line | suggest (optional)
        if fb is not None:
            fb.partial(ls, cid, length, kind if isinstance(kind, str) else None)

    @server.feature(DID_REJECT)
    def did_reject(ls, params: Any) -> None:
        cid, fb = completion_id_of(params), _feedback(ls)
        if not cid:
            log.warning("%s without a completion id: %r", DID_REJECT, params)
            return
        reason = _field(params, "reason")
        if fb is not None:
            fb.tracker.rejected(cid, reason=reason if isinstance(reason, str) and reason else "explicit")
