"""Pick the backend named by the settings."""
from __future__ import annotations

from runtime.backend import Backend
from runtime.config import LocalModelSettings, RemoteSettings


def make_backend(kind: str, local: LocalModelSettings, remote: RemoteSettings) -> Backend:
    if kind == "local":
        from runtime.llamacpp import LlamaCppBackend

        return LlamaCppBackend(local)
    from runtime.remote import REMOTE_KINDS, build_remote

    if kind in REMOTE_KINDS:
        return build_remote(kind, local, remote)
    raise ValueError(f"backend {kind!r} is not available in this build")
