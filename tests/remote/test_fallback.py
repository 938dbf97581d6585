"""The circuit breaker: remote down → local model answers; remote back → remote used again.

The remote is the stand-in of tests/remote/standin.py (for `llama-server`, which
cannot be built here), started and stopped on a fixed port; the local model is
the real default GGUF model.
"""
from __future__ import annotations

import asyncio
import time

import pytest

from completion.config import CompletionSettings
from completion.engine import CompletionEngine
from completion.types import Request
from runtime.backend import BackendStatus, CancelToken
from runtime.remote.llamacpp_server import LlamaCppServerBackend
from runtime.remote.resilient import ResilientBackend
from tests.remote.conftest import make_request, settings_for
from tests.remote.standin import ServerThread, StandIn, free_port


async def wait_for_state(backend, state: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while backend.status.state != state:
        assert time.monotonic() < deadline, f"status stayed {backend.status}"
        await asyncio.sleep(0.02)


async def test_breaker_without_fallback_stops_calling_a_dead_server_and_recovers():
    port = free_port()
    settings = settings_for(f"http://127.0.0.1:{port}", fallback_to_local=False, failure_threshold=2,
                            probe_interval_s=0.1)
    remote = LlamaCppServerBackend(settings)
    backend = ResilientBackend(remote, settings, local_factory=lambda: pytest.fail("no local model without fallback"))
    statuses: list[BackendStatus] = []
    backend.add_status_listener(statuses.append)

    first = await backend.generate(make_request(), CancelToken())
    assert first.stop_reason == "error" and backend.status.state == "degraded"
    await backend.generate(make_request(), CancelToken())
    assert backend.status.state == "error" and backend.state == "open"
    sent = remote.requests_sent
    t0 = time.monotonic()
    third = await backend.generate(make_request(), CancelToken())
    assert third.stop_reason == "error" and remote.requests_sent == sent  # answered at once, server not asked
    assert time.monotonic() - t0 < 0.1

    standin = StandIn()
    server = ServerThread(standin.app(), port=port).start()
    try:
        await wait_for_state(backend, "ready")  # the background probe found it
        result = await backend.generate(make_request(), CancelToken())
        assert result.stop_reason == "eos" and result.backend == "llamacpp" and backend.state == "closed"
    finally:
        server.stop()
        await backend.close()
    assert [s.state for s in statuses][:3] == ["degraded", "error", "ready"]
    assert "retrying every 0.1s" in statuses[1].message


async def test_half_open_failure_reopens_at_once():
    port = free_port()
    settings = settings_for(f"http://127.0.0.1:{port}", fallback_to_local=False, failure_threshold=3,
                            probe_interval_s=0.1)
    backend = ResilientBackend(LlamaCppServerBackend(settings), settings)
    for _ in range(3):
        await backend.generate(make_request(), CancelToken())
    assert backend.state == "open"
    standin = StandIn()
    server = ServerThread(standin.app(), port=port).start()
    try:
        await wait_for_state(backend, "ready")
        standin.fault = "http500"
        result = await backend.generate(make_request(), CancelToken())
        assert result.stop_reason == "error" and backend.state == "open"  # one failure, not three
    finally:
        server.stop()
        await backend.close()


@pytest.mark.model
async def test_remote_down_local_answers_remote_back_used_again(local_backend):
    port = free_port()
    settings = settings_for(f"http://127.0.0.1:{port}", failure_threshold=2, probe_interval_s=0.2)
    remote = LlamaCppServerBackend(settings)
    backend = ResilientBackend(remote, settings, local_factory=lambda: local_backend)
    statuses: list[BackendStatus] = []
    backend.add_status_listener(statuses.append)
    engine = CompletionEngine(backend, CompletionSettings(max_tokens=24, deadline_ms=20000))
    text = "class Rectangle:\n    def __init__(self, width, height):\n        self.width = width\n" \
           "        self.height = height\n\n    def area(self):\n        return "
    request = Request(uri="file:///shapes.py", text=text, offset=len(text), language="python")

    for _ in range(2):  # remote down: two failures open the circuit
        response = await engine.complete(request)
        assert response.items == [] and response.info.stop_reason == "error"
    assert backend.status.state == "fallback" and "using the local model" in backend.status.message

    response = await engine.complete(request)  # answered by the local model
    assert response.info.backend == "local" and response.items
    assert "width" in response.items[0].text

    standin = StandIn(reply=["self.width", " * self.height", "  # from the GPU server", "\n"])
    server = ServerThread(standin.app(), port=port).start()
    try:
        await wait_for_state(backend, "ready")
        response = await engine.complete(request)
        assert response.info.backend == "llamacpp"
        assert response.items and response.items[0].text == "self.width * self.height  # from the GPU server"
        body = standin.seen[-1].body if standin.seen else {}
        # token healing moves the trailing space out of the prefix into `prompt`, the text
        # the server's /infill puts after the middle token; together they are what was typed
        assert (body["input_prefix"] + body["prompt"]).endswith("return ")
    finally:
        server.stop()
        await remote.close()  # not backend.close(): the session's local model stays loaded
    assert [s.state for s in statuses][:4] == ["degraded", "fallback", "ready", "ready"]
