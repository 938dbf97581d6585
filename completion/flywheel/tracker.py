"""Completion lifecycle: what was offered, shown, accepted or rejected, keyed by completion id.

The server answers a request long before the user decides, and the client's
later notifications carry only the completion id. So the tracker remembers
recent completions (bounded: the oldest are forgotten) with everything an
event needs — latency, model, sizes, feature values — and turns each client
notification into a self-describing event for the sink (the telemetry writer).

Implicit rejection: a suggestion that was shown (or returned, for clients that
never report "shown") is rejected when the next request for the same document
arrives without an accept — "typed_over" when the user typed something that
diverges from it, "new_request" otherwise. Typing *through* it (the typed text
is a prefix of the suggestion) is not a rejection: the user is following it,
and the next suggestion carries the story on.

It also keeps the session history the filter's features need (previous
outcome, time since) and applies the filter gate. Without a sink (telemetry
off) it still does both, writing nothing.
"""
from __future__ import annotations

import logging
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

from completion.filter.features import History, context_kinds, post_features, pre_features
from completion.filter.gate import FilterGate
from completion.flywheel.survival import ANCHOR_CHARS, survived_chars
from completion.types import CompletionInfo, CompletionResponse, Request, Suggestion

log = logging.getLogger(__name__)
Sink = Callable[[dict[str, Any]], Any]
CODE_PREFIX_CHARS = 4000
CODE_SUFFIX_CHARS = 1000
QUIET_SKIPS = ("disabled", "superseded", "cancelled")  # no event: nothing was asked of the user or the model


def new_id() -> str:
    return uuid.uuid4().hex[:16]


@dataclass
class Pending:
    id: str
    uri: str
    text: str
    offset: int
    anchor: str
    attrs: dict[str, Any]
    features: dict[str, Any]
    created: float
    prefix: str | None = None  # only kept with store_code
    suffix: str | None = None
    shown: bool = False
    state: str = ""  # "" | accepted | partial | rejected | superseded
    accepted_chars: int = 0
    outcome_done: bool = False


@dataclass
class Decision:
    """What `before` decided: generate or not, with the pre-generation features for `after`."""

    skip: bool
    features: dict[str, Any] = field(default_factory=dict)
    score: float | None = None
    started: float = 0.0


