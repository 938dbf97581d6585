"""Settings the runtime consumes; composed into the one tree in lsp/settings.py."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LocalModelSettings:
    """In-process llama.cpp model."""

    name: str = "default"  # a registry name (`tabstop model list`) or a path to a GGUF file
    n_threads: int = 0  # 0: one per physical core
    n_ctx: int = 4096
    n_batch: int = 64  # prompt chunk: a cancel is noticed between chunks (~0.35 s on 2 cores)
    n_gpu_layers: int = 0  # -1 offloads every layer (Metal / CUDA builds)
    fim_family: str = "auto"  # auto (from GGUF metadata) | qwen | deepseek | starcoder | codellama | codestral
    reuse_prefix: bool = True  # reuse the KV cache's longest common token prefix (off only to benchmark)
    kv_states: int = 4  # KV states of other prompts kept in RAM for switching files (0: off); see runtime/kvstates.py
    kv_state_max_mb: int = 256  # RAM for those states, all together (~18 MB per 1,500-token prompt on the 0.5B model)
    verify_hash_on_load: bool = False  # full SHA-256 at start-up (size is always checked)


@dataclass
class RemoteSettings:
    """A remote GPU server (backend = llamacpp | openai | ollama). See docs/remote.md.

    Nothing here is used, and nothing is sent anywhere, while `backend` is "local".
    """

    url: str = ""  # base URL: http://127.0.0.1:8080 (llama.cpp), http://gpu:8000/v1 (vLLM), http://host:11434 (Ollama)
    model: str = ""  # model name sent to the server (openai/ollama); also guides the FIM template choice
    api_key_env: str = "TABSTOP_API_KEY"  # environment variable holding the key (preferred over api_key)
    api_key: str = ""  # prefer the env var or the editor's secret storage; never logged
    headers: dict[str, str] = field(default_factory=dict)  # extra HTTP headers, sent to the configured host only
    connect_timeout_s: float = 2.0  # TCP + TLS handshake
    first_byte_timeout_s: float = 5.0  # request sent → first streamed byte (prompt evaluation happens here)
    read_timeout_s: float = 3.0  # longest silence between two streamed chunks (a stalled stream)
    total_timeout_s: float = 15.0  # whole request; the completion deadline usually ends it earlier
    retries: int = 1  # extra attempts, only before the first byte (connect errors, 429, 5xx)
    retry_backoff_s: float = 0.2  # first back-off; doubles per attempt (a 429's Retry-After is honoured within the deadline)
    ca_bundle: str = ""  # custom CA file; TLS verification is always on
    use_suffix_param: bool = False  # openai/ollama: send `suffix` instead of Tabstop's FIM prompt
    infill: bool = True  # llamacpp: /infill (server builds the FIM prompt, input_extra carries context); false: /completion
    cache_prompt: bool = True  # llamacpp: reuse the server's KV cache for the common prompt prefix
    logprobs: bool = True  # ask for token log-probabilities (mean logprob feeds ranking and the filter)
    strict_openai: bool = False  # openai: send only standard OpenAI parameters (no vLLM extras)
    grammar: bool = True  # send the member rule (and the healed text) as a GBNF grammar: llamacpp; openai unless strict
    fallback_to_local: bool = True  # answer from the local model while the remote is failing
    preload_local: bool = True  # load the local model in the background so that a fallback answers at once
    failure_threshold: int = 3  # consecutive failures before falling back
    probe_interval_s: float = 30.0  # while falling back, check the remote this often
