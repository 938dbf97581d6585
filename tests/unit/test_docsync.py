"""Document synchronisation and stale-request detection, on pygls' real Workspace (no I/O needed)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from lsprotocol import types as t
from pygls.exceptions import JsonRpcContentModified, JsonRpcInvalidParams
from pygls.workspace import Workspace

from lsp.convert import PositionError
from lsp.docsync import DocumentSync, apply_edit, find_document
from lsp.protocol import received_seq
from lsp.requests import OutOfSync, build_request, is_current

URI = "file:///w/my%20file.py"


def rng(a: int, b: int, c: int, d: int) -> t.Range:
    return t.Range(t.Position(a, b), t.Position(c, d))


def server(text: str = "ab\ncd\n", encoding=t.PositionEncodingKind.Utf16):
    ws = Workspace(None, position_encoding=encoding)
    sync = DocumentSync()
    sync.did_open(ws, t.DidOpenTextDocumentParams(t.TextDocumentItem(URI, "python", 1, text)))
    return SimpleNamespace(workspace=ws, protocol=SimpleNamespace(sync=sync)), sync


def change(sync, ls, version, *changes):
    sync.did_change(ls.workspace, t.DidChangeTextDocumentParams(t.VersionedTextDocumentIdentifier(version=version, uri=URI),
                                                                list(changes)))


def partial(r: t.Range, text: str):
    return t.TextDocumentContentChangePartial(range=r, text=text)


@pytest.mark.parametrize("r,new,expected", [
    (rng(0, 1, 0, 1), "X", "aXb\ncd\n"),
    (rng(0, 0, 1, 1), "", "d\n"),
    (rng(0, 99, 0, 99), "!", "ab!\ncd\n"),  # character past the line end: clamped, as LSP says
    (rng(2, 0, 2, 0), "ef", "ab\ncd\nef"),  # the empty last line exists
    (rng(0, 0, 3, 0), "", ""),  # (line count, 0): some clients' "to the end"
])
def test_apply_edit(r, new, expected):
    assert apply_edit("ab\ncd\n", r, new, "utf-16") == expected


@pytest.mark.parametrize("r", [rng(4, 0, 4, 0), rng(0, 2, 0, 1), rng(1, 0, 0, 0), rng(3, 1, 3, 1)])
def test_apply_edit_rejects_ranges_that_do_not_fit(r):
    with pytest.raises(PositionError):
        apply_edit("ab\ncd\n", r, "x", "utf-16")


def test_apply_edit_in_utf8_and_inside_a_surrogate_pair():
    assert apply_edit("é😀x", rng(0, 6, 0, 6), "|", "utf-8") == "é😀|x"
    with pytest.raises(PositionError):
        apply_edit("😀", rng(0, 1, 0, 1), "x", "utf-16")


def test_changes_apply_in_order_and_lookup_by_quoted_uri():
    ls, sync = server()
    change(sync, ls, 2, partial(rng(0, 0, 0, 0), "1"), partial(rng(0, 0, 0, 1), "2"))
    doc = find_document(ls.workspace, URI)
    assert doc.source == "2ab\ncd\n" and doc.version == 2
    assert find_document(ls.workspace, "file:///w/my file.py") is doc


def test_bad_edit_marks_out_of_sync_until_full_text(caplog):
    ls, sync = server()
    change(sync, ls, 2, partial(rng(7, 0, 7, 0), "x"))
    assert sync.out_of_sync(URI)
    change(sync, ls, 3, partial(rng(0, 0, 0, 0), "y"), partial(rng(9, 0, 9, 0), "z"))
    assert caplog.text.count("out of sync") == 1
    with pytest.raises(OutOfSync):
        build_request(ls, URI, t.Position(0, 0), trigger="invoked")
    change(sync, ls, 4, t.TextDocumentContentChangeWholeDocument(text="new\n"), partial(rng(0, 0, 0, 0), ">"))
    assert not sync.out_of_sync(URI) and find_document(ls.workspace, URI).source == ">new\n"


def test_save_reloads_from_disk_only_when_out_of_sync(tmp_path):
    path = tmp_path / "f.py"
    path.write_text("from disk\n")
    uri = path.as_uri()
    ws, sync = Workspace(None), DocumentSync()
    sync.did_open(ws, t.DidOpenTextDocumentParams(t.TextDocumentItem(uri, "python", 1, "in editor\n")))
    sync.did_save(ws, t.DidSaveTextDocumentParams(t.TextDocumentIdentifier(uri)))
    assert find_document(ws, uri).source == "in editor\n"  # in sync: the editor's text wins
    sync.mark_out_of_sync(ws, uri, "test")
    sync.did_save(ws, t.DidSaveTextDocumentParams(t.TextDocumentIdentifier(uri)))
    assert find_document(ws, uri).source == "from disk\n" and not sync.out_of_sync(uri)


def test_request_that_arrived_before_an_edit_is_content_modified():
    ls, sync = server()
    token = received_seq.set(sync.seq)  # the request arrives...
    try:
        change(sync, ls, 2, partial(rng(0, 0, 0, 0), "x"))  # ...and an edit is applied before its handler runs
        with pytest.raises(JsonRpcContentModified):
            build_request(ls, URI, t.Position(0, 0), trigger="invoked")
        received_seq.set(sync.seq)
        request, _, _ = build_request(ls, URI, t.Position(0, 1), trigger="invoked")
    finally:
        received_seq.reset(token)
    assert is_current(ls, request)
    change(sync, ls, 3, partial(rng(0, 0, 0, 0), "y"))
    assert not is_current(ls, request)  # a completion computed for it would be dropped


def test_reopened_with_the_same_version_but_other_text_is_not_current():
    ls, sync = server("one\n")
    request, _, _ = build_request(ls, URI, t.Position(0, 3), trigger="invoked")
    sync.did_close(ls.workspace, t.DidCloseTextDocumentParams(t.TextDocumentIdentifier(URI)))
    sync.did_open(ls.workspace, t.DidOpenTextDocumentParams(t.TextDocumentItem(URI, "python", 1, "two\n")))
    assert not is_current(ls, request)


def test_unknown_document_and_bad_position_are_invalid_params():
    ls, _ = server()
    with pytest.raises(JsonRpcInvalidParams, match="not open"):
        build_request(ls, "file:///other.py", t.Position(0, 0), trigger="invoked")
    with pytest.raises(JsonRpcInvalidParams, match="past the end"):
        build_request(ls, URI, t.Position(5, 0), trigger="invoked")