class FeedbackTracker:
    def __init__(self, sink: Sink | None = None, *, store_code: bool = False, gate: FilterGate | None = None,
                 capacity: int = 512, session: str | None = None, clock: Callable[[], float] = time.time) -> None:
        self.sink = sink
        self.store_code = store_code
        self.gate = gate or FilterGate()
        self.capacity = capacity
        self.session = session or new_id()
        self.clock = clock
        self.history = History()
        self.client_reports_show = False
        self._recent: OrderedDict[str, Pending] = OrderedDict()
        self._live: dict[str, list[str]] = {}  # uri -> ids returned and not yet resolved

    # -- emitting --------------------------------------------------------------------------
    def _emit(self, kind: str, completion_id: str, p: Pending | None = None, **fields: Any) -> None:
        if self.sink is None:
            return
        event: dict[str, Any] = {"completion_id": completion_id, "kind": kind, "ts": self.clock(),
                                 "session": self.session}
        if p is not None:
            event.update(p.attrs)
            event["features"] = p.features
        event.update(fields)
        try:
            self.sink(event)
        except Exception as exc:  # a telemetry sink must never break completion
            log.warning("telemetry sink failed: %s", exc)

    def get(self, completion_id: str) -> Pending | None:
        return self._recent.get(completion_id)

    # -- the request side ------------------------------------------------------------------
    def before(self, request: Request) -> Decision:
        """Resolve what the previous suggestion in this document became; decide whether to generate."""
        now = self.clock()
        self._implicit_rejects(request)
        features = pre_features(request, self.history, now)
        verdict = self.gate.before(features)
        decision = Decision(skip=verdict.hide, features=features, score=verdict.score, started=now)
        if verdict.hide:
            self._emit("requested", new_id(), None, reason="skipped_by_filter", filter_score=verdict.score,
                       features=features, **_request_attrs(request, features))
        return decision

    def after(self, request: Request, response: CompletionResponse, decision: Decision) -> CompletionResponse:
        """Score each suggestion, hide those the filter rejects, remember the rest; return what to show."""
        info = response.info
        if not response.items:
            if info.stop_reason != "cancelled" and info.skipped not in QUIET_SKIPS:
                feats = dict(decision.features)
                self._emit("requested", new_id(), None, reason=info.skipped or info.stop_reason or "empty",
                           features=feats, **_request_attrs(request, feats), **_info_attrs(info, None))
            return response
        kept: list[Suggestion] = []
        for s in response.items:
            feats = {**decision.features, **post_features(s, info)}
            verdict = self.gate.after(feats)
            attrs = {**_request_attrs(request, feats), **_info_attrs(info, s), "filter_score": verdict.score}
            if verdict.hide:
                self._emit("requested", s.id, None, reason="hidden_by_filter", features=feats, **attrs)
                continue
            p = Pending(s.id, request.uri, s.text, request.offset, request.prefix[-ANCHOR_CHARS:], attrs, feats,
                        self.clock())
            if self.store_code:
                p.prefix = request.prefix[-CODE_PREFIX_CHARS:]
                p.suffix = request.suffix[:CODE_SUFFIX_CHARS]
            self._remember(p)
            self._emit("requested", s.id, p, reason="explored" if verdict.explored else None)
            kept.append(s)
        return CompletionResponse(kept, info)

    def _remember(self, p: Pending) -> None:
        self._recent[p.id] = p
        self._live.setdefault(p.uri, []).append(p.id)
        while len(self._recent) > self.capacity:
            old_id, old = self._recent.popitem(last=False)
            ids = self._live.get(old.uri)
            if ids and old_id in ids:
                ids.remove(old_id)

    def _implicit_rejects(self, request: Request) -> None:
        ids = self._live.pop(request.uri, [])
        for cid in ids:
            p = self._recent.get(cid)
            if p is None or p.state:
                continue
            if not (p.shown or not self.client_reports_show):
                p.state = "superseded"  # never shown: no verdict from the user
                continue
            typed = None
            start = p.offset - len(p.anchor)
            if request.offset >= p.offset and start >= 0 and request.text[start:p.offset] == p.anchor:
                typed = request.text[p.offset:request.offset]
            if typed and p.text.startswith(typed):
                p.state = "superseded"  # typing through it
                continue
            self.rejected(cid, reason="typed_over" if typed else "new_request", implicit=True)

    def dismiss_document(self, uri: str, reason: str = "dismissed") -> None:
        """The user left the document (closed it): its shown, unresolved suggestions were rejected."""
        for cid in self._live.pop(uri, []):
            p = self._recent.get(cid)
            if p is None or p.state:
                continue
            if p.shown or not self.client_reports_show:
                self.rejected(cid, reason=reason, implicit=True)
            else:
                p.state = "superseded"

    # -- the client side -------------------------------------------------------------------
    def shown(self, completion_id: str) -> None:
        self.client_reports_show = True
        p = self._recent.get(completion_id)
        if p is not None:
            if p.shown:
                return
            p.shown = True
        self.history.touch(self.clock())
        self._emit("shown", completion_id, p)

    def _code(self, p: Pending) -> dict[str, Any]:
        if not self.store_code or p.prefix is None:
            return {}
        return {"prefix": p.prefix, "suffix": p.suffix, "completion": p.text}

    def accepted(self, completion_id: str) -> Pending | None:
        p = self._recent.get(completion_id)
        if p is None:
            log.info("accept for unknown completion %s (restarted or forgotten)", completion_id)
            self.history.record(True, self.clock())
            self._emit("accepted", completion_id, None, reason="unknown_id")
            return None
        if p.state == "accepted":
            return p
        p.shown = True
        p.state = "accepted"
        p.accepted_chars = len(p.text)
        self.history.record(True, self.clock())
        self._emit("accepted", completion_id, p, accepted_chars=p.accepted_chars, **self._code(p))
        return p

    def partial(self, completion_id: str, accepted_length: int, kind: str | None = None) -> Pending | None:
        """A partial accept; `kind` is how (word | line | suggest, when the client says), kept as the reason."""
        p = self._recent.get(completion_id)
        if p is None:
            self.history.record(True, self.clock())
            self._emit("partial", completion_id, None, accepted_chars=accepted_length, reason="unknown_id")
            return None
        accepted_length = max(0, min(int(accepted_length), len(p.text)))
        first = p.state not in ("accepted", "partial")
        p.shown = True
        if p.state != "accepted":
            p.state = "partial"
            p.accepted_chars = max(p.accepted_chars, accepted_length)
        if first:
            self.history.record(True, self.clock())
        self._emit("partial", completion_id, p, accepted_chars=accepted_length, reason=kind, **self._code(p))
        return p

    def rejected(self, completion_id: str, reason: str = "explicit", implicit: bool = False) -> None:
        p = self._recent.get(completion_id)
        if p is not None:
            if p.state in ("accepted", "rejected"):
                return
            if not p.state:
                self.history.record(False, self.clock())
                p.state = "rejected"
        else:
            self.history.record(False, self.clock())
        self._emit("rejected", completion_id, p, reason=reason if implicit else (reason or "explicit"))

    def outcome(self, completion_id: str, document_text: str | None) -> float | None:
        """Record how much of the accepted text survives in `document_text`; returns the share."""
        p = self._recent.get(completion_id)
        if p is None or p.state not in ("accepted", "partial") or p.outcome_done or document_text is None:
            return None
        p.outcome_done = True
        accepted = p.text[: p.accepted_chars]
        kept = survived_chars(accepted, document_text, p.anchor, p.offset)
        share = kept / len(accepted) if accepted else 0.0
        self._emit("outcome", completion_id, p, accepted_chars=len(accepted), survived_chars=kept,
                   survival=round(share, 4))
        return share


def _request_attrs(request: Request, features: dict[str, Any]) -> dict[str, Any]:
    return {"language": request.language, "trigger": request.trigger, "mode": features.get("mode")}


def _info_attrs(info: CompletionInfo, s: Suggestion | None) -> dict[str, Any]:
    text = s.text if s else ""
    return {
        "model": info.model, "backend": info.backend, "latency_ms": round(info.total_ms, 1),
        "prompt_tokens": info.prompt_tokens, "prompt_tokens_evaluated": info.prompt_tokens_evaluated,
        "generated_tokens": info.generated_tokens, "context_items": info.context_items,
        "context_tokens": info.context_tokens, "context_kinds": context_kinds(info.context_report),
        "cache_hit": bool(info.cache_hit), "mean_logprob": s.mean_logprob if s else None,
        "completion_chars": len(text), "completion_lines": (text.count("\n") + 1) if text else 0,
        "stop_reason": info.stop_reason,
    }
