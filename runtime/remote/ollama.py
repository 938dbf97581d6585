"""Ollama `/api/generate`.

Default: `raw: true` with Tabstop's rendered FIM prompt (Ollama applies no
template). `use_suffix_param`: `prompt`=prefix, `suffix`=suffix, not raw, so the
model's Modelfile template builds the FIM prompt (repository context is then not
sent: the template has no place for it). Options: `num_predict`, `temperature`,
`seed`, `stop`. Wire format: newline-delimited JSON, `{"response": "...",
"done": false}` per piece and a final `done: true` object with `done_reason`,
`prompt_eval_count`, `prompt_eval_duration` (ns) and `eval_count`; errors are
`{"error": "..."}` (as the body of an HTTP error, or as a line mid-stream).
Newer Ollama versions return per-token `logprobs` when asked.
"""
from __future__ import annotations

from typing import Any

from runtime.backend import GenerationRequest
from runtime.errors import RemoteStreamError
from runtime.remote.base import Chunk, RemoteBackend, floats
from runtime.remote.transport import Event

_DONE = {"stop": "eos", "length": "length"}


class OllamaBackend(RemoteBackend):
    name = "ollama"
    framing = "ndjson"
    probe_path = "api/version"

    def path(self, healed: bool) -> str:
        return "api/generate"

    def body(self, request: GenerationRequest, healed: bool) -> dict[str, Any]:
        p = request.prompt
        s = self.settings
        heal = "" if healed else p.heal
        body: dict[str, Any] = {
            "model": s.model,
            "stream": True,
            "options": {
                "num_predict": request.max_tokens,
                "temperature": request.temperature,
                "seed": request.seed,
                "stop": list(p.stop),
                "repeat_penalty": 1.0,  # Ollama's default 1.1 steers code away from the names it must repeat
            },
        }
        if s.use_suffix_param:
            body.update(prompt=p.prefix + p.middle_start + heal, suffix=p.suffix, raw=False)
        else:
            body.update(prompt=p.text if not heal else p.unhealed_text, raw=True)
        if s.logprobs:
            body["logprobs"] = True
        return body

    def parse(self, event: Event) -> Chunk:
        data = event.data
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if "error" in data:
            raise RemoteStreamError(f"server error in stream: {str(data['error'])[:300]}")
        text = data.get("response", "")
        if not isinstance(text, str) or not isinstance(data.get("done", False), bool):
            raise ValueError("response/done have the wrong type")
        chunk = Chunk(text=text, model=str(data.get("model") or ""))
        logprobs = data.get("logprobs")
        if isinstance(logprobs, list):
            chunk.logprobs = floats(item.get("logprob") for item in logprobs if isinstance(item, dict))
        if data.get("done"):
            chunk.finish = _DONE.get(str(data.get("done_reason") or "stop"), "eos")
            chunk.done = True
            if isinstance(data.get("prompt_eval_count"), int):
                chunk.prompt_tokens = chunk.prompt_tokens_evaluated = data["prompt_eval_count"]
            if isinstance(data.get("eval_count"), int):
                chunk.completion_tokens = data["eval_count"]
            if isinstance(data.get("prompt_eval_duration"), (int, float)):
                chunk.prompt_ms = data["prompt_eval_duration"] / 1e6
        return chunk
