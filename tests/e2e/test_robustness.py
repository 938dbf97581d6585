"""Hostile input against the real `tabstop serve` over stdio: every request gets exactly one answer.

Driven by the raw client in tests/rawlsp.py, because pytest-lsp's typed client
cannot send malformed frames or params. pygls on its own leaves a request with
invalid params unanswered; these tests pin down that Tabstop does not.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.rawlsp import RawServer, encode, frame

pytestmark = pytest.mark.model
DEMO = (ROOT / "samples" / "demo.py").read_text()
CALC = "def add(a, b):\n    return a + b\n\n\ndef subtract(a, b):\n    return \n"
FAST = {"completion": {"maxTokens": 24, "deadlineMs": 60000}}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("robust") / "server.log"
    srv = RawServer(log)
    # Before initialize: an error, not silence, and not a crash.
    early = srv.call("textDocument/inlineCompletion", srv.inline_params("file:///x.py", 0, 0))
    assert early["error"]["code"] == -32002
    reply = srv.initialize(FAST, root=ROOT)
    assert "inlineCompletionProvider" in reply["result"]["capabilities"]
    srv.log_path = log
    yield srv
    assert srv.output_errors == []
    assert srv.close() == 0


def error_code(reply: dict) -> int | None:
    return reply.get("error", {}).get("code")


def assert_real_completion(server: RawServer, uri: str) -> None:
    """The real model still completes `subtract` correctly after whatever came before."""
    server.open(uri, CALC, version=1)
    reply = server.call("textDocument/inlineCompletion", server.inline_params(uri, 5, 11), timeout=120)
    items = reply["result"]["items"]
    assert items and items[0]["insertText"].strip() == "a - b", reply
    assert items[0]["range"]["start"] == {"line": 5, "character": 11}


def test_invalid_params_get_minus_32602_with_a_summary(server):
    reply = server.call("textDocument/inlineCompletion", {"bogus": 1})
    assert error_code(reply) == -32602
    assert "position" in reply["error"]["message"] and "context" in reply["error"]["message"]
    reply = server.call("textDocument/inlineCompletion", {
        "textDocument": {"uri": "file:///a.py"}, "position": {"line": "x", "character": 0}, "context": {"triggerKind": 1}})
    assert error_code(reply) == -32602 and "position.line" in reply["error"]["message"]
    reply = server.call("textDocument/inlineCompletion", server.inline_params("file:///a.py", -1, 0))
    assert error_code(reply) == -32602
    reply = server.call("textDocument/inlineCompletion", server.inline_params("file:///a.py", 0, 0, trigger=7))
    assert error_code(reply) == -32602
    assert error_code(server.call("workspace/executeCommand", {"command": "tabstop.accept", "arguments": [1, 2, 3]})) == -32602


def test_envelope_errors(server):
    assert error_code(server.call("no/such/method", {"a": 1})) == -32601
    assert error_code(server.call("no/such/method", {"type_name": "not an identifier"})) == -32601
    assert error_code(server.call("initialize", {"capabilities": {}})) == -32600  # only once
    msg_id = server.next_id()
    server.send({"jsonrpc": "1.0", "id": msg_id, "method": "shutdown"})
    assert not server.wait_for([msg_id], 10) and error_code(server.responses[msg_id][0]) == -32600
    msg_id = server.next_id("str")
    server.send({"jsonrpc": "2.0", "id": msg_id, "method": 42})
    assert not server.wait_for([msg_id], 10) and error_code(server.responses[msg_id][0]) == -32600
    # A batch (LSP has none): every request in it is still answered, each on its own.
    a, b = server.next_id(), server.next_id()
    server.send([{"jsonrpc": "2.0", "id": a, "method": "no/such"}, {"jsonrpc": "2.0", "id": b, "method": "no/such"}])
    assert not server.wait_for([a, b], 10)
    # Values that are not messages get the JSON-RPC "id": null error, in order.
    before = len(server.null_id_errors)
    for junk in (b"{not json", b"[]", b"17", b'{"foo": 1}', b'{"jsonrpc": "2.0", "id": 1.5, "method": "x"}'):
        server.send_bytes(frame(junk))
    assert error_code(server.call("no/such")) == -32601  # all of the above were processed before this
    codes = [error_code(e) for e in server.null_id_errors[before:]]
    assert codes == [-32700, -32600, -32600, -32600, -32600]


def test_framing_junk_does_not_lose_the_next_request(server):
    for junk in (b"X-Garbage: yes\r\n\r\n", b"Content-Length: 99999999999\r\n\r\n", b"Content-Length: 5000\r\n\r\n{\"a\":",
                 b"Content-Length: 3\r\n\r\n", b"Content-Length: 1", b"\x00\xff\xfe" * 100):
        server.send_bytes(junk)
        assert error_code(server.call("no/such", timeout=10)) == -32601, junk


def test_invalid_utf8_in_a_request_is_answered(server):
    msg_id = server.next_id()
    body = b'{"jsonrpc": "2.0", "id": %d, "method": "no/such", "params": {"x": "\xff\xfe"}}' % msg_id
    server.send_bytes(frame(body))
    assert not server.wait_for([msg_id], 10) and error_code(server.responses[msg_id][0]) == -32601
    uri = "file:///tmp/tabstop-invalid-utf8.py"
    body = json.dumps({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": "x = 'PLACEHOLDER'\n"}}}).encode()
    server.send_bytes(frame(body.replace(b"PLACEHOLDER", b"\xc3\x28\xa0")))
    # Automatic trigger before text: answered without a model call (keeps the test fast).
    reply = server.call("textDocument/inlineCompletion", server.inline_params(uri, 0, 0, trigger=2))
    assert reply["result"] == {"items": []}
    # U+FFFD replaced the invalid bytes: one UTF-16 unit each, so the quote is at character 7.
    assert "result" in server.call("textDocument/inlineCompletion", server.inline_params(uri, 0, 7, trigger=2))


def test_positions_outside_the_document(server):
    uri = "file:///tmp/tabstop-positions.py"
    server.open(uri, "a = '😀'\r\nb = 2\n")
    past = server.call("textDocument/inlineCompletion", server.inline_params(uri, 5, 0))
    assert error_code(past) == -32602 and "past the end" in past["error"]["message"]
    inside = server.call("textDocument/inlineCompletion", server.inline_params(uri, 0, 6))
    assert error_code(inside) == -32602 and "surrogate pair" in inside["error"]["message"]
    huge = server.call("textDocument/inlineCompletion", server.inline_params(uri, 2**31 - 1, 2**31 - 1))
    assert error_code(huge) == -32602
    never = server.call("textDocument/inlineCompletion", server.inline_params("file:///never/opened.py", 0, 0))
    assert error_code(never) == -32602 and "not open" in never["error"]["message"]


def test_non_file_uris_complete(server):
    uri = "untitled:Untitled-1"
    server.open(uri, DEMO)
    reply = server.call("textDocument/inlineCompletion", server.inline_params(uri, 10, 11), timeout=120)
    assert reply["result"]["items"], reply
    for odd in ("vscode-notebook-cell:/x.ipynb#W0sZmlsZQ%3D%3D", "file:///a%00b.py", "::::", "", "file://[bad/x"):
        server.open(odd, "x = 1\n")
        reply = server.call("textDocument/inlineCompletion", server.inline_params(odd, 0, 0, trigger=2))
        assert "result" in reply or error_code(reply) == -32602, (odd, reply)


def test_percent_encoded_uri_is_found(server):
    """pygls stores documents under the unquoted URI; a lookup by the client's URI must still find it."""
    uri = (ROOT / "samples").as_uri() + "/my%20demo.py"
    server.open(uri, DEMO)
    reply = server.call("textDocument/inlineCompletion", server.inline_params(uri, 11, 0, trigger=2))
    # A document that is not found answers -32602 ("not open", see test_positions_outside_the_document); what the model
    # suggests on the blank line is its business, so only the shape of the answer is checked.
    assert "error" not in reply and isinstance(reply["result"]["items"], list), reply


