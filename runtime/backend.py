"""The one protocol every model backend implements, and the dataclasses at its boundary.

Stop rules live above the backend (in completion/): the backend is given a
`should_stop` callback over the text generated so far and calls it between tokens,
so the same rules apply to the local model and to a remote stream.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol, runtime_checkable

from runtime.members import MemberRule


@dataclass(frozen=True)
class ContextFile:
    """A snippet from another file, as remote FIM endpoints (`input_extra`) take it."""

    path: str
    text: str


@dataclass(frozen=True)
class Prompt:
    """A rendered fill-in-the-middle prompt plus its parts.

    `text` is what a raw-completion backend evaluates. `prefix`/`suffix`/`context`
    are kept for servers that build the FIM prompt themselves (llama.cpp `/infill`,
    Ollama `suffix`). `heal` is text cut from the end of the prefix for token
    healing: the generated text must begin with it, and a backend returns only
    what follows it — constrained where it sees logits, otherwise filtered with
    `runtime.healing.strip_heal` (a generation that does not reproduce it is
    discarded).
    `segments` is the same text as (piece, is_control_token) pairs, so a backend
    tokenizes the template's control tokens as specials and everything else (the
    user's code, which may contain look-alikes) as plain text. `special_tokens`
    lists the family's control tokens (stop detection, remote stop strings).
    `unhealed_text` is `text` rendered with the healed text left in the prefix: a
    remote server cannot constrain its first tokens, so when its continuation of
    the cut prompt does not reproduce `heal`, the backend retries with this one.
    `middle_start` is text already typed after the cursor's anchor, rendered after
    the middle token (`text` contains it; `/infill` sends it as `prompt`).
    """

    text: str
    prefix: str
    suffix: str
    family: str
    context: tuple[ContextFile, ...] = ()
    heal: str = ""
    special_tokens: tuple[str, ...] = ()
    stop: tuple[str, ...] = ()
    segments: tuple[tuple[str, bool], ...] = ()
    unhealed_text: str = ""
    middle_start: str = ""


StopRule = Callable[[str], "int | None"]
"""Given the text generated so far, return an index to cut at (stop now) or None."""


@dataclass(frozen=True)
class GenerationRequest:
    prompt: Prompt
    max_tokens: int = 64
    temperature: float = 0.0
    seed: int = 0
    deadline: float | None = None  # time.monotonic() value after which we stop
    should_stop: StopRule | None = None
    request_id: str = ""
    # Extra candidates (best effort): a backend that can branch cheaply after the
    # prompt returns up to n - 1 `alternatives`, each starting with a different
    # first token whose probability is at least `branch_min_prob`, generated
    # within `branch_budget_ms` after the main one (0: until the deadline).
    # Backends that cannot branch ignore these fields.
    n: int = 1
    branch_min_prob: float = 0.05
    branch_budget_ms: float = 0.0
    # At `mod.|`: the names the completion may start with (a complete module namespace, see
    # runtime/members.py). Backends that see logits enforce it; remote ones ignore it.
    members: MemberRule | None = None

    def past_deadline(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline


@dataclass
class GenerationCandidate:
    """An alternative completion from the same prompt (see GenerationRequest.n)."""

    text: str
    stop_reason: str
    tokens: int = 0
    mean_logprob: float | None = None
    first_prob: float | None = None  # probability of its first token
    generate_ms: float = 0.0


@dataclass
class GenerationResult:
    text: str
    stop_reason: str  # eos | stop | rule | length | deadline | cancelled | error
    model: str
    backend: str
    tokens: int = 0
    prompt_tokens: int = 0
    prompt_tokens_evaluated: int = 0
    mean_logprob: float | None = None
    prompt_ms: float = 0.0
    generate_ms: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)
    alternatives: list[GenerationCandidate] = field(default_factory=list)  # only when n > 1 and supported


class CancelToken:
    """Set from the event loop, read by the inference thread between tokens."""

    __slots__ = ("_event", "reason")

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    def cancel(self, reason: str = "cancelled") -> None:
        self.reason = reason
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


@dataclass(frozen=True)
class BackendStatus:
    state: str  # loading | ready | degraded | fallback | error
    message: str = ""


@runtime_checkable
class Backend(Protocol):
    """A source of completions. Implementations: runtime.llamacpp, runtime.remote.*"""

    name: str

    @property
    def model_name(self) -> str: ...

    @property
    def status(self) -> BackendStatus: ...

    def count_tokens(self, text: str) -> int:
        """Tokens `text` costs in this model's vocabulary (an estimate is fine for remotes)."""
        ...

    async def generate(self, request: GenerationRequest, cancel: CancelToken) -> GenerationResult:
        """Generate one completion; must return (never raise) on cancel or deadline."""
        ...

    async def close(self) -> None: ...
