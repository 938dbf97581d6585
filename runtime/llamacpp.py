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
import bisect
import concurrent.futures
import contextlib
import ctypes
import io
import logging
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from runtime import registry
from runtime.backend import (
    BackendStatus, CancelToken, GenerationCandidate, GenerationRequest, GenerationResult, Prompt,
)
from runtime.config import LocalModelSettings
from runtime.errors import ModelUnavailable, RuntimeBackendError
from runtime.healing import missing, strip_heal
from runtime.kvstates import KvStateCache, SavedState, common_prefix
from runtime.members import MemberRule, ends_name

log = logging.getLogger(__name__)

_MIN_RESTORE_GAIN = 32  # tokens a saved state must save over the live cache to be worth a restore (~0.2 s)


_LLAMA_LOG_CALLBACK = None  # the ctypes callback must outlive every call into llama.cpp


def _route_llama_logs() -> None:
    """Send llama.cpp's own log lines to Python logging (warnings and errors), never to fd 1 or 2 directly."""
    global _LLAMA_LOG_CALLBACK
    if _LLAMA_LOG_CALLBACK is not None:
        return
    try:
        import ctypes

        import llama_cpp
    except ImportError:
        return
    native = logging.getLogger("llama.cpp")

    @llama_cpp.llama_log_callback
    def callback(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        if level in (3, 4):  # ggml.h: NONE 0, DEBUG 1, INFO 2, WARN 3, ERROR 4, CONT 5
            native.log(logging.INFO if level == 3 else logging.ERROR, "%s",  # its warnings are model trivia
                       text.decode("utf-8", "replace").rstrip())

    _LLAMA_LOG_CALLBACK = callback
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))


def default_threads() -> int:
    """One thread per physical core this process may run on, at most 8. Hyper-threads share a core's
    vector units: llama.cpp gains nothing from a second thread per core and the editor loses the core
    (`os.cpu_count()` alone gave 8 threads on a 4-core/8-thread laptop)."""
    logical = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2)
    physical = physical_cores()
    return max(1, min(8, logical, physical or logical))


def physical_cores() -> int | None:
    """Physical cores of this machine — on Apple Silicon the performance cores — or None when unknown."""
    if sys.platform == "darwin":
        for key in ("hw.perflevel0.physicalcpu", "hw.physicalcpu"):
            try:
                out = subprocess.run(["sysctl", "-n", key], capture_output=True, text=True, timeout=2).stdout
            except (OSError, subprocess.SubprocessError):
                continue
            if out.strip().isdigit():
                return int(out.strip())
        return None
    try:
        return cores_in_cpuinfo(Path("/proc/cpuinfo").read_text())
    except OSError:
        return None


