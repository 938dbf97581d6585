"""One completion, end to end: analyze → (cache) → context → prompt → generate → postprocess.

The engine owns per-document supersession: a newer request for the same document
cancels the older one's token, and the backend notices between tokens. It never
raises for "no completion this time" — the response is empty and `info.skipped`
says why — so a handler can always answer the editor.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

from completion.analyze import analyze
from completion.config import CompletionSettings, ContextSettings
from completion.postprocess import PostContext, postprocess, stop_rule
from completion.prompt import cut_window, family_from_metadata, get_template
from completion.secrets import is_secret_path
from completion.types import CompletionInfo, CompletionResponse, Request, Suggestion
from runtime.backend import Backend, CancelToken, ContextFile, GenerationRequest
from runtime.errors import ModelUnavailable, RuntimeBackendError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ContextResult:
    files: tuple[ContextFile, ...] = ()
    tokens: int = 0
    report: tuple[str, ...] = ()  # one line per item: score, kind, path (for --show-prompt)


class ContextProvider(Protocol):
    """Repository context (issue 3): analogy windows and signatures under a token budget."""

    async def gather(self, request: Request, budget_tokens: int, count: Callable[[str], int]) -> ContextResult: ...


def sends_off_machine(backend: Backend) -> bool:
    """Whether prompts given to `backend` leave the machine (a backend may say so with `sends_off_machine`)."""
    explicit = getattr(backend, "sends_off_machine", None)
    return bool(explicit) if explicit is not None else getattr(backend, "name", "local") != "local"


def new_completion_id() -> str:
    return uuid.uuid4().hex[:16]


def relative_path(path: str, folders: Sequence[str]) -> str:
    for folder in folders:
        try:
            rel = os.path.relpath(path, folder)
        except ValueError:
            continue
        if not rel.startswith(".."):
            return rel.replace(os.sep, "/")
    return os.path.basename(path)


class CompletionEngine:
    def __init__(
        self,
        backend: Backend,
        settings: CompletionSettings,
        context_settings: ContextSettings | None = None,
        *,
        fim_family: str = "auto",
        context: ContextProvider | None = None,
    ) -> None:
        self.backend = backend
        self.settings = settings
        self.context_settings = context_settings or ContextSettings()
        self.fim_family = fim_family
        self.context = context
        self._inflight: dict[str, CancelToken] = {}

    def family(self) -> str:
        if self.fim_family != "auto":
            return self.fim_family
        metadata = getattr(self.backend, "metadata", None) or {}
        return family_from_metadata(metadata)

    def cancel_document(self, uri: str, reason: str = "superseded") -> None:
        token = self._inflight.pop(uri, None)
        if token is not None:
            token.cancel(reason)

    def _secret_file_for_remote(self, request: Request) -> bool:
        """A file matching `context.exclude` (.env, keys, credentials…) never leaves the machine."""
        if not request.path or not sends_off_machine(self.backend):
            return False
        return is_secret_path(relative_path(request.path, request.workspace_folders), self.context_settings.exclude)

    async def complete(self, request: Request, cancel: CancelToken | None = None) -> CompletionResponse:
        """Complete at the request's cursor; supersedes any running request for the same document."""
        cancel = cancel or CancelToken()
        self.cancel_document(request.uri)
        self._inflight[request.uri] = cancel
        try:
            return await self._complete(request, cancel)
        finally:
            if self._inflight.get(request.uri) is cancel:
                del self._inflight[request.uri]

    async def _complete(self, request: Request, cancel: CancelToken) -> CompletionResponse:
        t0 = time.perf_counter()
        s = self.settings
        info = CompletionInfo(model=self.backend.model_name, backend=self.backend.name)
        if not s.enabled or request.language in s.disabled_languages:
            info.skipped = "disabled"
            return CompletionResponse([], info)
        if self._secret_file_for_remote(request):
            info.skipped = "secret file: not sent to a remote backend"
            return CompletionResponse([], info)
        analysis = analyze(request, single_line_mid_line=s.single_line_mid_line, healing=s.token_healing)
        info.mode = analysis.mode
        if not analysis.should_complete:
            info.skipped = analysis.reason
            return CompletionResponse([], info)

        count = self.backend.count_tokens
        window = cut_window(request.text, request.offset, s.prefix_tokens, s.suffix_tokens, count)
        heal = analysis.heal
        prefix = window.prefix[: len(window.prefix) - len(heal)] if heal else window.prefix
        ctx_result = ContextResult()
        if self.context is not None and self.context_settings.enabled:
            try:
                ctx_result = await self.context.gather(request, self.context_settings.budget_tokens, count)
            except (OSError, ValueError, RuntimeError) as exc:  # context is an extra: never fatal
                log.warning("context gathering failed: %s", exc)
        info.context_items, info.context_tokens = len(ctx_result.files), ctx_result.tokens
        info.context_report = list(ctx_result.report)
        template = get_template(self.family())
        path = relative_path(request.path, request.workspace_folders) if request.path else ""
        repo = os.path.basename(request.workspace_folders[0].rstrip("/")) if request.workspace_folders else ""
        prompt = template.prompt(prefix, window.suffix, path=path, repo=repo, context=ctx_result.files,
                                 language=request.language, heal=heal)
        info.prompt_text = prompt.text
        post = PostContext(
            line_prefix=request.line_prefix, line_suffix=request.line_suffix, suffix=window.suffix,
            prefix=window.prefix, mode=analysis.mode, max_lines=s.max_lines, language=request.language,
        )
        gen = GenerationRequest(
            prompt=prompt,
            max_tokens=s.max_tokens,
            temperature=s.temperature,
            deadline=time.monotonic() + s.deadline_ms / 1000,
            should_stop=stop_rule(post),
            request_id=request.request_id,
        )
        try:
            result = await self.backend.generate(gen, cancel)
        except ModelUnavailable as exc:
            info.skipped = f"model unavailable: {exc}"
            info.total_ms = (time.perf_counter() - t0) * 1000
            return CompletionResponse([], info)
        except RuntimeBackendError as exc:
            log.warning("generation failed: %s", exc)
            info.skipped = f"backend error: {exc}"
            info.total_ms = (time.perf_counter() - t0) * 1000
            return CompletionResponse([], info)
        except asyncio.CancelledError:
            cancel.cancel("request cancelled")
            raise
        info.model, info.backend = result.model, result.backend
        info.stop_reason = result.stop_reason
        info.prompt_tokens, info.prompt_tokens_evaluated = result.prompt_tokens, result.prompt_tokens_evaluated
        info.generated_tokens = result.tokens
        info.prompt_ms, info.generate_ms = result.prompt_ms, result.generate_ms
        info.raw_text = result.text
        items: list[Suggestion] = []
        if result.stop_reason not in ("cancelled",):
            text = postprocess(result.text, post)
            if text:
                items.append(Suggestion(new_completion_id(), text, result.mean_logprob))
        info.total_ms = (time.perf_counter() - t0) * 1000
        log.debug(
            "completion %s: %s, prompt %d tokens (%d evaluated), %d generated, %.0f ms",
            request.request_id, result.stop_reason, result.prompt_tokens, result.prompt_tokens_evaluated,
            result.tokens, info.total_ms,
        )
        return CompletionResponse(items, info)
