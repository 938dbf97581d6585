"""Turn an LSP text-document position request into a `completion.types.Request`.

Every failure is a `JsonRpcInvalidParams` with a message a person can act on,
so the client gets an error response rather than a crash or silence.
"""
from __future__ import annotations

from lsprotocol import types as t
from pygls.exceptions import JsonRpcInvalidParams

from completion.types import Request
from lsp.convert import LineIndex, PositionError, encoding_name, position_to_offset, uri_to_path


def build_request(ls, uri: str, position: t.Position, *, trigger: str, request_id: str = "",
                  selected: str = "") -> tuple[Request, LineIndex, str]:
    documents = ls.workspace.text_documents
    if uri not in documents:
        raise JsonRpcInvalidParams(f"document {uri} is not open (send textDocument/didOpen first)")
    doc = documents[uri]
    text = doc.source
    encoding = encoding_name(ls.workspace.position_encoding)
    index = LineIndex.of(text)
    try:
        offset = position_to_offset(index, position.line, position.character, encoding)
    except PositionError as exc:
        raise JsonRpcInvalidParams(f"invalid position for {uri}: {exc}") from None
    folders = tuple(p for p in (uri_to_path(f.uri) for f in ls.workspace.folders.values()) if p)
    if not folders and ls.workspace.root_path:
        folders = (ls.workspace.root_path,)
    request = Request(
        uri=uri,
        text=text,
        offset=offset,
        language=doc.language_id or "",
        path=uri_to_path(uri),
        version=doc.version,
        trigger=trigger,
        request_id=request_id,
        workspace_folders=folders,
        selected_completion=selected,
    )
    return request, index, encoding