def cores_in_cpuinfo(text: str) -> int | None:
    """Distinct (physical id, core id) pairs of a Linux /proc/cpuinfo; None where it does not say (ARM)."""
    cores: set[tuple[str, str]] = set()
    package = core = ""
    for line in text.splitlines() + [""]:
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "physical id":
            package = value.strip()
        elif key == "core id":
            core = value.strip()
        elif not line.strip():
            if core:
                cores.add((package, core))
            package = core = ""
    return len(cores) or None


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
        self._sorted_pieces: list[bytes] | None = None  # vocabulary index for healing (built once)
        self._sorted_ids: np.ndarray | None = None
        self._by_piece: dict[bytes, list[int]] = {}
        self._ender_ids: np.ndarray | None = None  # tokens starting with a byte that ends a name (members rule)
        self.metadata: dict[str, str] = {}
        self._kv_states = KvStateCache(settings.kv_states, settings.kv_state_max_mb * 2**20)

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

        _route_llama_logs()

        t0 = time.perf_counter()
        try:
            path, spec = registry.resolve(self.settings.name, verify_hash=self.settings.verify_hash_on_load)
        except ModelUnavailable as exc:
            self._status = BackendStatus("error", str(exc))
            raise
        threads = self.settings.n_threads or default_threads()
        try:
            # verbose=True (see below) also makes llama-cpp-python print() its metadata to sys.stderr; that
            # Python-level stream is swapped for the load only (file descriptors and log handlers untouched).
            chatter = io.StringIO()
            with contextlib.redirect_stderr(chatter):
                self._llm = Llama(
                    model_path=str(path),
                    n_ctx=self.settings.n_ctx,
                    n_batch=self.settings.n_batch,
                    n_ubatch=self.settings.n_batch,
                    n_threads=threads,
                    n_threads_batch=threads,
                    n_gpu_layers=self.settings.n_gpu_layers,
                    logits_all=False,
                    # verbose=False makes llama-cpp-python dup2 fd 1 and 2 to /dev/null while it loads;
                    # in `tabstop serve` fd 1 is the LSP channel, so any message another thread sent
                    # meanwhile (index progress, logs) was silently lost. Keep the fds; its log lines go
                    # through _route_llama_logs instead.
                    verbose=True,
                )
            log.debug("llama-cpp-python load output: %d characters", len(chatter.getvalue()))
        except (ValueError, RuntimeError, OSError) as exc:
            self._status = BackendStatus("error", f"could not load {path}: {exc}")
            raise ModelUnavailable(self._status.message) from exc
        self._model_path = path
        self._model_name = spec.name if spec else path.stem
        self.metadata = dict(self._llm.metadata or {})
        self._bos = list(self._llm.tokenize(b"", add_bos=True, special=False))
        self._build_vocab_index()
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
        cached = llm.input_ids[: llm.n_tokens].tolist()
        common = common_prefix(cached, tokens)
        restored = 0
        if self.settings.reuse_prefix:
            common, restored = self._switch_kv_state(cached, tokens, common)
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
        log.debug("prompt: %d tokens, %d reused (%d from a saved KV state), %d evaluated in %.0f ms",
                  len(tokens), common, restored, len(todo), prompt_ms)

        rng = np.random.default_rng(request.seed)
        first_logits = self._logits()
        main = self._decode(first_logits, None, request, cancel, rng)
        alternatives: list[GenerationCandidate] = []
        if request.n > 1 and main.first_token is not None and main.reason not in ("cancelled", "deadline"):
            budget_end = time.monotonic() + request.branch_budget_ms / 1000 if request.branch_budget_ms > 0 else None
            for token, prob in self._branch_tokens(first_logits, request, main.first_token):
                if cancel.cancelled or request.past_deadline() or (budget_end is not None and time.monotonic() >= budget_end):
                    break
                llm.n_tokens = len(tokens)  # rewind to the end of the prompt: the KV cache is kept up to here
                run = self._decode(first_logits, token, request, cancel, rng, until=budget_end)
                if run.reason in ("cancelled", "deadline", "budget"):
                    break  # an alternative cut short is unfinished code: not worth showing
                alternatives.append(GenerationCandidate(
                    text=run.text, stop_reason=run.reason, tokens=len(run.logprobs), mean_logprob=run.mean_logprob,
                    first_prob=prob, generate_ms=run.ms))
        return self._result(
            main.reason, text=main.text, tokens=len(main.logprobs), prompt_tokens=len(tokens),
            prompt_tokens_evaluated=len(todo), mean_logprob=main.mean_logprob, prompt_ms=prompt_ms,
            generate_ms=main.ms + sum(a.generate_ms for a in alternatives), alternatives=alternatives,
        )

    # -- saved KV states (switching files) ---------------------------------------------------
    def _switch_kv_state(self, cached: list[int], tokens: list[int], common: int) -> tuple[int, int]:
        """Save the live KV state if this prompt discards much of it; restore a saved one that fits better.

        Returns the new common prefix with the KV cache and how many of those tokens a
        restore brought back (0: none). A failed copy only costs the reuse: the cache is
        then treated as empty and the prompt is evaluated in full.
        """
        states = self._kv_states
        if states.max_states <= 0:
            return common, 0
        saved, shared = states.best(tokens)
        restore = saved is not None and shared >= common + _MIN_RESTORE_GAIN
        if states.worth_saving(cached, common):
            t0 = time.perf_counter()
            data = self._get_seq_state(len(cached))
            if data:
                states.put(SavedState(tuple(cached), data))
                log.debug("saved KV state of %d tokens (%.1f MB) in %.1f ms; %d states, %.0f MB",
                          len(cached), len(data) / 2**20, (time.perf_counter() - t0) * 1000,
                          len(states), states.total_bytes / 2**20)
        if not restore:
            return common, 0
        t0 = time.perf_counter()
        if not self._set_seq_state(saved.data, saved.tokens):
            return 0, 0
        log.debug("restored KV state of %d tokens (%d shared with the prompt) in %.1f ms",
                  len(saved.tokens), shared, (time.perf_counter() - t0) * 1000)
        return shared, shared

    def _get_seq_state(self, n_tokens: int) -> bytes:
        import llama_cpp

        llm = self._llm
        llm._ctx.kv_cache_seq_rm(0, n_tokens, -1)  # cells past n_tokens (rewound alternatives) are not this prompt
        ctx = llm._ctx.ctx
        size = llama_cpp.llama_state_seq_get_size(ctx, 0)
        if size <= 0 or size > self._kv_states.max_bytes:
            return b""
        buf = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(ctx, buf, size, 0)
        return ctypes.string_at(buf, written) if 0 < written <= size else b""

    def _set_seq_state(self, data: bytes, tokens: tuple[int, ...]) -> bool:
        import llama_cpp

        llm = self._llm
        buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        if llama_cpp.llama_state_seq_set_data(llm._ctx.ctx, buf, len(data), 0) == 0:
            log.warning("could not restore a saved KV state of %d tokens; evaluating the prompt in full", len(tokens))
            llm._ctx.kv_cache_seq_rm(0, 0, -1)
            llm.n_tokens = 0
            self._kv_states.clear()
            return False
        llm.input_ids[: len(tokens)] = tokens
        llm.n_tokens = len(tokens)
        return True

    def _decode(self, logits: np.ndarray, forced: int | None, request: GenerationRequest, cancel: CancelToken,
                rng: np.random.Generator, until: float | None = None) -> "_Run":
        """Generate one completion from the current KV state whose next-token logits are `logits`.

        `forced` fixes the first token (branching); `until` (monotonic) bounds an
        alternative by the candidate budget. The healed text is stripped from
        the result, and stop rules see only what follows it.
        """
        llm = self._llm
        t1 = time.perf_counter()
        heal_text = request.prompt.heal
        heal = heal_text.encode("utf-8")
        stops = request.prompt.stop
        out = bytearray()
        run = _Run()
        text = ""
        run.reason = "length"
        for step in range(request.max_tokens):
            if cancel.cancelled:
                run.reason = "cancelled"
                break
            if request.past_deadline():
                run.reason = "deadline"
                break
            if until is not None and time.monotonic() >= until:
                run.reason = "budget"
                break
            if step == 0 and forced is not None:
                token, logprob = forced, _logprob(logits, forced)
            else:
                token, logprob = self._pick(logits, bytes(out), heal, request.temperature, rng, request.members)
            if token is None:
                run.reason = "heal-failed"
                break
            if step == 0:
                run.first_token = token
            piece = self._piece(token)
            if not piece:  # end-of-generation and other control tokens detokenize to nothing
                run.reason = "eos"
                break
            out += piece
            run.logprobs.append(logprob)
            text = out.decode("utf-8", "ignore")
            visible = text[len(heal_text):] if len(out) >= len(heal) else ""
            cut = _first_stop(visible, stops)
            if cut is not None:
                text, run.reason = heal_text + visible[:cut], "stop"
                break
            if request.should_stop and visible:
                cut = request.should_stop(visible)
                if cut is not None:
                    text, run.reason = heal_text + visible[:cut], "rule"
                    break
            llm.eval([token])
            logits = self._logits()
        run.ms = (time.perf_counter() - t1) * 1000
        run.text = strip_heal(text, heal_text) or ""
        return run

    def _branch_tokens(self, logits: np.ndarray, request: GenerationRequest, taken: int) -> list[tuple[int, float]]:
        """First tokens for alternative candidates, most likely first.

        While healing, only tokens that cover the whole healed text count: a
        token that covers part of it would mostly re-converge on the same text.
        Probabilities are renormalized over the tokens the constraint allows.
        """
        need = request.prompt.heal.encode("utf-8")
        ids = self._allowed(need) if need else np.arange(len(logits))
        sub = logits[ids]
        p = np.exp(sub - sub.max())
        p /= p.sum()
        order = np.argsort(-p)[: 8 * max(1, request.n)]
        picked: list[tuple[int, float]] = []
        for j in order:
            token, prob = int(ids[j]), float(p[j])
            if prob < request.branch_min_prob or len(picked) >= request.n - 1:
                break
            piece = self._piece(token)
            if token == taken or not piece or (need and not piece.startswith(need)):
                continue
            if request.members is not None and not self._member_ok(request.members, b"", need, token):
                continue
            picked.append((token, prob))
        return picked

    def _pick(self, logits: np.ndarray, out: bytes, heal: bytes, temperature: float,
              rng: np.random.Generator, members: MemberRule | None = None) -> tuple[int | None, float]:
        """Choose the next token: greedy or sampled, constrained while healing is pending
        and while a member name with a known set of values is being written."""
        need = missing(out, heal)
        if need:
            ids = self._allowed(need)
            if len(ids) == 0:
                return None, 0.0
            sub = logits[ids]
        else:
            ids, sub = None, logits
        if members is not None and members.open(_visible(out, heal)):
            valid = self._member_ids(members, out, heal)
            if len(valid):  # (none: the vocabulary cannot spell any of the names; decode freely)
                ids, sub = valid, logits[valid]
        if temperature <= 0:
            j = int(sub.argmax())
        else:
            scaled = (sub - sub.max()) / temperature
            p = np.exp(scaled)
            j = int(rng.choice(len(p), p=p / p.sum()))
        token = j if ids is None else int(ids[j])
        return token, _logprob(logits, token)

    def _member_ids(self, members: MemberRule, out: bytes, heal: bytes) -> np.ndarray:
        """Token ids that keep the text on the way to one of the names (and the healed text).

        For each name the text can still become, the bytes still to write are the rest of
        the heal plus the rest of the name: a token may be any prefix of those bytes, or
        those bytes followed by something that ends a name (`Client(`). Looked up in the
        sorted vocabulary like healing does, so no step scans 150k tokens.
        """
        if self._sorted_pieces is None:
            self._build_vocab_index()
        need = missing(out, heal)
        parts: list[np.ndarray] = []
        for rest in members.continuations(_visible(out, heal)):
            target = need + rest.encode("utf-8")
            parts += self._prefix_ids(target)
            parts.append(self._ending_after(target))
        return np.unique(np.concatenate(parts)) if parts else np.array([], dtype=np.int64)

    def _ending_after(self, prefix: bytes) -> np.ndarray:
        """Tokens that spell `prefix` and then a byte that ends a name (`(`, ` =`, `.`, `\n` ...)."""
        if not prefix and self._ender_ids is not None:
            return self._ender_ids
        lo, hi = self._span(prefix)
        n = len(prefix)
        ids = self._sorted_ids[[j for j in range(lo, hi)
                                if len(self._sorted_pieces[j]) > n and ends_name(self._sorted_pieces[j][n])]]
        if not prefix:
            self._ender_ids = ids
        return ids

    def _member_ok(self, members: MemberRule, out: bytes, heal: bytes, token: int) -> bool:
        piece = self._piece(token)
        if not piece:  # end of generation: only after a whole name
            return members.allows(_visible(out, heal), ended=True)
        after = out + piece
        if len(after) < len(heal):
            return True  # still inside the healed text, which healing already constrains
        return members.allows(_visible(after, heal))

    # -- vocabulary index for healing -------------------------------------------------------
    def _build_vocab_index(self) -> None:
        """Every token's bytes, sorted, so that "tokens consistent with X" is two lookups.

        Built once per model (about a second for a 150k vocabulary). Control
        tokens detokenize to nothing and are left out, so they never heal.
        """
        t0 = time.perf_counter()
        pieces = [(self._llm.detokenize([i], special=False), i) for i in range(self._llm.n_vocab())]
        pieces = [(b, i) for b, i in pieces if b]
        pieces.sort()
        self._sorted_pieces = [b for b, _ in pieces]
        self._sorted_ids = np.array([i for _, i in pieces], dtype=np.int64)
        by_piece: dict[bytes, list[int]] = {}
        for b, i in pieces:
            by_piece.setdefault(b, []).append(i)
        self._by_piece = by_piece
        log.debug("vocabulary index: %d tokens in %.0f ms", len(pieces), (time.perf_counter() - t0) * 1000)

    def _allowed(self, need: bytes) -> np.ndarray:
        """Token ids consistent with `need` (runtime.healing.consistent), from the sorted vocabulary."""
        if self._sorted_pieces is None:
            self._build_vocab_index()
        lo, hi = self._span(need)
        return np.concatenate([self._sorted_ids[lo:hi]] + self._prefix_ids(need[:-1]))

    def _span(self, prefix: bytes) -> tuple[int, int]:
        """Where the pieces that start with `prefix` lie in the sorted vocabulary."""
        lo = bisect.bisect_left(self._sorted_pieces, prefix)
        upper = _successor(prefix)
        return lo, len(self._sorted_pieces) if upper is None else bisect.bisect_left(self._sorted_pieces, upper)

    def _prefix_ids(self, data: bytes) -> list[np.ndarray]:
        """Ids of the tokens whose whole piece is a non-empty prefix of `data` (`data` itself included)."""
        return [np.array(ids, dtype=np.int64) for k in range(1, len(data) + 1) if (ids := self._by_piece.get(data[:k]))]


class _Run:
    """One decoded candidate (internal)."""

    __slots__ = ("text", "reason", "logprobs", "first_token", "ms")

    def __init__(self) -> None:
        self.text = ""
        self.reason = ""
        self.logprobs: list[float] = []
        self.first_token: int | None = None
        self.ms = 0.0

    @property
    def mean_logprob(self) -> float | None:
        return float(sum(self.logprobs) / len(self.logprobs)) if self.logprobs else None


def _visible(out: bytes, heal: bytes) -> str:
    """The generated text after the healed part (what follows the cursor)."""
    return out[len(heal):].decode("utf-8", "ignore") if len(out) >= len(heal) else ""


def _logprob(logits: np.ndarray, token: int) -> float:
    m = float(logits.max())
    return float(logits[token] - m - math.log(float(np.exp(logits - m).sum())))


def _successor(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string that starts with `prefix`."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])


def _first_stop(text: str, stops: tuple[str, ...]) -> int | None:
    hits = [i for s in stops if s and (i := text.find(s)) >= 0]
    return min(hits) if hits else None
