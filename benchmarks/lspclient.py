"""Start and stop `tabstop serve` over stdio for the benchmark scripts (pygls' client)."""
from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types as t
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Served:
    client: LanguageClient
    drainer: asyncio.Task[None]


async def start_server(settings: dict, root: Path = ROOT) -> Served:
    """A fresh server (telemetry off) initialised with `settings`; its stderr is drained, not shown."""
    client = LanguageClient("bench", "1")
    client.feature("tabstop/status")(lambda params: None)  # status notifications: not measured here
    env = dict(os.environ, PYTHONPATH=str(ROOT), TABSTOP_TELEMETRY="off")
    await client.start_io(sys.executable, "-m", "lsp.cli", "serve", env=env)

    async def drain() -> None:
        while await client._server.stderr.readline():
            pass

    drainer = asyncio.create_task(drain())
    await client.initialize_async(t.InitializeParams(capabilities=t.ClientCapabilities(), root_uri=root.as_uri(),
                                                     initialization_options=settings))
    client.initialized(t.InitializedParams())
    return Served(client, drainer)


async def history_and_stop(served: Served) -> list[dict]:
    """The server's per-request facts (`tabstop/engineHistory`), then a clean shutdown."""
    client = served.client
    history = await client.protocol.send_request_async("tabstop/engineHistory", None)
    await client.shutdown_async(None)
    client.exit(None)
    await asyncio.sleep(0.3)
    served.drainer.cancel()
    await client.stop()
    return history


def invoked_at(uri: str, line: int, character: int) -> t.InlineCompletionParams:
    return t.InlineCompletionParams(
        text_document=t.TextDocumentIdentifier(uri), position=t.Position(line, character),
        context=t.InlineCompletionContext(trigger_kind=t.InlineCompletionTriggerKind.Invoked))
