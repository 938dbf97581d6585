"""End to end: the server indexes its workspace and puts a signature from another file into the prompt.

`tabstop serve` runs as a subprocess over stdio, driven by pytest-lsp, with the
real model. The completion at `ledger.record_` needs the method name defined
only in `inventory/ledger.py`; the server logs the context items it packed.
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

pytestmark = pytest.mark.model
INDEX_DIR = tempfile.mkdtemp(prefix="tabstop-e2e-index-")

LEDGER = '''"""Stock bookkeeping."""


class InventoryLedger:
    """Tracks stock per SKU."""

    def record_shipment_arrival(self, sku: str, quantity: int) -> None:
        self._stock[sku] = self._stock.get(sku, 0) + quantity

    def stock_level(self, sku: str) -> int:
        return self._stock.get(sku, 0)
'''
MAIN = '''from inventory.ledger import InventoryLedger


def receive(ledger: InventoryLedger, sku: str, quantity: int) -> None:
    ledger.record_'''
LATER = '''"""Added while the server runs."""


def summarise_quarterly_margin(revenue_cents: int, cost_cents: int) -> float:
    return (revenue_cents - cost_cents) / revenue_cents
'''


@pytest_lsp.fixture(config=ClientServerConfig(server_command=server_command(),
                                              server_env=server_env(TABSTOP_INDEX_DIR=INDEX_DIR)))
async def client(lsp_client: LanguageClient, tmp_path: Path):
    root = tmp_path / "warehouse"
    (root / "inventory").mkdir(parents=True)
    (root / "inventory/__init__.py").write_text("# inventory\n")
    (root / "inventory/ledger.py").write_text(LEDGER)
    (root / "main.py").write_text(MAIN + "\n")
    registrations: list[t.Registration] = []

    @lsp_client.feature(t.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: t.RegistrationParams) -> None:
        registrations.extend(params.registrations)

    lsp_client.registrations = registrations
    lsp_client.root = root
    await lsp_client.initialize_session(t.InitializeParams(
        capabilities=t.ClientCapabilities(
            window=t.WindowClientCapabilities(work_done_progress=True),
            workspace=t.WorkspaceClientCapabilities(
                did_change_watched_files=t.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True)),
            general=t.GeneralClientCapabilities(position_encodings=[t.PositionEncodingKind.Utf16])),
        root_uri=root.as_uri(),
        workspace_folders=[t.WorkspaceFolder(uri=root.as_uri(), name="warehouse")],
        initialization_options={"logLevel": "debug", "completion": {"maxTokens": 16, "deadlineMs": 120000}},
    ))
    yield
    await lsp_client.shutdown_session()


async def wait_for_index(client: LanguageClient, timeout: float = 60.0) -> None:
    """The server reports indexing with work-done progress; wait for its `end`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        for reports in client.progress_reports.values():
            if any(isinstance(r, t.WorkDoneProgressEnd) for r in reports):
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no index progress end; reports: {client.progress_reports}")


def inline(client: LanguageClient, uri: str, line: int, character: int):
    return client.text_document_inline_completion_async(t.InlineCompletionParams(
        text_document=t.TextDocumentIdentifier(uri), position=t.Position(line, character),
        context=t.InlineCompletionContext(trigger_kind=t.InlineCompletionTriggerKind.Invoked)))


def context_logs(client: LanguageClient) -> list[str]:
    return [m.message for m in client.log_messages if "context for" in m.message]


async def test_completion_uses_a_signature_from_another_file(client: LanguageClient):
    await wait_for_index(client)
    begin = next(r for reports in client.progress_reports.values() for r in reports
                 if isinstance(r, t.WorkDoneProgressBegin))
    assert "Indexing" in (begin.message or "")
    assert any(r.method == t.WORKSPACE_DID_CHANGE_WATCHED_FILES for r in client.registrations)
    uri = (client.root / "main.py").as_uri()
    client.text_document_did_open(t.DidOpenTextDocumentParams(
        t.TextDocumentItem(uri=uri, language_id="python", version=1, text=MAIN)))
    result = await inline(client, uri, 4, len("    ledger.record_"))
    await asyncio.sleep(0.2)
    logs = context_logs(client)
    assert logs and "signature inventory/ledger.py:.InventoryLedger" in logs[-1], logs
    assert result.items, "expected a completion"
    assert result.items[0].insert_text.startswith("shipment_arrival"), result.items[0].insert_text


async def test_watched_file_changes_reach_the_index(client: LanguageClient):
    await wait_for_index(client)
    later = client.root / "finance.py"
    later.write_text(LATER)
    client.workspace_did_change_watched_files(t.DidChangeWatchedFilesParams(
        changes=[t.FileEvent(uri=later.as_uri(), type=t.FileChangeType.Created)]))
    text = "from finance import summarise_quarterly_margin\n\nmargin = summarise_quarterly_margin("
    uri = (client.root / "report.py").as_uri()
    client.text_document_did_open(t.DidOpenTextDocumentParams(
        t.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    await asyncio.sleep(3.0)  # indexing is asynchronous (one small file: milliseconds, but the machine is shared)
    await inline(client, uri, 2, len("margin = summarise_quarterly_margin("))
    await asyncio.sleep(0.2)
    assert any("signature finance.py:.summarise_quarterly_margin" in m for m in context_logs(client))
