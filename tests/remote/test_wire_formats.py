"""The llama.cpp-server and Ollama backends against a stand-in server on 127.0.0.1.

The stand-in (tests/remote/standin.py) replaces `llama-server` and Ollama, which
cannot be built or installed here; it speaks their documented wire formats,
streaming included, and records each request so we can check what we send.
"""
from __future__ import annotations

import asyncio
import time

from runtime.backend import CancelToken, ContextFile
from runtime.remote.llamacpp_server import LlamaCppServerBackend
from runtime.remote.ollama import OllamaBackend
from tests.remote.conftest import make_request, settings_for


async def test_infill_request_and_streamed_result(standin):
    backend = LlamaCppServerBackend(settings_for(standin.url))
    ctx = (ContextFile("geometry/base.py", "class Shape:\n    pass\n"),)
    result = await backend.generate(make_request(context=ctx), CancelToken())
    await backend.close()

    assert result.stop_reason == "eos" and result.backend == "llamacpp"
    assert result.text == "return self.width * self.height\n"
    assert result.model == standin.model
    assert result.prompt_tokens == 42 and result.prompt_tokens_evaluated == 12  # tokens_evaluated, minus cache_n
    assert result.prompt_ms == 12.5 and result.tokens == 4
    assert result.mean_logprob == -0.25
    (seen,) = standin.seen
    assert seen.path == "/infill"
    body = seen.body
    assert body["input_prefix"].endswith("def area(self):\n        ") and body["input_suffix"] == "\n"
    assert body["input_extra"] == [{"filename": "geometry/base.py", "text": "class Shape:\n    pass\n"}]
    assert body["cache_prompt"] is True and body["stream"] is True and body["n_probs"] == 1
    assert body["n_predict"] == 32 and "<|file_sep|>" in body["stop"]


async def test_completion_endpoint_sends_tabstops_fim_prompt(standin):
    backend = LlamaCppServerBackend(settings_for(standin.url, infill=False, logprobs=False))
    request = make_request()
    result = await backend.generate(request, CancelToken())
    await backend.close()
    assert result.text.startswith("return self.width") and result.mean_logprob is None
    (seen,) = standin.seen
    assert seen.path == "/completion" and seen.body["prompt"] == request.prompt.text
    assert seen.body["prompt"].startswith("<|repo_name|>demo\n") and "<|fim_middle|>" in seen.body["prompt"]
    assert "n_probs" not in seen.body


async def test_ollama_raw_prompt(standin):
    backend = OllamaBackend(settings_for(standin.url))
    request = make_request(max_tokens=16)
    result = await backend.generate(request, CancelToken())
    await backend.close()
    assert result.stop_reason == "eos" and result.text == "return self.width * self.height\n"
    assert result.prompt_tokens == 42 and result.tokens == 4 and result.mean_logprob == -0.5
    assert result.prompt_ms == 8.0
    (seen,) = standin.seen
    assert seen.path == "/api/generate"
    assert seen.body["raw"] is True and seen.body["prompt"] == request.prompt.text and "suffix" not in seen.body
    assert seen.body["options"]["num_predict"] == 16 and seen.body["options"]["temperature"] == 0.0
    assert seen.body["model"] == "qwen2.5-coder:7b"


async def test_ollama_suffix_param(standin):
    backend = OllamaBackend(settings_for(standin.url, use_suffix_param=True))
    result = await backend.generate(make_request(suffix="\n\nprint(1)\n"), CancelToken())
    await backend.close()
    assert result.text.startswith("return")
    body = standin.seen[0].body
    assert body["raw"] is False and body["suffix"] == "\n\nprint(1)\n"
    assert body["prompt"].endswith("def area(self):\n        ") and "<|fim_prefix|>" not in body["prompt"]


async def test_ollama_unknown_model_is_an_empty_result(standin):
    backend = OllamaBackend(settings_for(standin.url, model="nope:1b"))
    result = await backend.generate(make_request(), CancelToken())
    await backend.close()
    assert result.stop_reason == "error" and result.text == ""
    assert "404" in backend.last_error and "not found" in backend.last_error


