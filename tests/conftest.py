"""Shared fixtures. Tests use the real default model assembled by ./setup.sh (no fakes)."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

# Imported here, at a shallow stack: CPython 3.11.7's parser fails with "AST constructor
# recursion depth mismatch" when pytest's assertion rewriter first parses hypothesis'
# modules deep inside a running asyncio test (seen in the e2e tests).
import hypothesis  # noqa: F401,E402

ROOT = Path(__file__).resolve().parent.parent
# Telemetry and the filter model default to the user's data dir: point every test (and every
# server subprocess, which inherits the environment) at a scratch folder instead.
os.environ.setdefault("TABSTOP_DATA_DIR", tempfile.mkdtemp(prefix="tabstop-tests-data-"))


def server_env(**extra: str) -> dict[str, str]:
    """Environment for a `tabstop serve` subprocess running this checkout's code."""
    env = dict(os.environ)
    # No empty entry: it would put the server's working directory (a workspace) on sys.path.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("TABSTOP_LOG_LEVEL", "info")
    env.update(extra)
    return env


def lsp_settings(**completion: object) -> dict:
    """initializationOptions for test servers: behaviour is under test, not speed, so the
    deadline is generous (CI machines may be loaded) and threads follow TABSTOP_TEST_THREADS."""
    return {
        "model": {"nThreads": int(os.environ.get("TABSTOP_TEST_THREADS", "0"))},
        "completion": {"deadlineMs": 60000, **completion},
    }


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

    threads = int(os.environ.get("TABSTOP_TEST_THREADS", "0"))  # 0: auto; 1 helps on a loaded machine
    backend = LlamaCppBackend(LocalModelSettings(name=str(model_path), n_ctx=4096, n_threads=threads))
    backend.load_blocking()
    yield backend


def indexed_files(root: Path, files: dict[str, str]):
    """A real RepoIndex (SQLite beside `root`) over `files` written under `root`, fully built."""
    from cache.index.indexer import RepoIndex
    from cache.index.scan import ScanRules
    from completion.languages import language_for

    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    index = RepoIndex(root, root.parent / f"{root.name}.sqlite", ScanRules(), language_for)
    index.start()
    assert index.wait_idle(30)
    return index
