"""One completion, end to end: analyze → cache → debounce → context → prompt → generate → postprocess.

The engine owns the request lifecycle per document: a newer request supersedes
the older one (its cancel token is set and the backend stops between tokens),
automatic requests wait an adaptive debounce, typing through a shown
suggestion is answered from the cache, and after an accept the next completion
is prefetched. It never raises for "no completion this time" — the response is
empty and `info.skipped` says why — so a handler can always answer the editor.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import sqlite3
import time
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass, replace
from typing import Callable, Protocol, Sequence

from cache.completion_cache import CompletionCache
from cache.index.windows import common_prefix_len
from completion.analyze import Analysis, analyze
from completion.anchor import Anchor, middle_and_heal, typed_since
from completion.candidates import finish_candidates, near_cursor, post_context
from completion.budget import SpeedModel
from completion.config import CompletionSettings, ContextSettings
from completion.context.usages import member_access, member_key
from completion.heal import whitespace_heal
from completion.lifecycle import AdaptiveDebounce
from completion.postprocess import PostContext, stop_rule
from completion.prompt import cut_window, family_from_metadata, get_template
from completion.secrets import is_secret_path, secret_patterns
from completion.types import CompletionInfo, CompletionResponse, Request, Suggestion
from runtime.backend import Backend, CancelToken, ContextFile, GenerationRequest, GenerationResult, Prompt
from runtime.errors import ModelUnavailable, RuntimeBackendError
from runtime.members import MemberRule

log = logging.getLogger(__name__)
RECENT_LIMIT = 512
EXPECTED_GEN_TOKENS = 8  # a typical rest-of-line completion, for latency estimates
MIN_PREFIX_TOKENS = 192  # below this the model lacks the context to be useful
MIN_AUTOMATIC_TOKENS = 12  # the latency budget never cuts an automatic request's generation below this
_KV_PROMPTS = 5  # the live prompt + runtime.config.LocalModelSettings.kv_states (4 by default)


@dataclass(frozen=True)
class ContextResult:
    files: tuple[ContextFile, ...] = ()
    tokens: int = 0
    report: tuple[str, ...] = ()  # one line per item: score, kind, path (for --show-prompt)
    paths: frozenset[str] = frozenset()  # files the context came from (cache invalidation)
    member: str = ""  # `name.` whose member context (usage lines, module listing) this holds
    members: frozenset[str] = frozenset()  # every name `member` can take, when known (runtime/members.py)


class ContextProvider(Protocol):
    """Repository context (issue 3): analogy windows and signatures under a token budget."""

    async def gather(self, request: Request, budget_tokens: int, count: Callable[[str], int]) -> ContextResult: ...


@dataclass(frozen=True)
class Shown:
    """A suggestion we returned, kept for prefetch-after-accept and telemetry."""

    request: Request
    text: str
    info: CompletionInfo


@dataclass
class _Built:
    prompt: Prompt
    post: PostContext
    anchor: Anchor
    reused_anchor: bool
    shrunk: bool  # prompt was cut below the configured budgets to meet the latency budget
    new_tokens: int | None = None  # prompt tokens the KV cache lacks, when the latency budget applies


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


def _member_rule(request: Request, anchor: Anchor) -> MemberRule | None:
    """The names the completion may start with, when the cursor is right after (or inside) the
    member of a module whose namespace the index knows completely."""
    access = member_access(request.line_prefix, with_self=True)
    if access is None or not anchor.members or anchor.member != access.key:
        return None
    return MemberRule.of(anchor.members, access.partial)


def _heal_text(request: Request, analysis: Analysis) -> str:
    """The text cut from the prompt and regenerated under the healing constraint: the partial
    token (analysis.heal), else trailing whitespace (completion/heal.py). The same rule applies
    to a fresh prompt and to a typed-middle one, so asking twice at the same place gives the
    same prompt (and a trailing space's heal, ` math`, lies inside anchor.heal + typed)."""
    return analysis.heal or whitespace_heal(request.line_prefix, analysis.mode)


class CompletionEngine:
    def __init__(
        self,
        backend: Backend,
        settings: CompletionSettings,
        context_settings: ContextSettings | None = None,
        *,
        fim_family: str = "auto",
        context: ContextProvider | None = None,
        cache: CompletionCache | None = None,
        debounce: AdaptiveDebounce | None = None,
    ) -> None:
        self.backend = backend
        self.settings = settings
        self.context_settings = context_settings or ContextSettings()
        self.fim_family = fim_family
        self.context = context
        self.cache = cache if cache is not None else CompletionCache()
        self.debounce = debounce if debounce is not None else AdaptiveDebounce()
        self.speed = SpeedModel()
        self._inflight: dict[str, CancelToken] = {}
        self._anchors: dict[str, Anchor] = {}
        # What the backend's KV cache holds (local backend): the live prompt last, and the
        # prompts of other files whose KV states it keeps (runtime/kvstates.py). An estimate.
        self._kv_prompts: list[str] = []
        self.recent: OrderedDict[str, Shown] = OrderedDict()
        self._prefetch: dict[str, tuple[str, str, asyncio.Task[CompletionResponse]]] = {}
        self._warm: asyncio.Task[None] | None = None
        self._warm_cancel: CancelToken | None = None
        self.history: deque[dict[str, object]] = deque(maxlen=4096)  # per-request facts for benchmarks

    # -- configuration -----------------------------------------------------------------------
    def family(self) -> str:
        if self.fim_family != "auto":
            return self.fim_family
        metadata = getattr(self.backend, "metadata", None) or {}
        return family_from_metadata(metadata)

    def fingerprint(self) -> str:
        """What a cached suggestion depends on besides the text: model, template, settings."""
        raw = f"{self.backend.name}|{self.backend.model_name}|{self.family()}|{self.settings!r}|{self.context_settings!r}"
        return hashlib.sha1(raw.encode()).hexdigest()[:16]

    # -- lifecycle ---------------------------------------------------------------------------
    def cancel_document(self, uri: str, reason: str = "superseded") -> None:
        token = self._inflight.pop(uri, None)
        if token is not None:
            token.cancel(reason)

    def cancel_all(self, reason: str) -> None:
        """Stop every running generation (shutdown): the inference thread is joined at exit,
        so an unfinished completion would hold up the process until its deadline."""
        for uri in list(self._inflight):
            self.cancel_document(uri, reason)
        self._cancel_warm()
        for _, _, task in self._prefetch.values():
            task.cancel()
        self._prefetch.clear()

    def forget_document(self, uri: str) -> None:
        """The document was closed: drop its state."""
        self.cancel_document(uri, "closed")
        self._anchors.pop(uri, None)
        self.cache.invalidate_document(uri)
        self.debounce.forget(uri)

    def context_changed(self, paths: set[str]) -> None:
        """Files used as context changed: suggestions built from them are stale."""
        dropped = self.cache.invalidate_paths(paths)
        for uri, anchor in list(self._anchors.items()):
            if anchor.context_paths & paths:
                del self._anchors[uri]
        if dropped:
            log.debug("context change invalidated %d cached completions", dropped)

    def _secret_file_for_remote(self, request: Request) -> bool:
        """A file matching `context.exclude` (.env, keys, credentials…) never leaves the machine."""
        if not request.path or not sends_off_machine(self.backend):
            return False
        rel = relative_path(request.path, request.workspace_folders)
        return is_secret_path(rel, secret_patterns(self.context_settings.exclude))

    async def complete(self, request: Request, cancel: CancelToken | None = None) -> CompletionResponse:
        """Complete at the request's cursor; supersedes any running request for the same document."""
        cancel = cancel or CancelToken()
        pending = self._prefetch.pop(request.uri, None)
        if pending is not None:
            before, after, task = pending
            if before == request.prefix and after == request.suffix:
                try:
                    # The prefetch is for exactly this state: its answer is this request's answer.
                    prefetched = await asyncio.shield(task)
                except asyncio.CancelledError:
                    if cancel.cancelled:
                        raise
                else:
                    prefetched.info.cache_hit = True
                    self._remember(request, prefetched.items, prefetched.info)
                    return prefetched
            else:
                task.cancel()
        self._cancel_warm()
        self.cancel_document(request.uri)
        self._inflight[request.uri] = cancel
        try:
            return await self._complete(request, cancel, debounce=True)
        finally:
            if self._inflight.get(request.uri) is cancel:
                del self._inflight[request.uri]

    def on_accept(self, completion_id: str) -> Shown | None:
        """The user accepted a suggestion: prefetch the completion that follows it."""
        shown = self.recent.get(completion_id)
        if shown is None or not self.settings.prefetch:
            return shown
        req = shown.request
        text = req.prefix + shown.text + req.suffix
        nxt = replace(req, text=text, offset=req.offset + len(shown.text), version=None, trigger="automatic",
                      request_id=f"prefetch-{completion_id}")
        old = self._prefetch.pop(req.uri, None)
        if old is not None:
            old[2].cancel()
        task = asyncio.get_running_loop().create_task(self._run_prefetch(nxt))
        self._prefetch[req.uri] = (nxt.prefix, nxt.suffix, task)
        return shown

    async def _run_prefetch(self, request: Request) -> CompletionResponse:
        cancel = CancelToken()
        self.cancel_document(request.uri)
        self._inflight[request.uri] = cancel
        try:
            return await self._complete(request, cancel, debounce=False)
        except asyncio.CancelledError:
            cancel.cancel("prefetch cancelled")
            raise
        finally:
            if self._inflight.get(request.uri) is cancel:
                del self._inflight[request.uri]

    def _cancel_warm(self) -> None:
        if self._warm_cancel is not None:
            self._warm_cancel.cancel("a request arrived")
            self._warm_cancel = None

    # -- the pipeline ------------------------------------------------------------------------
    async def _complete(self, request: Request, cancel: CancelToken, *, debounce: bool) -> CompletionResponse:
        t0 = time.perf_counter()
        s = self.settings
        info = CompletionInfo(model=self.backend.model_name, backend=self.backend.name)

        def done(items: list[Suggestion], skipped: str = "") -> CompletionResponse:
            info.skipped = skipped
            info.total_ms = (time.perf_counter() - t0) * 1000
            self.history.append({
                "request_id": request.request_id, "uri": request.uri, "items": len(items), "skipped": skipped,
                "cache_hit": info.cache_hit, "stop_reason": info.stop_reason, "layout": info.extra_layout,
                "prompt_tokens": info.prompt_tokens, "evaluated": info.prompt_tokens_evaluated,
                "generated": info.generated_tokens, "total_ms": round(info.total_ms, 1),
            })
            return CompletionResponse(items, info)

        if not s.enabled or request.language in s.disabled_languages:
            return done([], "disabled")
        if self._secret_file_for_remote(request):
            return done([], "secret file: not sent to a remote backend")
        t_an = time.perf_counter()
        near_prefix, near_suffix = near_cursor(request)
        analysis = analyze(request, single_line_mid_line=s.single_line_mid_line, healing=s.token_healing,
                           use_syntax=s.syntax_mode, prefix=near_prefix, suffix=near_suffix)
        info.step_ms["analyze"] = (time.perf_counter() - t_an) * 1000
        info.mode, info.mode_source, info.heal = analysis.mode, analysis.mode_source, analysis.heal
        if not analysis.should_complete:
            return done([], analysis.reason)

        fingerprint = self.fingerprint()
        if s.cache:
            hit = self.cache.get(request.uri, fingerprint, request.prefix, request.suffix)
            if hit is not None:
                info.cache_hit = True
                items = [Suggestion(new_completion_id(), text) for text in hit.texts]
                self._remember(request, items, info)
                return done(items)

        if debounce and s.debounce:
            delay = self.debounce.delay_ms(request.uri, request.trigger)
            if delay:
                await asyncio.sleep(delay / 1000)
            if cancel.cancelled:
                return done([], "superseded")

        built = await self._build(request, analysis)
        info.context_items, info.context_tokens = len(built.anchor.context), built.anchor.context_tokens
        info.context_report = list(built.anchor.context_report)
        info.context_ms = built.anchor.context_ms if not built.reused_anchor else 0.0
        info.prompt_text = built.prompt.text
        info.heal = built.prompt.heal  # what the prompt actually cut (a trailing space or indent too)
        info.extra_layout = "typed-middle" if built.reused_anchor else ("shrunk" if built.shrunk else "full")
        max_tokens = s.max_tokens if analysis.mode == "block" else min(s.max_tokens, s.max_line_tokens)
        if request.trigger == "automatic" and built.new_tokens is not None:
            # Generate only what fits the budget after the prompt: a 64-token block takes ~1.8 s
            # on 2 cores, and a user still typing would rather see its first lines in time.
            # Invoked requests (the user asked) get the full length.
            spent_ms = (time.perf_counter() - t0) * 1000
            max_tokens = self.speed.affordable_gen_tokens(s.latency_budget_ms - spent_ms, built.new_tokens,
                                                          max_tokens, MIN_AUTOMATIC_TOKENS)
        gen = GenerationRequest(
            prompt=built.prompt,
            max_tokens=max_tokens,
            temperature=s.temperature,
            deadline=time.monotonic() + s.deadline_ms / 1000,
            should_stop=stop_rule(built.post),
            request_id=request.request_id,
            seed=s.seed,
            n=max(1, s.candidates),
            branch_min_prob=s.candidate_min_prob,
            branch_budget_ms=s.candidate_budget_ms,
            members=_member_rule(request, built.anchor),
        )
        # The KV cache starts holding this prompt as soon as evaluation starts, so the anchor
        # is valid for the next keystroke even if this request is cancelled half-way.
        self._anchors[request.uri] = built.anchor
        self._remember_prompt(built.prompt.text)
        try:
            result = await self.backend.generate(gen, cancel)
        except ModelUnavailable as exc:
            return done([], f"model unavailable: {exc}")
        except RuntimeBackendError as exc:
            log.warning("generation failed: %s", exc)
            self._kv_prompts.clear()
            return done([], f"backend error: {exc}")
        except asyncio.CancelledError:
            cancel.cancel("request cancelled")
            info.stop_reason = "cancelled"
            done([], "cancelled")
            raise
        self._record(result, built, info)
        items: list[Suggestion] = []
        if result.stop_reason != "cancelled":
            if result.stop_reason in ("length", "deadline") and analysis.mode == "block" and "\n" in result.text.strip():
                result.text = result.text[: result.text.rstrip().rfind("\n")]  # the last line was cut off mid-way
            ranked = await asyncio.to_thread(finish_candidates, result, built.post, info)
            items = [Suggestion(new_completion_id(), c.text, c.mean_logprob, c.score) for c in ranked]
        if items and s.cache:
            self.cache.put(request.uri, fingerprint, request.prefix, request.suffix, [i.text for i in items],
                           [i.id for i in items], built.anchor.context_paths)
        self._remember(request, items, info)
        if built.shrunk and not cancel.cancelled:
            self._schedule_warm(request, analysis)
        response = done(items)
        log.debug(
            "completion %s: %s, %s prompt %d tokens (%d evaluated), %d generated, %.0f ms",
            request.request_id, result.stop_reason, info.extra_layout, result.prompt_tokens,
            result.prompt_tokens_evaluated, result.tokens, info.total_ms,
        )
        return response

    def _record(self, result: GenerationResult, built: _Built, info: CompletionInfo) -> None:
        info.model, info.backend = result.model, result.backend
        info.stop_reason = result.stop_reason
        info.prompt_tokens, info.prompt_tokens_evaluated = result.prompt_tokens, result.prompt_tokens_evaluated
        info.generated_tokens = result.tokens
        info.prompt_ms, info.generate_ms = result.prompt_ms, result.generate_ms
        info.raw_text = result.text
        info.mean_logprob = result.mean_logprob
        if result.backend == "local":  # the speed model sizes local prompts; a GPU server's pace would mislead it
            self.speed.observe(result.prompt_tokens_evaluated, result.prompt_ms, result.tokens, result.generate_ms)

    def _remember(self, request: Request, items: list[Suggestion], info: CompletionInfo) -> None:
        for item in items:
            self.recent[item.id] = Shown(request, item.text, info)
        while len(self.recent) > RECENT_LIMIT:
            self.recent.popitem(last=False)

    # -- prompt building ---------------------------------------------------------------------
    async def _build(self, request: Request, analysis: Analysis, *, full: bool = False) -> _Built:
        """Reuse the document's anchor when only typing happened; else build one, sized to the budget."""
        s = self.settings
        template = get_template(self.family())
        path = relative_path(request.path, request.workspace_folders) if request.path else ""
        repo = os.path.basename(request.workspace_folders[0].rstrip("/")) if request.workspace_folders else ""
        # Sliced from the text (`request.prefix`/`.suffix` copy all of it; post_context takes the prefix once).
        text, offset = request.text, request.offset
        post = post_context(request, text[max(0, offset - 4000):offset], text[offset:offset + 4000], analysis.mode, s)

        def render(anchor: Anchor, middle: str, heal: str) -> Prompt:
            return template.prompt(anchor.prefix, anchor.suffix, path=path, repo=repo, context=anchor.context,
                                   language=request.language, heal=heal, middle_start=middle)

        anchor = self._anchors.get(request.uri)
        member = member_key(request.line_prefix)
        if anchor is not None and member and anchor.member != member:
            anchor = None  # a new `name.`: its member context is looked for once (`_new_anchor`)
        if anchor is not None and s.typed_middle and not full:
            typed = typed_since(anchor, request.text, request.offset)
            split = middle_and_heal(anchor, typed, _heal_text(request, analysis)) if typed is not None else None
            if split is not None:
                prompt = render(anchor, *split)
                cost = self._cost(prompt)
                if self._affordable(cost):
                    return _Built(prompt, replace(post, suffix=anchor.suffix), anchor, True, False, cost)

        prefix_budget, context_budget = s.prefix_tokens, self.context_settings.budget_tokens
        for attempt in range(3):
            anchor = await self._new_anchor(request, analysis, prefix_budget, context_budget, member)
            prompt = render(anchor, "", anchor.heal)
            cost = None if full else self._cost(prompt)
            if full or attempt == 2 or self._affordable(cost):
                return _Built(prompt, replace(post, suffix=anchor.suffix), anchor, False, attempt > 0, cost)
            # Too slow to evaluate cold within the latency budget: drop context first, then prefix.
            affordable = self.speed.affordable_eval_tokens(s.latency_budget_ms, EXPECTED_GEN_TOKENS)
            # Halve both: the best-scored context (a signature the cursor needs) is small and
            # survives; dropping context outright cost the cross-file e2e case its answer.
            context_budget //= 2
            prefix_budget = max(MIN_PREFIX_TOKENS, min(prefix_budget // 2, affordable - s.suffix_tokens))
        raise AssertionError("unreachable")

    async def _new_anchor(self, request: Request, analysis: Analysis, prefix_budget: int, context_budget: int,
                          member: str) -> Anchor:
        """A prompt anchor at the cursor; `member` is the `name.` being completed ("" if none)."""
        s = self.settings
        count = self.backend.count_tokens
        window = cut_window(request.text, request.offset, prefix_budget, s.suffix_tokens, count)
        heal = _heal_text(request, analysis)
        heal = heal if window.prefix.endswith(heal) else ""
        prefix = window.prefix[: len(window.prefix) - len(heal)] if heal else window.prefix
        ctx = ContextResult()
        t_ctx = time.perf_counter()
        sticky = self._sticky_context(request, context_budget)
        if sticky is not None and (not member or sticky.member == member):
            ctx = sticky
        elif self.context is not None and self.context_settings.enabled and context_budget > 0:
            try:
                ctx = await self.context.gather(request, context_budget, count)
            except (OSError, ValueError, RuntimeError, sqlite3.Error) as exc:  # context is an extra: never fatal
                log.warning("context gathering failed: %s", exc)
            if sticky is not None and ctx.member != member:
                # Nothing specific to this `name.`: the kept context keeps the KV cache valid.
                ctx = replace(sticky, members=ctx.members)
        paths = ctx.paths or frozenset(f.path for f in ctx.files)
        return Anchor(offset=request.offset, before=request.prefix, after=request.suffix, prefix=prefix,
                      suffix=window.suffix, heal=heal, context=ctx.files, context_paths=paths,
                      context_tokens=ctx.tokens, context_report=ctx.report,
                      context_ms=(time.perf_counter() - t_ctx) * 1000, member=member,
                      context_member=ctx.member, members=ctx.members if member else frozenset())

    def _sticky_context(self, request: Request, context_budget: int) -> ContextResult | None:
        """The document's previous context, if the cursor stayed within `context.stickyLines` of it.

        Context comes first in the prompt, so a context that changes with every cursor move
        throws away the whole KV cache (and a saved KV state of this file) even when the user
        only moved down a few lines. Kept near its origin, only the prompt's tail changes.
        Anchors whose context files changed are dropped by `context_changed`, so a kept
        context is never stale; one that holds a window of this very file is not kept (the
        cursor may have moved into it).
        """
        lines = self.context_settings.sticky_lines
        prev = self._anchors.get(request.uri)
        if lines <= 0 or prev is None or not prev.context or not self.context_settings.enabled:
            return None
        if prev.context_tokens > context_budget or abs(request.prefix.count("\n") - prev.before.count("\n")) > lines:
            return None
        own = relative_path(request.path, request.workspace_folders) if request.path else ""
        if own and any(f.path == own for f in prev.context):
            return None
        return ContextResult(files=prev.context, tokens=prev.context_tokens, paths=prev.context_paths,
                             report=tuple(f"{line} (kept)" for line in prev.context_report),
                             member=prev.context_member,
                             members=prev.members if prev.member == prev.context_member else frozenset())

    def _cost(self, prompt: Prompt) -> int | None:
        """Prompt tokens the backend will have to evaluate (an estimate: what its KV cache lacks);
        None when no latency budget applies (remote backend, or the budget is off)."""
        if self.backend.name != "local" or self.settings.latency_budget_ms <= 0:
            return None
        common = max((common_prefix_len(prompt.text, held) for held in self._kv_prompts), default=0)
        return self.backend.count_tokens(prompt.text[common:]) if common < len(prompt.text) else 1

    def _affordable(self, cost: int | None) -> bool:
        """Would evaluating that many prompt tokens fit the latency budget?"""
        return cost is None or self.speed.expected_ms(cost, EXPECTED_GEN_TOKENS) <= self.settings.latency_budget_ms

    def _remember_prompt(self, text: str) -> None:
        """Track the prompts whose KV the backend holds: the same prompt evolved replaces its older self."""
        kept = [held for held in self._kv_prompts
                if common_prefix_len(text, held) < 0.9 * min(len(text), len(held))]
        self._kv_prompts = (kept + [text])[-_KV_PROMPTS:]

    def _schedule_warm(self, request: Request, analysis: Analysis) -> None:
        """After a shrunk answer, evaluate the full-size prompt in the background (no generation)
        so the next keystroke on this line finds it in the KV cache. Any new request cancels it."""
        if self.backend.name != "local":
            return
        self._cancel_warm()
        cancel = CancelToken()
        self._warm_cancel = cancel

        async def warm() -> None:
            built = await self._build(request, analysis, full=True)
            if cancel.cancelled:
                return
            result = await self.backend.generate(GenerationRequest(prompt=built.prompt, max_tokens=0), cancel)
            if result.stop_reason == "length" and not cancel.cancelled:
                self._anchors[request.uri] = built.anchor
                self._remember_prompt(built.prompt.text)
                log.debug("warmed %d prompt tokens (%d evaluated) for %s", result.prompt_tokens,
                          result.prompt_tokens_evaluated, request.uri)

        self._warm = asyncio.get_running_loop().create_task(warm())
