"""Remote model servers over HTTP: llama.cpp server, OpenAI-compatible servers, Ollama.

One module per wire format (llamacpp_server, openai, ollama) on a shared streaming
loop (base, transport, security), wrapped in a circuit breaker that falls back to
the local model (resilient). Nothing here runs, and nothing is sent anywhere,
unless the settings name a remote backend. See docs/remote.md.
"""
from __future__ import annotations

from runtime.config import LocalModelSettings, RemoteSettings

REMOTE_KINDS = ("llamacpp", "openai", "ollama")


def remote_class(kind: str):
    if kind == "llamacpp":
        from runtime.remote.llamacpp_server import LlamaCppServerBackend

        return LlamaCppServerBackend
    if kind == "openai":
        from runtime.remote.openai import OpenAIBackend

        return OpenAIBackend
    if kind == "ollama":
        from runtime.remote.ollama import OllamaBackend

        return OllamaBackend
    raise ValueError(f"unknown remote backend {kind!r}; known: {', '.join(REMOTE_KINDS)}")


def build_remote(kind: str, local: LocalModelSettings, remote: RemoteSettings):
    """The remote backend of `kind` behind a circuit breaker with the local model as fallback."""
    from runtime.remote.resilient import ResilientBackend

    def local_factory():
        from runtime.llamacpp import LlamaCppBackend

        return LlamaCppBackend(local)

    return ResilientBackend(remote_class(kind)(remote), remote, local_factory)