async def test_length_limit_is_reported(standin):
    standin.reply = ["a", "b", "c", "d", "e"]
    backend = LlamaCppServerBackend(settings_for(standin.url))
    result = await backend.generate(make_request(max_tokens=3), CancelToken())
    await backend.close()
    assert result.stop_reason == "length" and result.text == "abc"


async def test_healing_accepts_a_consistent_continuation(standin):
    standin.reply = ["se", "lf.width", " * 2\n"]
    backend = LlamaCppServerBackend(settings_for(standin.url))
    request = make_request(prefix="class A:\n    def f(self):\n        return sel", heal="sel")
    result = await backend.generate(request, CancelToken())
    await backend.close()
    assert result.text == "f.width * 2\n"  # the healed "sel" is stripped
    (seen,) = standin.seen
    assert seen.body["input_prefix"].endswith("return ")  # the prompt was cut before the partial word


async def test_healing_mismatch_retries_with_the_uncut_prompt(standin):
    def reply(path, body):
        # Cut prompt: the model wanders off; uncut prompt: it finishes the word.
        return ["f.width\n"] if body["input_prefix"].endswith("sel") else ["width", "\n"]

    standin.reply = reply
    backend = LlamaCppServerBackend(settings_for(standin.url))
    request = make_request(prefix="class A:\n    def f(self):\n        return sel", heal="sel")
    result = await backend.generate(request, CancelToken())
    await backend.close()
    assert result.text == "f.width\n" and result.stop_reason == "eos"
    assert [s.body["input_prefix"][-4:] for s in standin.seen] == ["urn ", " sel"]


async def test_healing_mismatch_with_raw_prompt_uses_unhealed_text(standin):
    def reply(path, body):
        return ["f.x\n"] if body["prompt"].endswith("sel<|fim_suffix|>\n<|fim_middle|>") else ["zzz"]

    standin.reply = reply
    backend = OllamaBackend(settings_for(standin.url))
    request = make_request(prefix="def f(self):\n    return sel", heal="sel")
    result = await backend.generate(request, CancelToken())
    await backend.close()
    assert result.text == "f.x\n"
    assert standin.seen[1].body["prompt"] == request.prompt.unhealed_text


async def test_stop_rule_and_stop_strings_are_applied_between_chunks(standin):
    standin.apply_stops = False  # a server that ignores `stop`: the client must cut
    standin.reply = ["x = 1", "<|file_sep|>", "other_file.py\n", "junk"]
    backend = OllamaBackend(settings_for(standin.url))
    result = await backend.generate(make_request(), CancelToken())
    assert result.stop_reason == "stop" and result.text == "x = 1"

    standin.reply = ["line one\n", "line two\n", "line three\n"]
    rule = lambda text: text.index("\n") if "\n" in text else None  # noqa: E731 - stop after one line
    result = await backend.generate(make_request(should_stop=rule), CancelToken())
    await backend.close()
    assert result.stop_reason == "rule" and result.text == "line one"


async def test_cancel_closes_the_stream(standin):
    standin.fault, standin.delay_s = "stall", 30
    backend = LlamaCppServerBackend(settings_for(standin.url, read_timeout_s=20))
    cancel = CancelToken()
    task = asyncio.ensure_future(backend.generate(make_request(deadline_s=30), cancel))
    await asyncio.sleep(0.3)
    t0 = time.monotonic()
    cancel.cancel()
    result = await task
    assert result.stop_reason == "cancelled" and result.text == ""
    assert time.monotonic() - t0 < 2.0  # noticed within a few polls, not at the 20 s read limit
    for _ in range(100):  # the server notices the closed connection
        if standin.disconnects:
            break
        await asyncio.sleep(0.02)
    await backend.close()
    assert standin.disconnects >= 1  # (an earlier test's early close may be counted late)


async def test_deadline_mid_stream_keeps_what_arrived(standin):
    standin.fault, standin.delay_s = "stall", 30
    backend = LlamaCppServerBackend(settings_for(standin.url, read_timeout_s=20))
    result = await backend.generate(make_request(deadline_s=0.6), CancelToken())
    await backend.close()
    assert result.stop_reason == "deadline"
    assert result.text == "return self.width"  # the two pieces before the stall
    assert backend.last_error == ""  # not a server failure
