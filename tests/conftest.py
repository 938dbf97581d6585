"""Shared fixtures. Tests use the real default model assembled by ./setup.sh (no fakes)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def server_env(**extra: str) -> dict[str, str]:
    """Environment for a `tabstop serve` subprocess running this checkout's code."""
    env = dict(os.environ)
    # No empty entry: it would put the server's working directory (a workspace) on sys.path.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("TABSTOP_LOG_LEVEL", "info")
    env.update(extra)
    return env


def server_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "lsp.cli", *args, "serve"]


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The verified default model; its absence is a set-up failure, not a skip."""
    from runtime import registry

    path, _ = registry.resolve("default")
    return path


@pytest.fixture(scope="session")
def local_backend(model_path):
    """One loaded model for the whole session (loading costs ~1 s and ~0.5 GB)."""
    from runtime.config import LocalModelSettings
    from runtime.llamacpp import LlamaCppBackend

    backend = LlamaCppBackend(LocalModelSettings(name=str(model_path), n_ctx=4096))
    backend.load_blocking()
    yield backend
