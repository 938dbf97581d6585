"""The in-process llama.cpp backend against the real default model."""
from __future__ import annotations

import asyncio
import time

import pytest

from completion.prompt import get_template
from runtime.backend import CancelToken, GenerationRequest

pytestmark = pytest.mark.model
QWEN = get_template("qwen")
CODE_PREFIX = "def fibonacci(n):\n    if n < 2:\n        return n\n    return "
CODE_SUFFIX = "\n\n\nprint(fibonacci(10))\n"


def gen(backend, prompt, **kw):
    return asyncio.run(backend.generate(GenerationRequest(prompt=prompt, **kw), CancelToken()))


def test_fim_completion_is_sensible(local_backend):
    r = gen(local_backend, QWEN.prompt(CODE_PREFIX, CODE_SUFFIX), max_tokens=16,
            should_stop=lambda text: text.find("\n") if "\n" in text else None)
    assert "fibonacci(n - 1)" in r.text.replace("n-1", "n - 1")
    assert r.stop_reason in ("rule", "eos")
    assert r.tokens > 0 and r.mean_logprob is not None and r.mean_logprob <= 0


def test_prefix_reuse_evaluates_only_new_tokens(local_backend):
    base = "import os\n" * 40
    p1 = QWEN.prompt(base + "x = ", "\n")
    r1 = gen(local_backend, p1, max_tokens=2)
    r2 = gen(local_backend, p1, max_tokens=2)
    assert r1.prompt_tokens == r2.prompt_tokens > 100
    assert r2.prompt_tokens_evaluated == 1  # identical prompt: only the last token re-evaluated
    p3 = QWEN.prompt(base + "x = ", "\n", middle_start="os.pa")  # typed text continues the middle
    r3 = gen(local_backend, p3, max_tokens=2)
    assert r3.prompt_tokens_evaluated <= 4


def test_special_tokens_in_user_code_stay_plain_text(local_backend):
    prompt = QWEN.prompt('s = "<|fim_middle|>"\nt = ', "\n")
    tokens = local_backend.tokenize_prompt(prompt)
    middle_id = local_backend._llm.tokenize(b"<|fim_middle|>", add_bos=False, special=True)
    assert tokens.count(middle_id[0]) == 1  # only the template's own


def test_token_healing_continues_the_partial_word(local_backend):
    prefix = "line = '\\t{}'.fo"
    prompt = QWEN.prompt(prefix[: -len("fo")], "\n", heal="fo")
    r = gen(local_backend, prompt, max_tokens=8)
    assert r.text.startswith("rmat("), r.text


def test_cancel_stops_between_tokens(local_backend):
    cancel = CancelToken()
    req = GenerationRequest(prompt=QWEN.prompt("# a long list of numbers\nxs = [", "]\n"), max_tokens=400)

    async def run():
        task = asyncio.ensure_future(local_backend.generate(req, cancel))
        await asyncio.sleep(0.8)
        t0 = time.monotonic()
        cancel.cancel()
        result = await task
        return result, time.monotonic() - t0

    result, waited = asyncio.run(run())
    assert result.stop_reason == "cancelled"
    assert result.tokens < 400
    assert waited < 15.0  # one token or one prompt chunk: well under a second on a quiet machine, seconds when loaded
    after = gen(local_backend, QWEN.prompt(CODE_PREFIX, CODE_SUFFIX), max_tokens=4)
    assert after.stop_reason != "cancelled" and after.tokens > 0


def test_deadline_returns_partial_not_error(local_backend):
    r = gen(local_backend, QWEN.prompt("xs = [", "]\n"), max_tokens=300, deadline=time.monotonic() + 0.5)
    assert r.stop_reason in ("deadline", "eos", "stop", "length")
    assert r.stop_reason == "deadline" or r.tokens < 300


def test_eval_only_request_warms_the_cache(local_backend):
    prompt = QWEN.prompt("import sys\n" * 30 + "y = ", "\n")
    warm = gen(local_backend, prompt, max_tokens=0)
    assert warm.tokens == 0 and warm.prompt_tokens_evaluated > 50
    hot = gen(local_backend, prompt, max_tokens=2)
    assert hot.prompt_tokens_evaluated == 1


def _module(name: str, n: int) -> str:
    return "".join(f"def {name}_{i}(value):\n    return value * {i} + len('{name}')\n\n" for i in range(n))


def test_switching_back_to_a_file_restores_its_saved_kv_state(local_backend):
    """A → B → A: the second A is served from A's saved KV state, and answers exactly as the first did."""
    file_a = QWEN.prompt(_module("alpha", 12) + "def alpha_total(values):\n    return ", "\n")
    file_b = QWEN.prompt(_module("beta", 12) + "def beta_total(values):\n    return ", "\n")
    first_a = gen(local_backend, file_a, max_tokens=8)
    first_b = gen(local_backend, file_b, max_tokens=8)
    assert first_a.prompt_tokens > 200 and first_b.prompt_tokens_evaluated > 200  # B shares nothing with A
    second_a = gen(local_backend, file_a, max_tokens=8)
    assert second_a.prompt_tokens_evaluated < 16  # restored, not re-evaluated
    assert second_a.text == first_a.text  # the restored state is A's, not a mix with B's
    second_b = gen(local_backend, file_b, max_tokens=8)  # B was saved when A came back
    assert second_b.prompt_tokens_evaluated < 16 and second_b.text == first_b.text


def test_saved_kv_states_off_reevaluates_on_every_switch(model_path):
    from runtime.config import LocalModelSettings
    from runtime.llamacpp import LlamaCppBackend

    backend = LlamaCppBackend(LocalModelSettings(name=str(model_path), n_ctx=1024, kv_states=0, n_threads=1))
    backend.load_blocking()
    file_a = QWEN.prompt(_module("alpha", 12) + "x = ", "\n")
    file_b = QWEN.prompt(_module("beta", 12) + "y = ", "\n")
    for prompt in (file_a, file_b):
        gen(backend, prompt, max_tokens=1)
    again = gen(backend, file_a, max_tokens=1)
    assert again.prompt_tokens_evaluated > 200
    asyncio.run(backend.close())
