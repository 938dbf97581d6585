"""Turn an LSP text-document position request into a `completion.types.Request`.

Every failure is a JSON-RPC error with a message a person can act on, so the
client gets an answer rather than a crash or silence: -32602 for a document
that is not open or a position that is not in it, -32801 (ContentModified)
when the document changed between the request's arrival and its handling.
A document that is out of sync (lsp/docsync.py) raises `OutOfSync`, which
handlers turn into an empty result: there is nothing the client did wrong.
"""
from __future__ import annotations

from lsprotocol import types as t
from pygls.exceptions import JsonRpcContentModified, JsonRpcInvalidParams

from completion.types import Request
from lsp.convert import LineIndex, PositionError, encoding_name, position_to_offset, uri_to_path
from lsp.docsync import find_document
from lsp.protocol import received_seq


class OutOfSync(Exception):
    """We do not hold the editor's current text for this document; answer with nothing."""


def build_request(ls, uri: str, position: t.Position, *, trigger: str, request_id: str = "",
                  selected: str = "") -> tuple[Request, LineIndex, str]:
    doc = find_document(ls.workspace, uri)
    if doc is None:
        raise JsonRpcInvalidParams(f"document {uri} is not open (send textDocument/didOpen first)")
    sync = getattr(ls.protocol, "sync", None)
    if sync is not None:
        if sync.changed_since(uri, received_seq.get()) and received_seq.get() >= 0:
            raise JsonRpcContentModified(f"{uri} changed after this request was sent")
        if reason := sync.out_of_sync(uri):
            raise OutOfSync(reason)
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


def is_current(ls, request: Request) -> bool:
    """Whether the document still holds exactly the text the request was computed for."""
    doc = find_document(ls.workspace, request.uri)
    if doc is None or doc.version != request.version or doc.source != request.text:
        return False
    sync = getattr(ls.protocol, "sync", None)
    return not (sync is not None and sync.out_of_sync(request.uri))
