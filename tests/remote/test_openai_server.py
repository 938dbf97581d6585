"""The OpenAI backend against a real server: llama-cpp-python's own OpenAI-compatible server.

`python -m llama_cpp.server` runs the bundled default model on 127.0.0.1 (its own
copy, 2 threads), with an API key. We drive it directly, through the completion
engine, and through the language server (`tabstop serve` configured with
backend=openai, driven by pytest-lsp) — and check that the key never shows up in
the language server's log file or in its window/logMessage notifications.
"""
from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient

from completion.config import CompletionSettings
from completion.engine import CompletionEngine
from completion.types import Request
from runtime.backend import CancelToken
from runtime.members import MemberRule
from runtime.remote.openai import OpenAIBackend
from tests.conftest import ROOT, server_command, server_env
from tests.remote.conftest import make_request, settings_for
from tests.remote.standin import free_port

pytestmark = [pytest.mark.model, pytest.mark.slow]
KEY = "sk-e2e-4be1d7a09c3f62"
KEY_ENV = "TABSTOP_E2E_API_KEY"
PORT = free_port()
URL = f"http://127.0.0.1:{PORT}/v1"
LOG_DIR = Path(tempfile.mkdtemp(prefix="tabstop-remote-e2e-"))
WORKSPACE = LOG_DIR / "geometry"  # a fixed folder name: it is the repo name in the prompt
WORKSPACE.mkdir()
URI = (WORKSPACE / "shapes.py").as_uri()
# The 0.5B model's answer depends on small things (the repo name, a dataclass vs __init__);
# this file and folder name give `self.width * self.height` in-process and through the server alike.
SAMPLE = '''"""Shapes."""
from dataclasses import dataclass


class Rectangle:
    def __init__(self, width, height):
        self.width = width
        self.height = height

    def area(self) -> float:
        return 

    def perimeter(self) -> float:
        return 2 * (self.width + self.height)
'''


