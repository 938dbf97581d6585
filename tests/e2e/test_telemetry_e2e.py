"""Telemetry end to end: `tabstop serve` over stdio (pytest-lsp), the real model, a real SQLite file.

The client speaks the way existing clients do: the item's `command` (`tabstop.accept`) through
workspace/executeCommand, Copilot's `textDocument/didShowCompletion` and
`textDocument/didPartiallyAcceptCompletion`, and our `tabstop/didRejectCompletion`.
Rows are read back from the database file the server wrote.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
from pathlib import Path

import pytest
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig

from tests.conftest import ROOT, lsp_settings, server_command, server_env

pytestmark = pytest.mark.model
URI = "file:///tmp/tabstop-telemetry-e2e/add.py"
DOC = "def add(a, b):\n    return "
INIT = {**lsp_settings(maxTokens=24), "telemetry": {"outcomeDelayS": 0.3}}


@contextlib.asynccontextmanager
async def serve(db: Path, init: dict | None = None, **env: str):
    client = await ClientServerConfig(server_command=server_command(),
                                      server_env=server_env(TABSTOP_TELEMETRY_DB=str(db), **env)).start()
    await client.initialize_session(t.InitializeParams(
        capabilities=t.ClientCapabilities(), root_uri=ROOT.as_uri(), initialization_options=init or INIT))
    try:
        yield client
    finally:
        await client.shutdown_session()
        await client.stop()


def open_doc(client, text: str = DOC, version: int = 1) -> None:
    client.text_document_did_open(t.DidOpenTextDocumentParams(
        t.TextDocumentItem(uri=URI, language_id="python", version=version, text=text)))


def type_text(client, line: int, character: int, text: str, version: int) -> None:
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=URI, version=version),
        content_changes=[t.TextDocumentContentChangePartial(
            range=t.Range(t.Position(line, character), t.Position(line, character)), text=text)]))


async def complete(client, line: int = 1, character: int = 11) -> t.InlineCompletionItem:
    result = await client.text_document_inline_completion_async(t.InlineCompletionParams(
        text_document=t.TextDocumentIdentifier(URI), position=t.Position(line, character),
        context=t.InlineCompletionContext(trigger_kind=t.InlineCompletionTriggerKind.Automatic)))
    assert result is not None and result.items, "expected a suggestion from the real model"
    item = result.items[0]
    assert item.command is not None and item.command.command == "tabstop.accept"
    return item


def item_json(item: t.InlineCompletionItem) -> dict:
    """The item as the client holds it (Copilot clients send it back whole)."""
    return {"insertText": item.insert_text, "command": {"title": item.command.title, "command": item.command.command,
                                                        "arguments": item.command.arguments}}


def db_rows(db: Path, completion_id: str) -> list[dict]:
    if not db.exists():
        return []
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("select * from events where completion_id = ? order by id",
                                              (completion_id,))]
    except sqlite3.DatabaseError:  # the server is still creating the schema (or replacing a damaged file)
        return []
    finally:
        conn.close()


async def wait_for(db: Path, completion_id: str, kinds: set[str], timeout: float = 60.0) -> list[dict]:
    """Events are written by the server's writer thread, shortly after they happen."""
    deadline = time.monotonic() + timeout
    while True:
        rows = db_rows(db, completion_id)
        if kinds <= {r["kind"] for r in rows} or time.monotonic() > deadline:
            return rows
        await asyncio.sleep(0.2)


async def test_show_accept_outcome_rows(tmp_path):
    db = tmp_path / "telemetry.db"
    async with serve(db) as client:
        open_doc(client)
        item = await complete(client)
        cid = item.command.arguments[0]
        client.protocol.notify("textDocument/didShowCompletion", {"item": item_json(item)})
        await client.workspace_execute_command_async(t.ExecuteCommandParams(command="tabstop.accept",
                                                                            arguments=[cid]))
        type_text(client, 1, 11, item.insert_text, 2)  # the editor inserts the accepted text
        rows = await wait_for(db, cid, {"requested", "shown", "accepted", "outcome"})
    kinds = [r["kind"] for r in rows]
    assert kinds == ["requested", "shown", "accepted", "outcome"], kinds
    req, accepted, outcome = rows[0], rows[2], rows[3]
    assert req["model"] and req["backend"] == "local" and req["language"] == "python"
    assert req["trigger"] == "automatic" and req["latency_ms"] > 0 and req["prompt_tokens"] > 0
    assert req["mean_logprob"] is not None and req["mean_logprob"] <= 0
    assert req["completion_chars"] == len(item.insert_text) and json.loads(req["features"])["chars_before"] == 11
    assert accepted["accepted_chars"] == len(item.insert_text) and accepted["model"] == req["model"]
    assert accepted["prefix"] is None  # no code stored without the opt-in
    assert outcome["survival"] == 1.0
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"


