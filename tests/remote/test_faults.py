"""Server faults become a logged error and an empty result, never an exception or a hang.

The misbehaving server is the stand-in of tests/remote/standin.py (it stands in for
`llama-server` and Ollama, which cannot be built here), plus a raw socket that
answers with a TCP reset and a port nothing listens on.
"""
from __future__ import annotations

import logging
import time

import pytest

from completion.config import CompletionSettings
from completion.engine import CompletionEngine
from completion.types import Request
from runtime.backend import CancelToken
from runtime.remote.llamacpp_server import LlamaCppServerBackend
from runtime.remote.ollama import OllamaBackend
from tests.remote.conftest import make_request, settings_for
from tests.remote.standin import ResetServer, free_port

BACKENDS = [LlamaCppServerBackend, OllamaBackend]


async def run(backend_cls, url: str, **kw):
    backend = backend_cls(settings_for(url, **kw))
    t0 = time.monotonic()
    try:
        result = await backend.generate(make_request(deadline_s=8), CancelToken())
    finally:
        await backend.close()
    return result, backend, time.monotonic() - t0


@pytest.mark.parametrize("backend_cls", BACKENDS)
async def test_slow_first_byte_times_out_without_retry(standin, backend_cls, caplog):
    standin.fault, standin.delay_s = "slow_first_byte", 6
    result, backend, elapsed = await run(backend_cls, standin.url, first_byte_timeout_s=0.5)
    assert result.stop_reason == "error" and result.text == ""
    assert "first byte" in backend.last_error
    assert elapsed < 3  # gave up at the first-byte limit, not after the server's 6 s
    assert len(standin.seen) == 1  # a timeout spent the time budget: no retry
    assert any("first byte" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)


@pytest.mark.parametrize("backend_cls", BACKENDS)
async def test_stall_mid_stream_is_an_error_not_a_hang(standin, backend_cls):
    standin.fault, standin.delay_s = "stall", 30
    result, backend, elapsed = await run(backend_cls, standin.url, read_timeout_s=0.4)
    assert result.stop_reason == "error" and result.text == ""
    assert "stalled" in backend.last_error and elapsed < 3
    assert len(standin.seen) == 1  # text had streamed: never retried


@pytest.mark.parametrize("backend_cls", BACKENDS)
async def test_connection_dropped_mid_stream(standin, backend_cls):
    standin.fault = "reset_mid"
    result, backend, _ = await run(backend_cls, standin.url)
    assert result.stop_reason == "error" and result.text == ""
    assert "mid-stream" in backend.last_error or "truncated" in backend.last_error
    assert len(standin.seen) == 1


@pytest.mark.parametrize("backend_cls", BACKENDS)
async def test_tcp_reset_before_the_answer_is_retried_then_fails(backend_cls):
    server = ResetServer()
    try:
        result, backend, _ = await run(backend_cls, f"http://127.0.0.1:{server.port}", retries=2)
    finally:
        server.stop()
    assert result.stop_reason == "error" and result.text == ""
    assert server.connections == 3  # first try + 2 retries, all before any byte


async def test_connection_refused():
    result, backend, elapsed = await run(LlamaCppServerBackend, f"http://127.0.0.1:{free_port()}")
    assert result.stop_reason == "error" and "ConnectError" in backend.last_error
    assert elapsed < 3


@pytest.mark.parametrize("backend_cls", BACKENDS)
async def test_http_500_is_retried_then_reported(standin, backend_cls):
    standin.fault = "http500"
    result, backend, _ = await run(backend_cls, standin.url, retries=1)
    assert result.stop_reason == "error" and result.text == ""
    assert "HTTP 500" in backend.last_error
    assert len(standin.seen) == 2


async def test_http_500_message_is_passed_on(standin):
    standin.fault = "http500"
    _, backend, _ = await run(LlamaCppServerBackend, standin.url, retries=0)
    assert backend.last_error == "HTTP 500: CUDA error: out of memory"
    assert len(standin.seen) == 1


@pytest.mark.parametrize("backend_cls", BACKENDS)
async def test_http_429_once_then_success(standin, backend_cls):
    standin.fault = "http429_once"
    result, backend, _ = await run(backend_cls, standin.url, retries=1)
    assert result.stop_reason == "eos" and result.text == "return self.width * self.height\n"
    assert len(standin.seen) == 2


async def test_http_429_always_gives_up_after_the_retries(standin):
    standin.fault = "http429"
    result, backend, _ = await run(LlamaCppServerBackend, standin.url, retries=2)
    assert result.stop_reason == "error" and "HTTP 429" in backend.last_error
    assert len(standin.seen) == 3


@pytest.mark.parametrize("backend_cls", BACKENDS)
@pytest.mark.parametrize("fault", ["invalid_json", "truncated", "truncated_line"])
async def test_malformed_or_truncated_stream(standin, backend_cls, fault):
    standin.fault = fault
    result, backend, _ = await run(backend_cls, standin.url)
    assert result.stop_reason == "error" and result.text == ""
    expected = "invalid JSON" if fault == "invalid_json" else "truncated"
    assert expected in backend.last_error
    assert len(standin.seen) == 1


async def test_engine_answers_empty_when_the_server_fails(standin):
    """Through the completion engine (what the LSP handler calls): no exception, no items."""
    standin.fault = "invalid_json"
    backend = LlamaCppServerBackend(settings_for(standin.url))
    engine = CompletionEngine(backend, CompletionSettings(deadline_ms=5000))
    # Ends with `(`: nothing to heal. (At a bare indent the last space is healed, and the stand-in's
    # canned `return ` does not continue it, so the engine rightly asks again unhealed.)
    text = "def area(w, h):\n    return max("
    response = await engine.complete(Request(uri="file:///x.py", text=text, offset=len(text), language="python"))
    await backend.close()
    assert response.items == [] and response.info.stop_reason == "error"
    assert len(standin.seen) == 1  # a server error is not retried