def start_llama_cpp_server(model: Path, port: int, log: Path, api_key: str | None = None,
                           threads: int = 2) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
           "--port", str(port), "--n_ctx", "4096", "--n_threads", str(threads), "--n_threads_batch", str(threads),
           "--verbose", "false"]
    if api_key:
        cmd += ["--api_key", api_key]
    return subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def wait_ready(proc: subprocess.Popen, url: str, headers: dict[str, str], log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, headers=headers, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"llama_cpp.server did not become ready:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def openai_server(model_path):
    log = LOG_DIR / "llama_cpp_server.log"
    proc = start_llama_cpp_server(model_path, PORT, log, api_key=KEY)
    try:
        wait_ready(proc, f"{URL}/models", {"Authorization": f"Bearer {KEY}"}, log)
        yield URL
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def test_openai_backend_streams_a_real_completion(openai_server, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    backend = OpenAIBackend(settings_for(openai_server, api_key_env=KEY_ENV, model="", first_byte_timeout_s=60,
                                         read_timeout_s=30, total_timeout_s=90))
    text = "class Rectangle:\n    def __init__(self, width, height):\n        self.width = width\n" \
           "        self.height = height\n\n    def area(self):\n        return "
    request = make_request(prefix=text, suffix="\n", max_tokens=16, deadline_s=90,
                           should_stop=lambda s: s.index("\n") if "\n" in s else None)
    result = await backend.generate(request, CancelToken())
    await backend.close()
    assert result.stop_reason in ("rule", "eos", "stop"), backend.last_error
    assert "self.width" in result.text and "self.height" in result.text
    assert result.mean_logprob is not None and result.mean_logprob <= 0
    assert result.backend == "openai" and result.model.endswith(".gguf")


async def test_the_member_rule_holds_a_real_server_to_the_module_names(openai_server, monkeypatch):
    """At `shop.` the model writes a name of its own; with the rule sent as a grammar (which
    llama-cpp-python's server hands to llama.cpp) it writes one the module has — also when the
    prompt was cut before the dot and the server must first reproduce it (healing)."""
    monkeypatch.setenv(KEY_ENV, KEY)
    backend = OpenAIBackend(settings_for(openai_server, api_key_env=KEY_ENV, model="", first_byte_timeout_s=60,
                                         read_timeout_s=30, total_timeout_s=90))
    names = ("Cart", "charge_card", "refund_all")
    prefix = "import shop\n\n\ndef pay(order):\n    receipt = shop."
    line = dict(max_tokens=12, deadline_s=90, should_stop=lambda s: s.index("\n") if "\n" in s else None)
    try:
        free = await backend.generate(make_request(prefix=prefix, **line), CancelToken())
        held = await backend.generate(replace(make_request(prefix=prefix, **line), members=MemberRule.of(names)),
                                      CancelToken())
        healed = await backend.generate(replace(make_request(prefix=prefix, heal=".", **line),
                                                members=MemberRule.of(names)), CancelToken())
    finally:
        await backend.close()
    assert free.text and not free.text.startswith(names), free.text  # what the model writes on its own
    for result in (held, healed):
        assert result.stop_reason in ("rule", "eos", "stop", "length"), backend.last_error
        name = re.match(r"[A-Za-z_]\w*", result.text)
        assert name is not None and name.group(0) in names, result.text


async def test_wrong_key_is_an_error_result(openai_server):
    backend = OpenAIBackend(settings_for(openai_server, api_key="sk-wrong-key-0000", model=""))
    result = await backend.generate(make_request(), CancelToken())
    await backend.close()
    assert result.stop_reason == "error" and "HTTP 401" in backend.last_error


async def test_engine_with_token_healing_through_the_server(openai_server, monkeypatch):
    """Cursor inside `self.wid`: the prompt is cut before `wid` and the answer must continue it."""
    monkeypatch.setenv(KEY_ENV, KEY)
    backend = OpenAIBackend(settings_for(openai_server, api_key_env=KEY_ENV, model="", first_byte_timeout_s=60,
                                         read_timeout_s=30, total_timeout_s=90))
    engine = CompletionEngine(backend, CompletionSettings(max_tokens=16, deadline_ms=90000))
    text = "class Rectangle:\n    def __init__(self, width, height):\n        self.width = width\n" \
           "        self.height = height\n\n    def area(self):\n        return self.wid"
    response = await engine.complete(Request(uri="file:///shapes.py", text=text, offset=len(text), language="python"))
    await backend.close()
    assert response.info.backend == "openai" and response.items, response.info
    line = "return self.wid" + response.items[0].text
    assert line.startswith("return self.width"), line
    compile(text + response.items[0].text, "shapes.py", "exec")


def status_dict(params) -> dict:
    """pygls hands unknown notifications' params over as a namedtuple."""
    return params if isinstance(params, dict) else params._asdict()


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=server_command(),
    server_env=server_env(**{KEY_ENV: KEY, "TABSTOP_LOG_LEVEL": "debug",
                             "TABSTOP_LOG_FILE": str(LOG_DIR / "tabstop.log")}),
))
async def client(lsp_client: LanguageClient, openai_server):
    statuses: list[dict] = []
    lsp_client.feature("tabstop/status")(lambda params: statuses.append(params))
    lsp_client.statuses = statuses
    await lsp_client.initialize_session(t.InitializeParams(
        capabilities=t.ClientCapabilities(),
        root_uri=WORKSPACE.as_uri(),
        initialization_options={
            "backend": "openai",
            "logLevel": "debug",
            "completion": {"maxTokens": 32, "deadlineMs": 60000},
            "remote": {"url": openai_server, "apiKeyEnv": KEY_ENV, "fallbackToLocal": False,
                       "firstByteTimeoutS": 60, "readTimeoutS": 30, "totalTimeoutS": 90},
        },
    ))
    yield
    await lsp_client.shutdown_session()


async def test_language_server_completes_through_the_openai_server(client: LanguageClient):
    client.text_document_did_open(t.DidOpenTextDocumentParams(
        t.TextDocumentItem(uri=URI, language_id="python", version=1, text=SAMPLE)))
    result = await client.text_document_inline_completion_async(t.InlineCompletionParams(
        text_document=t.TextDocumentIdentifier(URI), position=t.Position(10, 15),
        context=t.InlineCompletionContext(trigger_kind=t.InlineCompletionTriggerKind.Invoked)))
    assert result.items, "expected a completion after `return ` in Rectangle.area"
    text = result.items[0].insert_text
    assert "width" in text and "height" in text
    await asyncio.sleep(0.3)
    statuses = [status_dict(s) for s in client.statuses]
    assert any(s["backend"] == "openai" and s["state"] == "ready" for s in statuses)
    assert any(s.get("latencyMs") for s in statuses)
    log_file = (LOG_DIR / "tabstop.log").read_text()
    assert "completion" in log_file and URL in log_file  # the server did log, at debug level
    assert client.log_messages and any("openai" in m.message for m in client.log_messages)
    assert KEY not in log_file and not any(KEY in m.message for m in client.log_messages)
    assert os.environ.get(KEY_ENV) is None  # the key lived only in the server's environment
