"""What every HTTP backend shares: the streaming loop, stop rules, healing, cancellation, errors.

A concrete backend (llamacpp_server, openai, ollama) only says which path to
POST, what body to send, and how to read one streamed message into a `Chunk`.

Token healing on a server: a remote server cannot be told "the first tokens must
spell `sel`" (llama.cpp could with a grammar, which is sent only with a member rule:
`member_grammar`; OpenAI-compatible servers and Ollama cannot), so we do it on the client: send the prompt cut before the partial
word and accept the stream only while it agrees with the cut text. If the model
goes elsewhere, we close that stream and ask once more with the uncut prompt (no
healing) — the same answer the server would have given without healing, one
round-trip later. With a KV-caching server (llama.cpp `cache_prompt`, vLLM prefix
caching) the second request re-evaluates only the few tokens after the cut.

Never raises for a server problem: it logs one line (secrets redacted) and returns
an empty result with stop_reason "error"; the resilient wrapper counts those.
"""
from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

from runtime.backend import BackendStatus, CancelToken, GenerationRequest, GenerationResult, Prompt
from runtime.config import RemoteSettings
from runtime.errors import RemoteConfigError, RemoteError, RemoteStreamError
from runtime.members import gbnf
from runtime.remote.security import Redactor, check_url, resolve_api_key, secrets_of
from runtime.remote.transport import DeadlineReached, Event, Transport

log = logging.getLogger(__name__)
CANCEL_POLL_S = 0.02  # the cancel token is a threading.Event: look at it this often


@dataclass
class Chunk:
    """One streamed message, normalised. `finish` set: the server says generation ended."""

    text: str = ""
    logprobs: list[float] = field(default_factory=list)
    finish: str = ""  # eos | length | stop
    done: bool = False  # the stream's explicit end marker (OpenAI's [DONE])
    model: str = ""
    prompt_tokens: int | None = None
    prompt_tokens_evaluated: int | None = None
    completion_tokens: int | None = None
    prompt_ms: float | None = None


@dataclass
class _Run:
    """What one request has gathered so far (kept outside the task so cancel can report it)."""

    text: str = ""
    visible: str = ""
    logprobs: list[float] = field(default_factory=list)
    model: str = ""
    finish: str = ""
    pieces: int = 0
    prompt_tokens: int | None = None
    prompt_tokens_evaluated: int | None = None
    completion_tokens: int | None = None
    server_prompt_ms: float | None = None
    first_byte_at: float | None = None
    started: float = field(default_factory=time.perf_counter)

    def restart(self) -> None:
        """Forget the abandoned attempt (the unhealed retry starts from nothing)."""
        fresh = _Run()
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))


class _HealFailed(Exception):
    """The server's continuation of the cut prompt did not reproduce the healed text."""


