"""textDocument/completion for clients without inline completion (off by default).

Registered at initialize only when `completion.completionFallback` is set, so
clients that do support inline completion never get a second popup source.
"""
from __future__ import annotations

from lsprotocol import types as t

from lsp.convert import offset_to_position
from lsp.features.inline import ACCEPT_COMMAND, run_completion
from lsp.requests import OutOfSync, build_request


def register(server) -> None:
    @server.feature(t.TEXT_DOCUMENT_COMPLETION, t.CompletionOptions(trigger_characters=[".", "(", " "]))
    async def completion(ls, params: t.CompletionParams) -> t.CompletionList:
        try:
            request, index, encoding = build_request(ls, params.text_document.uri, params.position,
                                                     trigger="invoked", request_id=str(ls.protocol.msg_id or ""))
        except OutOfSync:
            return t.CompletionList(is_incomplete=True, items=[])
        response = await run_completion(ls, request)
        items: list[t.CompletionItem] = []
        if response is not None:
            line, character = offset_to_position(index, request.offset, encoding)
            cursor = t.Position(line=line, character=character)
            for rank, s in enumerate(response.items):
                first = s.text.strip().splitlines()[0] if s.text.strip() else s.text
                items.append(t.CompletionItem(
                    label=first[:60] or s.text,
                    kind=t.CompletionItemKind.Text,
                    detail="Tabstop",
                    documentation=t.MarkupContent(kind=t.MarkupKind.Markdown, value=f"```\n{s.text}\n```"),
                    text_edit=t.TextEdit(range=t.Range(start=cursor, end=cursor), new_text=s.text),
                    sort_text=f"0{rank}",
                    filter_text=request.line_prefix.lstrip() + s.text,
                    command=t.Command(title="Accept completion", command=ACCEPT_COMMAND, arguments=[s.id]),
                ))
        return t.CompletionList(is_incomplete=True, items=items)
