"""End to end: `tabstop serve` as a subprocess over stdio, driven by pytest-lsp, with the real model."""
from __future__ import annotations

import asyncio
import time

import pytest
import pytest_lsp
from lsprotocol import types as t
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.conftest import ROOT, server_command, server_env, lsp_settings

pytestmark = pytest.mark.model
SAMPLE = (ROOT / "samples" / "demo.py").read_text()
URI = (ROOT / "samples" / "demo.py").as_uri()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=server_command(), server_env=server_env()))
async def client(lsp_client: LanguageClient):
    statuses: list[dict] = []
    lsp_client.feature("tabstop/status")(lambda params: statuses.append(params))
    lsp_client.statuses = statuses
    result = await lsp_client.initialize_session(t.InitializeParams(
        capabilities=t.ClientCapabilities(general=t.GeneralClientCapabilities(position_encodings=[t.PositionEncodingKind.Utf16])),
        root_uri=ROOT.as_uri(),
        initialization_options=lsp_settings(maxTokens=48),
    ))
    lsp_client.server_capabilities = result.capabilities
    yield
    await lsp_client.shutdown_session()


def open_doc(client: LanguageClient, text: str, uri: str = URI, version: int = 1) -> None:
    client.text_document_did_open(t.DidOpenTextDocumentParams(
        t.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)))


def inline(client: LanguageClient, line: int, character: int, uri: str = URI):
    return client.text_document_inline_completion_async(t.InlineCompletionParams(
        text_document=t.TextDocumentIdentifier(uri), position=t.Position(line, character),
        context=t.InlineCompletionContext(trigger_kind=t.InlineCompletionTriggerKind.Invoked)))


async def test_capabilities_advertise_inline_completion(client: LanguageClient):
    caps = client.server_capabilities
    assert caps is not None and caps.inline_completion_provider
    assert caps.position_encoding == t.PositionEncodingKind.Utf16
    assert caps.completion_provider is None  # the fallback is off by default


async def test_real_completion_parses_with_file(client: LanguageClient):
    open_doc(client, SAMPLE)
    result = await inline(client, 10, 11)
    assert result.items, "expected a completion after `return ` in fibonacci"
    item = result.items[0]
    assert item.insert_text.strip()
    assert item.range.start == t.Position(10, 11)
    assert item.command and item.command.command == "tabstop.accept" and item.command.arguments
    lines = SAMPLE.split("\n")
    lines[10] = lines[10] + item.insert_text
    compile("\n".join(lines), "demo.py", "exec")  # the completed file still parses
    assert "fibonacci(n - 1)" in item.insert_text.replace("n-1", "n - 1")


async def test_incremental_edit_then_complete(client: LanguageClient):
    open_doc(client, "def add(a, b):\n    \n")
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=URI, version=2),
        content_changes=[t.TextDocumentContentChangePartial(
            range=t.Range(t.Position(1, 4), t.Position(1, 4)), text="return a")]))
    result = await inline(client, 1, 12)
    assert result.items and result.items[0].insert_text.strip().startswith("+")


async def test_position_past_end_is_an_error_not_a_crash(client: LanguageClient):
    open_doc(client, SAMPLE)
    with pytest.raises(JsonRpcException) as err:
        await inline(client, 500, 0)
    assert err.value.code == -32602 and "past the end" in err.value.message
    with pytest.raises(JsonRpcException):
        await inline(client, 0, 0, uri="file:///never/opened.py")
    result = await inline(client, 10, 11)  # still serving
    assert result.items


async def test_cancel_returns_quickly_and_next_request_works(client: LanguageClient):
    long_doc = "\n".join(f"def function_{i}(x):\n    return x * {i}\n" for i in range(150)) + "\ndef main():\n    "
    open_doc(client, long_doc)
    last = long_doc.count("\n")
    params = t.InlineCompletionParams(
        text_document=t.TextDocumentIdentifier(URI), position=t.Position(last, 4),
        context=t.InlineCompletionContext(trigger_kind=t.InlineCompletionTriggerKind.Invoked))
    # pytest-lsp's send_request_async is a coroutine: schedule it so the request goes out now.
    future = asyncio.ensure_future(
        client.protocol.send_request_async(t.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id="to-cancel"))
    await asyncio.sleep(1.0)  # the server is evaluating the ~1,500-token prompt now
    t0 = time.monotonic()
    client.protocol.notify(t.CANCEL_REQUEST, t.CancelParams(id="to-cancel"))
    with pytest.raises(JsonRpcException) as err:
        result = await future
        pytest.fail(f"expected a cancellation error, got {result} after {time.monotonic() - t0:.2f}s")
    assert err.value.code == -32800  # RequestCancelled: exactly one response, an error
    assert time.monotonic() - t0 < 5.0
    # The worker was freed: a small request right after still gets a real answer.
    open_doc(client, SAMPLE)
    result = await inline(client, 10, 11)
    assert result.items