async def test_partial_accept_and_explicit_reject(tmp_path):
    db = tmp_path / "telemetry.db"
    async with serve(db) as client:
        open_doc(client)
        item = await complete(client)
        cid = item.command.arguments[0]
        client.protocol.notify("textDocument/didShowCompletion", {"item": item_json(item)})
        client.protocol.notify("textDocument/didPartiallyAcceptCompletion",
                               {"item": item_json(item), "acceptedLength": 1, "kind": "word"})
        rows = await wait_for(db, cid, {"partial"})
        client.protocol.notify("tabstop/didRejectCompletion", {"completionId": cid, "reason": "escape"})
        rows = await wait_for(db, cid, {"partial", "rejected"})
    partial = next(r for r in rows if r["kind"] == "partial")
    assert partial["accepted_chars"] == 1 and partial["model"] and partial["reason"] == "word"
    assert next(r for r in rows if r["kind"] == "rejected")["reason"] == "escape"


async def test_typing_over_or_closing_is_an_implicit_reject(tmp_path):
    db = tmp_path / "telemetry.db"
    async with serve(db) as client:
        open_doc(client)
        first = await complete(client)
        cid = first.command.arguments[0]
        client.protocol.notify("textDocument/didShowCompletion", {"item": item_json(first)})
        typed = "max(" if not first.insert_text.startswith("max(") else "min("
        type_text(client, 1, 11, typed, 2)
        second = await complete(client, 1, 11 + len(typed))
        rows = await wait_for(db, cid, {"rejected"})
        second_id = second.command.arguments[0]
        assert second_id != cid
        client.protocol.notify("textDocument/didShowCompletion", {"item": item_json(second)})
        client.text_document_did_close(t.DidCloseTextDocumentParams(t.TextDocumentIdentifier(URI)))
        closed = await wait_for(db, second_id, {"rejected"})
    rejected = [r for r in rows if r["kind"] == "rejected"]
    assert rejected and rejected[0]["reason"] == "typed_over"
    assert [r["reason"] for r in closed if r["kind"] == "rejected"] == ["dismissed"]


async def test_malformed_notifications_and_a_damaged_database_do_not_stop_serving(tmp_path):
    db = tmp_path / "telemetry.db"
    db.write_bytes(b"\x00garbage, not SQLite\n" * 200)
    async with serve(db) as client:
        open_doc(client)
        client.protocol.notify("textDocument/didShowCompletion", {})
        client.protocol.notify("textDocument/didPartiallyAcceptCompletion", {"item": {"command": {"arguments": ["x"]}},
                                                                            "acceptedLength": "many"})
        client.protocol.notify("tabstop/didRejectCompletion", {"item": 5})
        item = await complete(client)
        assert item.insert_text.strip()
        rows = await wait_for(db, item.command.arguments[0], {"requested"})
    assert [r["kind"] for r in rows] == ["requested"]  # written to a rebuilt file
    assert list(tmp_path.glob("telemetry.db.corrupt-*"))  # the damaged one kept aside


async def test_telemetry_off_writes_nothing(tmp_path):
    db = tmp_path / "off" / "telemetry.db"
    async with serve(db, TABSTOP_TELEMETRY="off") as client:
        open_doc(client)
        item = await complete(client)
        cid = item.command.arguments[0]
        client.protocol.notify("textDocument/didShowCompletion", {"item": item_json(item)})
        await client.workspace_execute_command_async(t.ExecuteCommandParams(command="tabstop.accept",
                                                                            arguments=[cid]))
        await asyncio.sleep(1.0)
    assert not db.exists() and not db.parent.exists()
