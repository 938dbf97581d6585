"""In-process llama.cpp backend (llama-cpp-python) with one inference thread.

Why our own decode loop instead of `Llama.create_completion`: we need to stop
between tokens when the editor cancels or a newer keystroke supersedes the
request, to interrupt prompt evaluation between chunks, to constrain the first
tokens for token healing, to read each token's log-probability for ranking and
the acceptance filter, and to count exactly how many prompt tokens were
evaluated versus reused from the KV cache. `Llama.eval` / `tokenize` /
`detokenize` give us all of that; a llama context is not thread-safe, so every
call into it happens on the single worker thread.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from runtime import registry
from runtime.backend import BackendStatus, CancelToken, GenerationRequest, GenerationResult, Prompt
from runtime.config import LocalModelSettings
from runtime.errors import ModelUnavailable, RuntimeBackendError

log = logging.getLogger(__name__)
HEAL_CANDIDATES = 4096  # top-logit tokens searched for one consistent with the healed text


def default_threads() -> int:
    return max(1, min(8, os.cpu_count() or 2))


class LlamaCppBackend:
    """A local GGUF model. Loading happens on the worker thread, in the background."""

    name = "local"

    def __init__(self, settings: LocalModelSettings) -> None:
        self.settings = settings
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="tabstop-llama")
        self._llm: Any = None
        self._load: concurrent.futures.Future[None] | None = None
        self._status = BackendStatus("loading", "model not loaded yet")
        self._model_name = settings.name
        self._model_path: Path | None = None
        self._pieces: dict[int, bytes] = {}
        self._bos: list[int] = []
        self.metadata: dict[str, str] = {}

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def model_name(self) -> str:
        return self._model_name

    @property
    def status(self) -> BackendStatus:
        return self._status

    @property
    def model_path(self) -> Path | None:
        return self._model_path

    def start_loading(self) -> concurrent.futures.Future[None]:
        """Begin loading on the worker thread (idempotent); the event loop never waits for it."""
        if self._load is None:
            self._load = self._executor.submit(self._load_sync)
        return self._load

    async def ensure_loaded(self) -> None:
        await asyncio.wrap_future(self.start_loading())

    def load_blocking(self) -> None:
        """For the CLI: load now and raise ModelUnavailable on failure."""
        self.start_loading().result()

    def _load_sync(self) -> None:
        from llama_cpp import Llama  # deferred: importing loads the native library

        t0 = time.perf_counter()
        try:
            path, spec = registry.resolve(self.settings.name, verify_hash=self.settings.verify_hash_on_load)
        except ModelUnavailable as exc:
            self._status = BackendStatus("error", str(exc))
            raise
        threads = self.settings.n_threads or default_threads()
        try:
            self._llm = Llama(
                model_path=str(path),
                n_ctx=self.settings.n_ctx,
                n_batch=self.settings.n_batch,
                n_ubatch=self.settings.n_batch,
                n_threads=threads,
                n_threads_batch=threads,
                n_gpu_layers=self.settings.n_gpu_layers,
                logits_all=False,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            self._status = BackendStatus("error", f"could not load {path}: {exc}")
            raise ModelUnavailable(self._status.message) from exc
        self._model_path = path
        self._model_name = spec.name if spec else path.stem
        self.metadata = dict(self._llm.metadata or {})
        self._bos = list(self._llm.tokenize(b"", add_bos=True, special=False))
        self._status = BackendStatus("ready", f"{self._model_name} loaded in {time.perf_counter() - t0:.1f}s")
        log.info("loaded %s (%d threads, n_ctx %d) in %.2fs", path, threads, self.settings.n_ctx, time.perf_counter() - t0)

    async def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    # -- tokens ----------------------------------------------------------------------------
    def count_tokens(self, text: str) -> int:
        if self._llm is None:
            return max(1, len(text) // 3)  # estimate until the vocabulary is loaded
        return len(self._llm.tokenize(text.encode("utf-8", "replace"), add_bos=False, special=False))

    def tokenize_prompt(self, prompt: Prompt) -> list[int]:
        """Control tokens of the template as specials; the user's code always as plain text.

        Tokenizing user code with special=True would let a file containing
        `<|fim_middle|>` inject control tokens into the prompt.
        """
        llm = self._llm
        tokens = list(self._bos)
        for text, special in prompt.segments or ((prompt.text, False),):
            if text:
                tokens += llm.tokenize(text.encode("utf-8", "replace"), add_bos=False, special=special)
        return tokens

    def _piece(self, token: int) -> bytes:
        piece = self._pieces.get(token)
        if piece is None:
            piece = self._llm.detokenize([token], special=False)
            self._pieces[token] = piece
        return piece

    def _logits(self) -> np.ndarray:
        n_vocab = self._llm.n_vocab()
        return np.ctypeslib.as_array(self._llm._ctx.get_logits(), shape=(n_vocab,)).copy()

    # -- generation ------------------------------------------------------------------------
    async def generate(self, request: GenerationRequest, cancel: CancelToken) -> GenerationResult:
        await self.ensure_loaded()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._generate_sync, request, cancel)

    def _result(self, reason: str, **kw: Any) -> GenerationResult:
        return GenerationResult(text=kw.pop("text", ""), stop_reason=reason, model=self._model_name, backend=self.name, **kw)

    def _generate_sync(self, request: GenerationRequest, cancel: CancelToken) -> GenerationResult:
        if cancel.cancelled:
            return self._result("cancelled")
        llm = self._llm
        t0 = time.perf_counter()
        tokens = self.tokenize_prompt(request.prompt)
        n_ctx = llm.n_ctx()
        if len(tokens) + request.max_tokens > n_ctx:
            raise RuntimeBackendError(f"prompt of {len(tokens)} tokens + {request.max_tokens} exceeds n_ctx {n_ctx}")

        # Reuse the longest common prefix with what the KV cache holds; always
        # re-evaluate at least the last token so that we have its logits.
        cached = llm.input_ids[: llm.n_tokens]
        common = 0
        for a, b in zip(cached, tokens):
            if a != b:
                break
            common += 1
        common = min(common, len(tokens) - 1) if self.settings.reuse_prefix else 0
        llm.n_tokens = common
        todo = tokens[common:]
        step = max(1, self.settings.n_batch)
        for i in range(0, len(todo), step):
            if cancel.cancelled or request.past_deadline():
                reason = "cancelled" if cancel.cancelled else "deadline"
                return self._result(reason, prompt_tokens=len(tokens), prompt_tokens_evaluated=i,
                                    prompt_ms=(time.perf_counter() - t0) * 1000)
            llm.eval(todo[i : i + step])
        prompt_ms = (time.perf_counter() - t0) * 1000
        log.debug("prompt: %d tokens, %d reused, %d evaluated in %.0f ms", len(tokens), common, len(todo), prompt_ms)

        t1 = time.perf_counter()
        rng = np.random.default_rng(request.seed)
        heal = request.prompt.heal.encode("utf-8")
        stops = request.prompt.stop
        out = bytearray()
        logprobs: list[float] = []
        text = ""
        reason = "length"
        logits = self._logits()
        for _ in range(request.max_tokens):
            if cancel.cancelled:
                reason = "cancelled"
                break
            if request.past_deadline():
                reason = "deadline"
                break
            token, logprob = self._pick(logits, bytes(out), heal, request.temperature, rng)
            if token is None:
                reason = "heal-failed"
                break
            piece = self._piece(token)
            if not piece:  # end-of-generation and other control tokens detokenize to nothing
                reason = "eos"
                break
            out += piece
            logprobs.append(logprob)
            text = out.decode("utf-8", "ignore")
            visible = text[len(request.prompt.heal):] if len(out) >= len(heal) else ""
            cut = _first_stop(visible, stops)
            if cut is not None:
                text, reason = request.prompt.heal + visible[:cut], "stop"
                break
            if request.should_stop and visible:
                cut = request.should_stop(visible)
                if cut is not None:
                    text, reason = request.prompt.heal + visible[:cut], "rule"
                    break
            llm.eval([token])
            logits = self._logits()
        gen_ms = (time.perf_counter() - t1) * 1000
        completion = text[len(request.prompt.heal):] if text.startswith(request.prompt.heal) else ""
        mean_lp = float(sum(logprobs) / len(logprobs)) if logprobs else None
        return self._result(
            reason, text=completion, tokens=len(logprobs), prompt_tokens=len(tokens),
            prompt_tokens_evaluated=len(todo), mean_logprob=mean_lp, prompt_ms=prompt_ms, generate_ms=gen_ms,
        )

    def _pick(self, logits: np.ndarray, out: bytes, heal: bytes, temperature: float,
              rng: np.random.Generator) -> tuple[int | None, float]:
        """Choose the next token: greedy or sampled, constrained while healing is pending."""
        m = float(logits.max())
        logz = m + math.log(float(np.exp(logits - m).sum()))
        need = heal[len(out):] if len(out) < len(heal) else b""
        if not need:
            if temperature <= 0:
                tok = int(logits.argmax())
            else:
                scaled = (logits - m) / temperature
                p = np.exp(scaled - scaled.max())
                tok = int(rng.choice(len(p), p=p / p.sum()))
            return tok, float(logits[tok] - logz)
        top = np.argpartition(-logits, HEAL_CANDIDATES)[:HEAL_CANDIDATES]
        top = top[np.argsort(-logits[top])]
        allowed = [int(t) for t in top if _consistent(self._piece(int(t)), need)]
        if not allowed:
            return None, 0.0
        if temperature <= 0:
            tok = allowed[0]
        else:
            sub = logits[allowed] / temperature
            p = np.exp(sub - sub.max())
            tok = int(allowed[int(rng.choice(len(allowed), p=p / p.sum()))])
        return tok, float(logits[tok] - logz)


def _consistent(piece: bytes, need: bytes) -> bool:
    """A token fits the healed text if it is a prefix of what is missing or covers all of it."""
    return bool(piece) and (need.startswith(piece) or piece.startswith(need))


def _first_stop(text: str, stops: tuple[str, ...]) -> int | None:
    hits = [i for s in stops if s and (i := text.find(s)) >= 0]
    return min(hits) if hits else None
