"""textDocument/inlineCompletion (LSP 3.18): the ghost-text request.

The handler is async and awaits the engine, whose model work runs on the
inference thread, so the event loop keeps reading messages — which is how a
`$/cancelRequest` or a newer keystroke reaches the running generation.
"""
from __future__ import annotations

import asyncio
import logging

from lsprotocol import types as t

from completion.types import CompletionInfo, CompletionResponse, Request
from lsp.convert import LineIndex, offset_to_position
from lsp.requests import OutOfSync, build_request, is_current
from runtime.backend import CancelToken

log = logging.getLogger(__name__)
ACCEPT_COMMAND = "tabstop.accept"


async def run_completion(ls, request: Request) -> CompletionResponse | None:
    """Complete, or None when the document changed meanwhile (the answer would be stale)."""
    if ls.services is None:
        return None
    feedback = getattr(ls.services, "feedback", None)
    decision = feedback.tracker.before(request) if feedback is not None else None
    if decision is not None and decision.skip:
        log.debug("completion %s skipped: the filter predicts rejection (%.3f)", request.request_id, decision.score)
        return CompletionResponse([], CompletionInfo(skipped="filter: predicted rejection"))
    cancel = CancelToken()
    try:
        response = await ls.services.engine.complete(request, cancel)
    except asyncio.CancelledError:
        cancel.cancel("cancelled by client")
        raise
    info = response.info
    if info.skipped.startswith("model unavailable"):
        ls.send_status(ls.services.backend.status)
    elif not info.skipped and info.stop_reason != "cancelled":
        ls.last_latency_ms = round(info.total_ms, 1)
        ls.send_status()
    if not is_current(ls, request):
        # Never a completion for old text: the range and the text would both be wrong.
        log.debug("dropping completion for %s: document changed during generation", request.uri)
        return None
    if feedback is not None and decision is not None:
        response = feedback.tracker.after(request, response, decision)  # filter + "requested" events
    log.info(
        "completion %s [%s] %s: %d items, prompt %d/%d tokens evaluated, %.0f ms%s",
        request.request_id, info.mode, info.stop_reason or info.skipped, len(response.items),
        info.prompt_tokens_evaluated, info.prompt_tokens, info.total_ms,
        f" ({info.skipped})" if info.skipped else "",
    )
    return response


def register(server) -> None:
    @server.feature(t.TEXT_DOCUMENT_INLINE_COMPLETION, t.InlineCompletionOptions())
    async def inline_completion(ls, params: t.InlineCompletionParams) -> t.InlineCompletionList:
        trigger = "automatic" if params.context.trigger_kind == t.InlineCompletionTriggerKind.Automatic else "invoked"
        selected = params.context.selected_completion_info.text if params.context.selected_completion_info else ""
        try:
            request, index, encoding = build_request(
                ls, params.text_document.uri, params.position, trigger=trigger,
                request_id=str(ls.protocol.msg_id or ""), selected=selected,
            )
        except OutOfSync:
            return t.InlineCompletionList(items=[])
        response = await run_completion(ls, request)
        if response is None:
            return t.InlineCompletionList(items=[])
        return t.InlineCompletionList(items=[_item(s.text, s.id, request, index, encoding) for s in response.items])


def _item(text: str, completion_id: str, request: Request, index: LineIndex, encoding: str) -> t.InlineCompletionItem:
    line, character = offset_to_position(index, request.offset, encoding)
    cursor = t.Position(line=line, character=character)
    return t.InlineCompletionItem(
        insert_text=text,
        range=t.Range(start=cursor, end=cursor),
        command=t.Command(title="Accept completion", command=ACCEPT_COMMAND, arguments=[completion_id]),
    )
