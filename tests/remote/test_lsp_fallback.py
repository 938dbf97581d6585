"""Through the language server: a dead remote makes it fall back, and the client is told.

`tabstop serve` (subprocess, pytest-lsp) is configured with backend=llamacpp at a
port nothing listens on; the local model is the real default model. Status
changes must arrive as `tabstop/status` notifications.
"""
from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.conftest import server_command, server_env
from tests.remote.standin import free_port

pytestmark = pytest.mark.model
DEAD = f"http://127.0.0.1:{free_port()}"
# A workspace of its own: with the project as the workspace, repository context (this very
# test suite) decides what a 0.5B model says after `return `, which is not what is tested here.
WORKSPACE = Path(tempfile.mkdtemp(prefix="tabstop-fallback-"))
URI = (WORKSPACE / "fallback_demo.py").as_uri()
TEXT = "def add(a, b):\n    return "


def status_dict(params) -> dict:
    return params if isinstance(params, dict) else params._asdict()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=server_command(), server_env=server_env()))
async def client(lsp_client: LanguageClient):
    statuses: list = []
    lsp_client.feature("tabstop/status")(lambda params: statuses.append(status_dict(params)))
    lsp_client.statuses = statuses
    await lsp_client.initialize_session(t.InitializeParams(
        capabilities=t.ClientCapabilities(),
        root_uri=WORKSPACE.as_uri(),
        initialization_options={
            "backend": "llamacpp",
            "completion": {"maxTokens": 16, "deadlineMs": 30000},
            "remote": {"url": DEAD, "fallbackToLocal": True, "failureThreshold": 1, "probeIntervalS": 60,
                       "retries": 0},
        },
    ))
    yield
    await lsp_client.shutdown_session()


def inline(client: LanguageClient):
    return client.text_document_inline_completion_async(t.InlineCompletionParams(
        text_document=t.TextDocumentIdentifier(URI), position=t.Position(1, 11),
        context=t.InlineCompletionContext(trigger_kind=t.InlineCompletionTriggerKind.Invoked)))


async def test_dead_remote_falls_back_to_local_and_reports_it(client: LanguageClient):
    client.text_document_did_open(t.DidOpenTextDocumentParams(
        t.TextDocumentItem(uri=URI, language_id="python", version=1, text=TEXT)))
    first = await inline(client)
    assert not first.items  # the failing request itself answers empty, at once
    for _ in range(50):
        if any(s["state"] == "fallback" for s in client.statuses):
            break
        await asyncio.sleep(0.05)
    fallback = [s for s in client.statuses if s["state"] == "fallback"]
    assert fallback and "using the local model" in fallback[0]["message"] and "ConnectError" in fallback[0]["message"]
    assert fallback[0]["backend"] == "local"  # who answers now

    second = await inline(client)  # now the local model answers
    assert second.items and second.items[0].insert_text.strip()
    assert "a" in second.items[0].insert_text
