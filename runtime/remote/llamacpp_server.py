"""llama.cpp's own HTTP server (`llama-server`): `/infill` and `/completion`.

`/infill` (the default) sends the parts and lets the server build the FIM prompt
with the model's own FIM tokens: `input_prefix`, `input_suffix`, and
`input_extra` — repository context as `{filename, text}` chunks, which the server
lays out in Qwen2.5-Coder's repo-level format when the model has those tokens.
`/completion` (remote.infill = false) sends Tabstop's rendered prompt instead, for
models whose server-side FIM template is missing or wrong.

`grammar` carries the member rule (runtime/members.py) at `mod.|`: the server may then only
write a name the module has, and in a healed request it must first reproduce the healed text
(which a server otherwise only gets checked for afterwards, runtime/remote/base.py).

`cache_prompt` keeps the server's KV cache for the common prefix between
keystrokes; `n_probs: 1` returns each token's log-probability. Wire format: SSE
`data: {...}` per token, a final message with `stop: true`, `stop_type`,
`tokens_evaluated`, `tokens_cached` and `timings`; errors mid-stream arrive as an
`error:` field (see the llama.cpp server README).
"""
from __future__ import annotations

import math
from typing import Any

from runtime.backend import GenerationRequest
from runtime.remote.base import Chunk, RemoteBackend, floats
from runtime.remote.transport import Event

_STOP_TYPES = {"eos": "eos", "limit": "length", "word": "stop"}


class LlamaCppServerBackend(RemoteBackend):
    name = "llamacpp"
    framing = "sse"
    probe_path = "health"

    def path(self, healed: bool) -> str:
        return "infill" if self.settings.infill else "completion"

    def body(self, request: GenerationRequest, healed: bool) -> dict[str, Any]:
        p = request.prompt
        s = self.settings
        body: dict[str, Any] = {
            "n_predict": request.max_tokens,
            "temperature": request.temperature,
            "seed": request.seed,
            "stop": list(p.stop),
            "stream": True,
            "cache_prompt": s.cache_prompt,
            "repeat_penalty": 1.0,  # code repeats its own names; older servers default to 1.1
        }
        if s.logprobs:
            body["n_probs"] = 1
        grammar = self.member_grammar(request, healed)
        if grammar is not None:
            body["grammar"] = grammar
        if s.infill:
            # The healed text goes back where it was cut from: the typed middle, else the prefix.
            unheal = "" if healed else p.heal
            body["input_prefix"] = p.prefix + ("" if p.middle_start else unheal)
            body["input_suffix"] = p.suffix
            body["input_extra"] = [{"filename": c.path, "text": c.text} for c in p.context]
            body["prompt"] = p.middle_start + (unheal if p.middle_start else "")  # after FIM_MID
        else:
            body["prompt"] = p.text if healed or not p.heal else p.unhealed_text
        return body

    def _server_builds_prompt(self) -> bool:
        return bool(self.settings.infill)

    def parse(self, event: Event) -> Chunk:
        data = event.data
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        content = data.get("content", "")
        if not isinstance(content, str):
            raise ValueError("content is not a string")
        chunk = Chunk(text=content, model=str(data.get("model") or ""))
        probs = data.get("completion_probabilities") or []
        chunk.logprobs = floats(p.get("logprob", _log(p.get("prob"))) for p in probs if isinstance(p, dict))
        if data.get("stop") is True:
            chunk.finish = _STOP_TYPES.get(str(data.get("stop_type", "")), "eos")
            chunk.done = True
            timings = data.get("timings") if isinstance(data.get("timings"), dict) else {}
            evaluated = _int(timings.get("prompt_n"))
            cached = _int(data.get("tokens_cached"), _int(timings.get("cache_n")))
            total = _int(data.get("tokens_evaluated"))
            if total is None and evaluated is not None:
                total = evaluated + (cached or 0)
            chunk.prompt_tokens = total
            chunk.prompt_tokens_evaluated = evaluated if evaluated is not None else (
                total - cached if total is not None and cached is not None else None)
            chunk.completion_tokens = _int(data.get("tokens_predicted"), _int(timings.get("predicted_n")))
            ms = timings.get("prompt_ms")
            chunk.prompt_ms = float(ms) if isinstance(ms, (int, float)) else None
        return chunk


def _int(value: Any, default: int | None = None) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def _log(prob: Any) -> float | None:
    return math.log(prob) if isinstance(prob, (int, float)) and prob > 0 else None
