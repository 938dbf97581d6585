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
    verify_hash_on_load: bool = False  # full SHA-256 at start-up (size is always checked)


@dataclass
class RemoteSettings:
    """A remote GPU server (backend = llamacpp | openai | ollama)."""

    url: str = ""
    model: str = ""
    api_key_env: str = "TABSTOP_API_KEY"  # environment variable holding the key
    api_key: str = ""  # prefer the env var or the editor's secret storage
    headers: dict[str, str] = field(default_factory=dict)
    connect_timeout_s: float = 2.0
    first_byte_timeout_s: float = 5.0
    total_timeout_s: float = 15.0
    retries: int = 1
    ca_bundle: str = ""  # custom CA file; TLS verification is always on
    use_suffix_param: bool = False  # openai/ollama: send `suffix` instead of a FIM prompt
    fallback_to_local: bool = True
    failure_threshold: int = 3  # consecutive failures before falling back
    probe_interval_s: float = 30.0