def test_edit_outside_the_document_marks_it_out_of_sync_until_saved(server, tmp_path):
    path = tmp_path / "sync.py"
    path.write_text(DEMO)
    uri = path.as_uri()
    server.open(uri, DEMO)
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
        {"range": {"start": {"line": 400, "character": 0}, "end": {"line": 400, "character": 0}}, "text": "oops"}]})
    reply = server.call("textDocument/inlineCompletion", server.inline_params(uri, 10, 11), timeout=120)
    assert reply["result"]["items"] == []  # no completion for text we do not have
    # Later partial edits cannot resynchronise it either.
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [
        {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "#"}]})
    reply = server.call("textDocument/inlineCompletion", server.inline_params(uri, 10, 11), timeout=120)
    assert reply["result"]["items"] == []
    # A save: the file on disk is the buffer now.
    path.write_text(DEMO)
    server.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    reply = server.call("textDocument/inlineCompletion", server.inline_params(uri, 10, 11), timeout=120)
    items = reply["result"]["items"]  # (exact text varies with KV-cache reuse; the demo test checks quality)
    assert items and items[0]["range"]["start"] == {"line": 10, "character": 11}
    log = Path(server.log_path).read_text()
    assert log.count(f"{uri} is out of sync") == 1  # logged once, not once per edit or request


