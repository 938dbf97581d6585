"""Fixtures for the remote-backend tests: the stand-in server and request helpers."""
from __future__ import annotations

import time

import pytest

from completion.prompt import get_template
from runtime.backend import ContextFile, GenerationRequest
from runtime.config import RemoteSettings
from tests.remote.standin import ServerThread, StandIn


@pytest.fixture(scope="module")
def standin_server():
    standin = StandIn()
    server = ServerThread(standin.app()).start()
    standin.url = f"http://127.0.0.1:{server.port}"
    yield standin
    server.stop()


@pytest.fixture
def standin(standin_server):
    standin_server.reset()
    yield standin_server
    standin_server.reset()


def settings_for(url: str, **kw) -> RemoteSettings:
    defaults = dict(url=url, model="qwen2.5-coder:7b", api_key_env="TABSTOP_TEST_NO_SUCH_VAR", retries=1,
                    retry_backoff_s=0.05, connect_timeout_s=1.0, first_byte_timeout_s=2.0, read_timeout_s=1.0,
                    total_timeout_s=10.0, probe_interval_s=0.2, failure_threshold=2)
    defaults.update(kw)
    return RemoteSettings(**defaults)


def make_request(prefix: str = "class Rectangle:\n    def area(self):\n        ", suffix: str = "\n", *,
                 heal: str = "", context: tuple[ContextFile, ...] = (), max_tokens: int = 32,
                 deadline_s: float = 8.0, should_stop=None) -> GenerationRequest:
    cut = prefix[: len(prefix) - len(heal)] if heal else prefix
    prompt = get_template("qwen").prompt(cut, suffix, path="shapes.py", repo="demo", context=context,
                                         language="python", heal=heal)
    return GenerationRequest(prompt=prompt, max_tokens=max_tokens, deadline=time.monotonic() + deadline_s,
                             should_stop=should_stop)
