"""Pure parts of the remote backends: request bodies, message parsing, settings, URL checks."""
from __future__ import annotations

import pytest

from lsp.settings import parse_settings, to_json
from runtime.errors import RemoteConfigError, RemoteStreamError
from runtime.remote.openai import OpenAIBackend
from runtime.remote.security import check_url, is_loopback
from runtime.remote.transport import Event, _LineSplitter, _SseParser
from tests.remote.conftest import make_request, settings_for


def test_remote_settings_parse_from_camel_case():
    settings, warnings = parse_settings({"backend": "openai", "remote": {
        "url": "https://gpu.example.com/v1", "model": "qwen2.5-coder-14b", "apiKeyEnv": "MY_KEY",
        "firstByteTimeoutS": 8, "readTimeoutS": 2.5, "useSuffixParam": True, "failureThreshold": 5,
        "headers": {"X-Tabstop-User": "alice"}, "fallbackToLocal": False}})
    assert warnings == []
    r = settings.remote
    assert settings.backend == "openai" and r.url.endswith("/v1") and r.model == "qwen2.5-coder-14b"
    assert r.api_key_env == "MY_KEY" and r.first_byte_timeout_s == 8.0 and r.read_timeout_s == 2.5
    assert r.use_suffix_param and r.failure_threshold == 5 and not r.fallback_to_local
    assert r.headers == {"X-Tabstop-User": "alice"}


def test_bad_remote_values_are_reported_and_replaced():
    settings, warnings = parse_settings({"backend": "gpu", "remote": {"retries": -1, "readTimeoutS": "fast"}})
    assert settings.backend == "local" and settings.remote.retries == 1 and settings.remote.read_timeout_s == 3.0
    assert len(warnings) == 3


def test_settings_dump_masks_secret_headers():
    settings, _ = parse_settings({"remote": {"apiKey": "sk-abc123", "headers": {"Authorization": "Bearer x"}}})
    dumped = to_json(settings)["remote"]
    assert dumped["api_key"] == "***" and dumped["headers"]["Authorization"] == "***"


def test_openai_body_fim_prompt_and_suffix_modes():
    request = make_request(prefix="def f(x):\n    return se", heal="se", max_tokens=20)
    plain = OpenAIBackend(settings_for("http://127.0.0.1:1/v1", model="m"))
    body = plain.body(request, healed=True)
    assert body["prompt"] == request.prompt.text and body["model"] == "m" and body["max_tokens"] == 20
    assert body["stop"] == list(request.prompt.stop) and body["skip_special_tokens"] is False
    assert plain.body(request, healed=False)["prompt"] == request.prompt.unhealed_text
    assert plain.path(True) == "completions"
    assert OpenAIBackend(settings_for("http://127.0.0.1:1")).path(True) == "v1/completions"

    strict = OpenAIBackend(settings_for("http://127.0.0.1:1/v1", use_suffix_param=True, strict_openai=True))
    body = strict.body(request, healed=False)
    assert body["prompt"] == "def f(x):\n    return se" and body["suffix"] == request.prompt.suffix
    assert len(body["stop"]) == 4 and "skip_special_tokens" not in body and "repeat_penalty" not in body


def test_the_member_rule_goes_to_servers_as_a_grammar():
    """llama.cpp's server and llama-cpp-python's OpenAI server take a GBNF `grammar`; a healed request's
    grammar starts with the healed text. Not sent strict, switched off, or without a rule."""
    import dataclasses

    from runtime.members import MemberRule
    from runtime.remote.llamacpp_server import LlamaCppServerBackend

    request = dataclasses.replace(make_request(prefix="import shop\n\nshop.", heal="."),
                                  members=MemberRule.of(["Cart", "charge"]))
    llama = LlamaCppServerBackend(settings_for("http://127.0.0.1:1"))
    assert llama.body(request, healed=True)["grammar"].startswith('root ::= "." name tail')
    assert llama.body(request, healed=False)["grammar"].startswith('root ::= "" name tail')
    assert 'name ::= "Cart" | "charge"' in llama.body(request, healed=True)["grammar"]
    openai = OpenAIBackend(settings_for("http://127.0.0.1:1/v1"))
    assert openai.body(request, healed=True)["grammar"] == llama.body(request, healed=True)["grammar"]
    assert "grammar" not in OpenAIBackend(settings_for("http://127.0.0.1:1/v1", strict_openai=True)).body(request, True)
    assert "grammar" not in LlamaCppServerBackend(settings_for("http://127.0.0.1:1", grammar=False)).body(request, True)
    assert "grammar" not in llama.body(make_request(prefix="x = 1"), healed=False)


def test_openai_chunk_parsing():
    backend = OpenAIBackend(settings_for("http://127.0.0.1:1/v1"))
    chunk = backend.parse(Event({"choices": [{"text": "ab", "logprobs": {"token_logprobs": [-0.5, None]},
                                              "finish_reason": None}], "model": "m"}))
    assert chunk.text == "ab" and chunk.logprobs == [-0.5] and not chunk.finish
    final = backend.parse(Event({"choices": [{"text": "", "finish_reason": "length"}]}))
    assert final.finish == "length"
    usage = backend.parse(Event({"choices": [], "usage": {"prompt_tokens": 100, "completion_tokens": 7,
                                                          "prompt_tokens_details": {"cached_tokens": 96}}}))
    assert usage.prompt_tokens == 100 and usage.prompt_tokens_evaluated == 4 and usage.completion_tokens == 7
    with pytest.raises(RemoteStreamError):
        backend.parse(Event({"object": "error", "message": "overloaded"}))
    with pytest.raises(ValueError):
        backend.parse(Event({"choices": [{"text": 5}]}))


def test_sse_framing():
    split, parser = _LineSplitter(), _SseParser()
    data = 'data: {"a": 1}\r\n\r\n: ping\n\ndata: {"b":\ndata: 2}\n\nerror: {"message": "boom"}\n\ndata: [DONE]\n\n'
    events = []
    for piece in (data[:7].encode(), data[7:30].encode(), data[30:].encode()):
        for line in split.feed(piece):
            event = parser.line(line)
            if event:
                events.append(event)
    assert [(e.kind, e.data) for e in events] == [
        ("data", {"a": 1}), ("data", {"b": 2}), ("error", {"message": "boom"}), ("done", None)]


def test_utf8_split_across_chunks():
    split = _LineSplitter()
    raw = 'data: "é€"\n'.encode()
    lines = split.feed(raw[:8]) + split.feed(raw[8:])
    assert lines == ['data: "é€"']


@pytest.mark.parametrize("url", ["", "ftp://h", "http://", "https://user:pw@host/v1"])
def test_bad_urls(url):
    with pytest.raises(RemoteConfigError):
        check_url(url)


def test_loopback_detection():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.8.9.1")
    assert not is_loopback("10.0.0.1") and not is_loopback("gpu.example.com")
