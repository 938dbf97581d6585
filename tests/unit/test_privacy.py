"""What may leave the machine: the engine never hands a secret file to a remote backend."""
from __future__ import annotations

import asyncio

import pytest

from completion.config import CompletionSettings, ContextSettings
from completion.engine import CompletionEngine, sends_off_machine
from completion.types import Request
from runtime.backend import BackendStatus, GenerationResult
from runtime.config import LocalModelSettings
from runtime.llamacpp import LlamaCppBackend


class RecordingRemote:
    """Stands in for a remote HTTP backend (those live on the remote-backend branch, not here).

    It records every prompt it is given instead of sending it anywhere: the test
    is about what the engine hands to a backend that would send it off the machine.
    """

    name = "openai"
    model_name = "remote-model"
    status = BackendStatus("ready")

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 3)

    async def generate(self, request, cancel) -> GenerationResult:
        self.prompts.append(request.prompt.text)
        return GenerationResult(text="", stop_reason="eos", model=self.model_name, backend=self.name)

    async def close(self) -> None:
        pass


def request_for(path: str, text: str = "API_KEY = 'sk-live-0123456789abcdef0123'\nOTHER = ") -> Request:
    return Request(uri="file://" + path, text=text, offset=len(text), language="python", path=path,
                   workspace_folders=("/work/proj",))


@pytest.mark.parametrize("path", ["/work/proj/.env", "/work/proj/config/secrets.py", "/work/proj/deploy/tls.key",
                                  "/elsewhere/.aws/credentials"])
def test_secret_files_never_reach_a_remote_backend(path):
    remote = RecordingRemote()
    engine = CompletionEngine(remote, CompletionSettings(), ContextSettings())
    response = asyncio.run(engine.complete(request_for(path)))
    assert remote.prompts == [] and response.items == []
    assert response.info.skipped.startswith("secret file")


def test_ordinary_files_do_reach_it():
    remote = RecordingRemote()
    engine = CompletionEngine(remote, CompletionSettings(), ContextSettings())
    asyncio.run(engine.complete(request_for("/work/proj/app/settings_view.py", "def f(x):\n    return ")))
    assert len(remote.prompts) == 1


def test_user_patterns_apply_and_the_local_model_is_not_restricted():
    remote = RecordingRemote()
    engine = CompletionEngine(remote, CompletionSettings(), ContextSettings(exclude=["internal/**", "internal"]))
    asyncio.run(engine.complete(request_for("/work/proj/internal/algo.py", "x = ")))
    assert remote.prompts == []
    local = LlamaCppBackend(LocalModelSettings())  # not loaded: only its identity matters here
    assert not sends_off_machine(local) and sends_off_machine(remote)
    local_engine = CompletionEngine(local, CompletionSettings(), ContextSettings())
    assert not local_engine._secret_file_for_remote(request_for("/work/proj/.env"))


def test_open_secret_files_are_never_context_sources(tmp_path):
    """An `.env` open in another tab must not feed analogy windows (which a remote backend would receive)."""
    from completion.context.provider import RepositoryContext

    ctx = RepositoryContext(ContextSettings(index=False, exclude=["vendor/"]))  # the user's list replaces the default...
    try:
        for name in (".env", "deploy/id_rsa", "config/credentials.yaml", "app.py"):
            path = str(tmp_path / name)
            ctx.document_opened("file://" + path, path, "python", "API_KEY = 'x'\n")
        assert sorted(d.path.rsplit("/", 1)[-1] for d in ctx.documents.values()) == ["app.py"]  # ...not the secrets
        assert ".env" in ctx._rules().exclude and "vendor/" in ctx._rules().exclude
    finally:
        ctx.close()


def test_user_exclude_list_never_drops_the_builtin_secret_patterns():
    remote = RecordingRemote()
    engine = CompletionEngine(remote, CompletionSettings(), ContextSettings(exclude=["build/"]))
    asyncio.run(engine.complete(request_for("/work/proj/.env")))
    assert remote.prompts == []


def test_paths_through_links_or_outside_the_folder_are_never_indexed(tmp_path):
    """Watcher events and saves go through `should_index`; the walk itself never follows links."""
    from cache.index.scan import IgnoreRules, ScanRules, should_index
    from completion.languages import language_for

    root, outside = tmp_path / "proj", tmp_path / "outside"
    (root / "src").mkdir(parents=True)
    outside.mkdir()
    (root / "src" / "ok.py").write_text("x = 1\n")
    (outside / "private.py").write_text("token = 'x'\n")
    (root / "link").symlink_to(outside, target_is_directory=True)
    (root / "src" / "alias.py").symlink_to(outside / "private.py")
    rules, ignore = ScanRules(), IgnoreRules(root)
    assert should_index(root, "src/ok.py", rules, ignore, language_for)
    for rel in ("link/private.py", "src/alias.py", "../outside/private.py", "src/../../outside/private.py"):
        assert not should_index(root, rel, rules, ignore, language_for), rel
