"""OpenAI-compatible `/v1/completions` (vLLM, TGI's OpenAI API, llama-cpp-python's server, LM Studio).

The prompt is Tabstop's own FIM rendering (`Prompt.text`, the model family's
control tokens included), because the legacy completions API has no FIM fields.
`use_suffix_param` sends `prompt`=prefix and `suffix`=suffix instead, for servers
that build the FIM prompt themselves from `suffix` (the server must support it:
llama-cpp-python 0.3.x does not build a correct one — docs/remote.md).

Beyond the standard parameters (left out with `strict_openai`) we send
`skip_special_tokens: false`, so that vLLM returns control tokens such as
`<|file_sep|>` and our stop strings can match them, and `repeat_penalty: 1.0`
(llama-cpp-python's server defaults to 1.1, which penalises exactly what code
completion needs: repeating the names already in the file), `grammar` at `mod.|` (the member
rule as GBNF: llama-cpp-python's server constrains with it; vLLM ignores fields it does not know),
and ask for
`stream_options.include_usage` to learn the prompt size. Wire format: SSE
`data: {"choices": [{"text", "logprobs", "finish_reason"}]}` ending with
`data: [DONE]`.
"""
from __future__ import annotations

from typing import Any

from runtime.backend import GenerationRequest
from runtime.remote.base import Chunk, RemoteBackend, floats
from runtime.remote.transport import Event

OPENAI_MAX_STOPS = 4
_FINISH = {"stop": "eos", "length": "length", "eos": "eos"}


class OpenAIBackend(RemoteBackend):
    name = "openai"
    framing = "sse"

    @property
    def _base(self) -> str:
        """`url` may be the server root or already end in /v1 (the usual OpenAI `base_url`)."""
        path = self.settings.url.split("?", 1)[0].rstrip("/")
        return "" if path.endswith("/v1") else "v1/"

    @property
    def probe_path(self) -> str:  # type: ignore[override]
        return self._base + "models"

    def path(self, healed: bool) -> str:
        return self._base + "completions"

    def body(self, request: GenerationRequest, healed: bool) -> dict[str, Any]:
        p = request.prompt
        s = self.settings
        heal = "" if healed else p.heal
        body: dict[str, Any] = {
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "seed": request.seed,
            "n": 1,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if s.model:
            body["model"] = s.model
        if s.use_suffix_param:
            body["prompt"] = p.prefix + p.middle_start + heal  # typed middle joins the prefix
            body["suffix"] = p.suffix
        else:
            body["prompt"] = p.text if not heal else p.unhealed_text
        stops = list(p.stop)
        body["stop"] = stops[:OPENAI_MAX_STOPS] if s.strict_openai else stops
        if s.logprobs:
            body["logprobs"] = 1
        if not s.strict_openai:
            body["skip_special_tokens"] = False
            body["repeat_penalty"] = 1.0  # llama-cpp-python defaults to 1.1; code must repeat its own names
            grammar = self.member_grammar(request, healed)
            if grammar is not None:
                body["grammar"] = grammar
        return body

    def parse(self, event: Event) -> Chunk:
        data = event.data
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if "error" in data or data.get("object") == "error":
            from runtime.errors import RemoteStreamError

            err = data.get("error", data)
            raise RemoteStreamError(f"server error in stream: {err.get('message', err) if isinstance(err, dict) else err}")
        chunk = Chunk(model=str(data.get("model") or ""))
        choices = data.get("choices") or []
        if choices:
            choice = choices[0]
            text = choice.get("text", "")
            if not isinstance(text, str):
                raise ValueError("choices[0].text is not a string")
            chunk.text = text
            logprobs = choice.get("logprobs")
            if isinstance(logprobs, dict):
                chunk.logprobs = floats(logprobs.get("token_logprobs"))
            finish = choice.get("finish_reason")
            if finish:
                chunk.finish = _FINISH.get(str(finish), "eos")
        usage = data.get("usage")
        if isinstance(usage, dict):
            if isinstance(usage.get("prompt_tokens"), int):
                chunk.prompt_tokens = usage["prompt_tokens"]
                details = usage.get("prompt_tokens_details")
                cached = details.get("cached_tokens") if isinstance(details, dict) else None
                if isinstance(cached, int):
                    chunk.prompt_tokens_evaluated = usage["prompt_tokens"] - cached
            if isinstance(usage.get("completion_tokens"), int):
                chunk.completion_tokens = usage["completion_tokens"]
        return chunk
