"""End to end: token healing through `tabstop serve` (subprocess over stdio, real model, pytest-lsp)."""
from __future__ import annotations

import asyncio
import difflib
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.conftest import ROOT, server_command, server_env

pytestmark = pytest.mark.model
URI = (ROOT / "samples" / "difflib_typing.py").as_uri()  # never read from disk: the text comes with didOpen
LINE = "            fromdate = '\\t{}'.format(fromfiledate) if fromfiledate else ''"
TYPED = "            fromdate = '\\t{}'.fo"


def typing_difflib() -> tuple[str, int, int]:
    """The standard library's difflib.py as while typing `'\\t{}'.fo` on the line that formats a date."""
    source = Path(difflib.__file__).read_text()
    start = source.index(LINE)
    text = source[:start] + TYPED + source[start + len(LINE):]
    line = text.count("\n", 0, start)
    return text, line, len(TYPED)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=server_command(), server_env=server_env()))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(t.InitializeParams(
        capabilities=t.ClientCapabilities(general=t.GeneralClientCapabilities(position_encodings=[t.PositionEncodingKind.Utf16])),
        root_uri=ROOT.as_uri(),
        # a generous deadline: the test machine is shared; this checks behaviour, not speed
        initialization_options={"completion": {"maxTokens": 16, "deadlineMs": 120000, "prefixTokens": 256, "candidates": 3}},
    ))
    yield
    await lsp_client.shutdown_session()


def inline(client: LanguageClient, line: int, character: int):
    return client.text_document_inline_completion_async(t.InlineCompletionParams(
        text_document=t.TextDocumentIdentifier(URI), position=t.Position(line, character),
        context=t.InlineCompletionContext(trigger_kind=t.InlineCompletionTriggerKind.Invoked)))


async def test_mid_word_after_dot_completes_the_word_not_a_new_one(client: LanguageClient):
    text, line, character = typing_difflib()
    client.text_document_did_open(t.DidOpenTextDocumentParams(
        t.TextDocumentItem(uri=URI, language_id="python", version=1, text=text)))
    result = await inline(client, line, character)
    assert result.items, "expected a completion after `'\\t{}'.fo`"
    first = result.items[0]
    assert first.insert_text.startswith("rmat(")  # `.fo` + `rmat(` = `.format(`, not `.foormat(`
    assert first.range.start == t.Position(line, character) == first.range.end  # inserted at the cursor
    for item in result.items:  # several ranked candidates, each with its own accept command
        assert item.command and item.command.command == "tabstop.accept"
    assert len({i.insert_text for i in result.items}) == len(result.items)

    # The same request with healing turned off shows the failure healing exists for.
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams(
        settings={"completion": {"tokenHealing": False}}))
    await asyncio.sleep(0.2)
    plain = await inline(client, line, character)
    assert not any(i.insert_text.startswith("rmat(") for i in plain.items[:1])