class RemoteBackend:
    """Base class; subclasses set `name`, `framing`, and implement path/body/parse/probe_path."""

    name = "remote"
    framing = "sse"

    def __init__(self, settings: RemoteSettings) -> None:
        self.settings = settings
        self.metadata: dict[str, str] = {"general.name": settings.model}
        self.last_error = ""
        self._config_error = ""
        self._transport: Transport | None = None
        key = resolve_api_key(settings)
        self._redact = Redactor(secrets_of(settings, key))
        try:
            url, warnings = check_url(settings.url)
            for warning in warnings:
                log.warning("%s", warning)
            self._transport = Transport(settings, url, key, self._redact)
            self._status = BackendStatus("ready", f"{self.name} server at {url}")
        except RemoteConfigError as exc:
            self._config_error = str(exc)
            self._status = BackendStatus("error", self._config_error)
            log.error("remote backend: %s", exc)
        self.url = settings.url if not self._config_error else ""

    # -- what a subclass provides ------------------------------------------------------------
    def path(self, healed: bool) -> str:
        raise NotImplementedError

    def body(self, request: GenerationRequest, healed: bool) -> dict[str, Any]:
        raise NotImplementedError

    def parse(self, event: Event) -> Chunk:
        raise NotImplementedError

    probe_path = ""

    # -- shared by the bodies of servers that take a GBNF `grammar` ----------------------------
    def member_grammar(self, request: GenerationRequest, healed: bool) -> str | None:
        """The member rule as GBNF (runtime/members.py) when there is one and `remote.grammar` is on;
        a healed request's grammar starts with the healed text the server must reproduce."""
        if not self.settings.grammar or request.members is None:
            return None
        return gbnf(request.members, request.prompt.heal if healed else "")

    # -- Backend protocol --------------------------------------------------------------------
    @property
    def model_name(self) -> str:
        return self.settings.model or self.name

    @property
    def status(self) -> BackendStatus:
        return self._status

    @property
    def requests_sent(self) -> int:
        return self._transport.requests_sent if self._transport else 0

    def count_tokens(self, text: str) -> int:
        """An estimate (~3 characters per token for code); the server's tokenizer is remote."""
        return max(1, math.ceil(len(text) / 3))

    async def close(self) -> None:
        if self._transport is not None:
            await self._transport.aclose()

    async def probe(self) -> tuple[bool, str]:
        """Is the server answering? A cheap GET, used while falling back."""
        if self._transport is None:
            return False, self._config_error
        s = self.settings
        try:
            code, text = await self._transport.get(self.probe_path, s.connect_timeout_s + s.first_byte_timeout_s)
        except RemoteError as exc:
            return False, str(exc)
        return (200 <= code < 300), f"HTTP {code}"

    async def generate(self, request: GenerationRequest, cancel: CancelToken) -> GenerationResult:
        """Stream one completion; cancel closes the stream; never raises for server faults."""
        run = _Run()
        if self._transport is None:
            self.last_error = self._config_error
            return self._result("error", run)
        if cancel.cancelled:
            return self._result("cancelled", run)
        task = asyncio.ensure_future(self._generate(request, run))
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=CANCEL_POLL_S)
                if done:
                    return task.result()
                if cancel.cancelled:
                    task.cancel()
                    await asyncio.wait({task})  # closes the HTTP stream: the server stops generating
                    return self._result("cancelled", run)
        except asyncio.CancelledError:
            task.cancel()
            raise

    # -- the streaming loop ------------------------------------------------------------------
    async def _generate(self, request: GenerationRequest, run: _Run) -> GenerationResult:
        prompt = request.prompt
        total = self.settings.total_timeout_s
        deadline = time.monotonic() + total
        if request.deadline is not None:
            deadline = min(deadline, request.deadline)
        healed = bool(prompt.heal)
        if deadline <= time.monotonic():  # spent upstream (context gathering): not the server's fault
            return self._result("deadline", run)
        try:
            try:
                return await self._stream(request, run, deadline, healed)
            except _HealFailed:
                if not self._can_unheal(prompt) or time.monotonic() >= deadline:
                    return self._result("heal-failed", run)
                log.debug("remote: continuation did not match the healed text %r; asking without healing", prompt.heal)
                run.restart()
                return await self._stream(request, run, deadline, healed=False)
        except DeadlineReached:
            return self._result("deadline", run)
        except RemoteError as exc:
            self.last_error = self._redact(str(exc))
            log.error("%s server %s: %s", self.name, self.url, self.last_error)
            return self._result("error", run)
        except _HealFailed:
            return self._result("heal-failed", run)

    def _server_builds_prompt(self) -> bool:
        """The request carries prefix and suffix as fields and the server builds the FIM prompt
        (`useSuffixParam`; llama.cpp's /infill overrides this)."""
        return bool(getattr(self.settings, "use_suffix_param", False))

    def _can_unheal(self, prompt: Prompt) -> bool:
        """Can the healed text go back into the request? Always when the prefix is a field of its own
        (it is appended there); else only when prompt building rendered the unhealed prompt."""
        return self._server_builds_prompt() or bool(prompt.unhealed_text)

    async def _stream(self, request: GenerationRequest, run: _Run, deadline: float, healed: bool) -> GenerationResult:
        assert self._transport is not None
        prompt = request.prompt
        heal = prompt.heal if healed else ""
        events = self._transport.stream(self.path(healed), self.body(request, healed), deadline=deadline,
                                        framing=self.framing)
        try:
            async for event in events:
                if run.first_byte_at is None:
                    run.first_byte_at = time.perf_counter()
                if event.kind == "done":
                    break
                if event.kind == "error":
                    raise RemoteError(f"server error in stream: {_message(event.data)}")
                try:
                    chunk = self.parse(event)
                except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
                    raise RemoteStreamError(f"unexpected message {str(event.data)[:80]!r}: {exc}") from None
                self._absorb(run, chunk)
                if chunk.text:
                    reason = self._advance(request, run, chunk.text, heal)
                    if reason:
                        return self._result(reason, run)
                if chunk.done:
                    break
        finally:
            await events.aclose()
        if not run.finish:
            raise RemoteError("stream ended without its final message (truncated)")
        if heal and not run.text.startswith(heal):
            raise _HealFailed()
        return self._result(run.finish, run)

    def _absorb(self, run: _Run, chunk: Chunk) -> None:
        run.logprobs += chunk.logprobs
        run.model = chunk.model or run.model
        run.finish = chunk.finish or run.finish
        for name in ("prompt_tokens", "prompt_tokens_evaluated", "completion_tokens"):
            value = getattr(chunk, name)
            if value is not None:
                setattr(run, name, value)
        if chunk.prompt_ms is not None:
            run.server_prompt_ms = chunk.prompt_ms

    def _advance(self, request: GenerationRequest, run: _Run, piece: str, heal: str) -> str:
        """Append streamed text; return a stop reason when generation should end here."""
        run.text += piece
        run.pieces += 1
        if heal:
            if len(run.text) < len(heal):
                if not heal.startswith(run.text):
                    raise _HealFailed()
                return ""
            if not run.text.startswith(heal):
                raise _HealFailed()
        visible = run.text[len(heal):]
        cut = _first_stop(visible, request.prompt.stop)
        if cut is not None:
            run.visible = visible[:cut]
            return "stop"
        run.visible = visible
        if request.should_stop and visible:
            cut = request.should_stop(visible)
            if cut is not None:
                run.visible = visible[:cut]
                return "rule"
        return ""

    def _result(self, reason: str, run: _Run) -> GenerationResult:
        now = time.perf_counter()
        first = run.first_byte_at or now
        text = run.visible if reason not in ("error", "heal-failed", "cancelled") else ""
        prompt_tokens = run.prompt_tokens or 0
        return GenerationResult(
            text=text, stop_reason=reason, model=run.model or self.model_name, backend=self.name,
            tokens=run.completion_tokens if run.completion_tokens is not None else run.pieces,
            prompt_tokens=prompt_tokens,
            prompt_tokens_evaluated=(run.prompt_tokens_evaluated if run.prompt_tokens_evaluated is not None
                                     else prompt_tokens),
            mean_logprob=(sum(run.logprobs) / len(run.logprobs)) if run.logprobs else None,
            prompt_ms=run.server_prompt_ms if run.server_prompt_ms is not None else (first - run.started) * 1000,
            generate_ms=(now - first) * 1000,
            extra={"first_byte_ms": (first - run.started) * 1000},
        )


def _first_stop(text: str, stops: tuple[str, ...]) -> int | None:
    hits = [i for s in stops if s and (i := text.find(s)) >= 0]
    return min(hits) if hits else None


def _message(data: Any) -> str:
    if isinstance(data, dict):
        err = data.get("error", data.get("message", data))
        if isinstance(err, dict):
            err = err.get("message", err)
        return str(err)[:300]
    return str(data)[:300]


def floats(values: Any) -> list[float]:
    """Finite floats from a server's logprob list (None and junk skipped)."""
    out = []
    for v in values or ():
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            out.append(float(v))
    return out