async def test_status_notifications(client: LanguageClient):
    open_doc(client, SAMPLE)
    await inline(client, 10, 11)
    await asyncio.sleep(0.2)
    states = [s.state for s in client.statuses]  # pygls hands custom params over as objects
    assert "ready" in states
    assert any(s.latencyMs for s in client.statuses)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=server_command(), server_env=server_env()))
async def broken_client(lsp_client: LanguageClient, tmp_path):
    statuses: list = []
    lsp_client.feature("tabstop/status")(lambda params: statuses.append(params))
    lsp_client.statuses = statuses  # pytest-lsp itself collects window/showMessage in .messages
    settings = lsp_settings()
    settings["model"]["name"] = str(tmp_path / "missing.gguf")
    await lsp_client.initialize_session(t.InitializeParams(
        capabilities=t.ClientCapabilities(), root_uri=ROOT.as_uri(), initialization_options=settings))
    yield
    await lsp_client.shutdown_session()


async def test_missing_model_one_message_and_server_keeps_serving(broken_client: LanguageClient):
    open_doc(broken_client, SAMPLE)
    for _ in range(3):
        result = await inline(broken_client, 10, 11)
        assert not result.items  # no completion, but an answer every time
    await asyncio.sleep(0.3)
    errors = [m for m in broken_client.messages if m.type == t.MessageType.Error]
    assert len(errors) == 1 and "missing.gguf" in errors[0].message  # once, not per keystroke
    assert any(s.state == "error" for s in broken_client.statuses)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=server_command(), server_env=server_env()))
async def utf8_client(lsp_client: LanguageClient):
    result = await lsp_client.initialize_session(t.InitializeParams(
        capabilities=t.ClientCapabilities(general=t.GeneralClientCapabilities(
            position_encodings=[t.PositionEncodingKind.Utf16, t.PositionEncodingKind.Utf8])),
        root_uri=ROOT.as_uri(),
        initialization_options=lsp_settings(completionFallback=True, maxTokens=32),
    ))
    lsp_client.server_capabilities = result.capabilities
    yield
    await lsp_client.shutdown_session()


async def test_utf8_negotiated_and_non_ascii_positions(utf8_client: LanguageClient):
    caps = utf8_client.server_capabilities
    assert caps.position_encoding == t.PositionEncodingKind.Utf8  # preferred whenever offered
    text = 'greeting = "héllo wörld 😀"\nprint(greeting.upper())\nname = "åsa"\nprint(name.'
    open_doc(utf8_client, text)
    last = text.split("\n")[-1]
    result = await inline(utf8_client, 3, len(last.encode("utf-8")))
    assert result.items
    assert result.items[0].range.start == t.Position(3, len(last.encode("utf-8")))
    # a UTF-8 column inside the multi-byte é is rejected, not silently shifted
    with pytest.raises(JsonRpcException):
        await inline(utf8_client, 0, len('greeting = "h'.encode()) + 1)


async def test_completion_fallback_when_enabled(utf8_client: LanguageClient):
    assert utf8_client.server_capabilities.completion_provider is not None
    open_doc(utf8_client, SAMPLE)
    result = await utf8_client.text_document_completion_async(t.CompletionParams(
        text_document=t.TextDocumentIdentifier(URI), position=t.Position(10, 11)))
    assert result.items and "fibonacci" in result.items[0].text_edit.new_text
    assert result.items[0].command.command == "tabstop.accept"


async def test_configuration_change_enables_and_disables(client: LanguageClient):
    open_doc(client, SAMPLE)
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams(
        settings={"tabstop": {"completion": {"enabled": False}}}))
    await asyncio.sleep(0.3)
    result = await inline(client, 10, 11)
    assert not result.items  # disabled
    assert client.statuses[-1].state == "disabled"
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams(
        settings={"tabstop": {"completion": {"enabled": True}}}))
    await asyncio.sleep(0.3)
    assert (await inline(client, 10, 11)).items


async def test_configuration_bad_values_warn(client: LanguageClient):
    # Sent while the model is still loading: messages written during a model load used to
    # vanish (llama-cpp-python points fd 1 at /dev/null while loading; see lsp/cli.py).
    open_doc(client, SAMPLE)
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams(
        settings={"tabstop": {"completion": {"maxTokens": "lots"}, "backend": "gpt"}}))
    for _ in range(50):
        await asyncio.sleep(0.1)
        warnings = [m.message for m in client.messages if m.type == t.MessageType.Warning]
        if warnings:
            break
    assert warnings and "max_tokens" in warnings[0] and "backend" in warnings[0]
    assert (await inline(client, 10, 11)).items  # invalid values kept the previous settings