def test_full_text_change_resynchronises(server):
    uri = "untitled:sync-2"
    server.open(uri, "xyz")
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
        {"range": {"start": {"line": 0, "character": 2}, "end": {"line": 0, "character": 1}}, "text": "reversed"}]})
    assert server.call("textDocument/inlineCompletion", server.inline_params(uri, 0, 1))["result"]["items"] == []
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [
        {"text": DEMO}]})
    reply = server.call("textDocument/inlineCompletion", server.inline_params(uri, 10, 11), timeout=120)
    assert reply["result"]["items"]


def test_malformed_did_change_marks_out_of_sync(server):
    uri = "untitled:sync-3"
    server.open(uri, DEMO)
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
        {"range": {"start": {"line": "zero"}}, "text": 5}]})
    reply = server.call("textDocument/inlineCompletion", server.inline_params(uri, 10, 11), timeout=120)
    assert reply["result"]["items"] == []


def test_stale_request_never_gets_a_completion_for_old_text(server):
    uri = "untitled:stale"
    server.open(uri, DEMO)
    params = server.inline_params(uri, 10, 11)
    change = {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 10, "character": 11}, "end": {"line": 10, "character": 11}}, "text": "0"}]}}
    msg_id = server.next_id()
    # The edit follows in the same write, so it lands while the request is being worked on.
    server.send_bytes(encode({"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/inlineCompletion",
                              "params": params}) + encode(change))
    assert not server.wait_for([msg_id], 120)
    reply = server.responses[msg_id][0]
    assert error_code(reply) == -32801 or reply["result"]["items"] == [], reply


def test_cancel_storm_every_request_answered_once(server):
    uri = "untitled:storm"
    server.open(uri, DEMO)
    ids = []
    for i in range(40):
        ids.append(server.request("textDocument/inlineCompletion", server.inline_params(uri, 10, 11)))
        if i % 2:
            server.notify("$/cancelRequest", {"id": ids[-1]})
        server.notify("$/cancelRequest", {"id": 10**9 + i})  # unknown ids are harmless
    assert server.wait_for(ids, 180) == []
    assert all(len(server.responses[i]) == 1 for i in ids)
    codes = {error_code(server.responses[i][0]) for i in ids}
    assert codes <= {None, -32800}
    assert_real_completion(server, "untitled:after-storm")


def test_large_document_stays_responsive(server):
    """A 24 MB document: opened, edited in the middle, completed; other requests answered meanwhile."""
    uri = "untitled:big"
    text = "value = compute(1)\n" * 1_300_000
    t0 = time.monotonic()
    server.open(uri, text)
    ping = server.request("no/such")  # queued behind the 24 MB message
    assert server.wait_for([ping], 60) == []
    mid = 650_000
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
        {"range": {"start": {"line": mid, "character": 0}, "end": {"line": mid, "character": 18}}, "text": "def f(x):"}]})
    reply = server.call("textDocument/inlineCompletion", server.inline_params(uri, mid, 9), timeout=120)
    assert "result" in reply
    reply = server.call("textDocument/inlineCompletion", server.inline_params(uri, 1_300_000, 0), timeout=120)
    assert "result" in reply
    assert error_code(server.call("textDocument/inlineCompletion",
                                  server.inline_params(uri, 1_300_001, 0))) == -32602
    print(f"24 MB document round trip: {time.monotonic() - t0:.1f}s")


def test_after_shutdown_requests_are_refused_and_exit_is_clean(tmp_path):
    srv = RawServer(tmp_path / "s.log")
    try:
        srv.initialize({})
        assert srv.call("shutdown")["result"] is None
        assert error_code(srv.call("no/such")) == -32600
        srv.notify("exit")
        assert srv.proc.wait(20) == 0
    finally:
        srv.close()


def test_answers_while_the_model_loads_are_not_lost(tmp_path):
    """llama-cpp-python points fd 1 at /dev/null while it loads a model (on the inference thread).

    Before lsp/stdio.py moved the protocol off fd 1, every answer written in that
    window was silently lost and the client waited forever.
    """
    srv = RawServer(tmp_path / "s.log")
    try:
        srv.initialize({})
        ids = []
        log_file = Path(tmp_path / "s.log")
        t_end = time.monotonic() + 120  # keep asking until the load is over (1-3 s quiet, longer when loaded)
        while time.monotonic() < t_end and "loaded" not in (log_file.read_text() if log_file.exists() else ""):
            ids.append(srv.request("no/such"))
            time.sleep(0.02)
        ids.append(srv.request("no/such"))
        assert srv.wait_for(ids, 60) == []
        assert srv.output_errors == []
        assert "loaded" in log_file.read_text()  # the load did happen while we were asking
    finally:
        srv.close()
