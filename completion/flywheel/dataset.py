"""From the event log to one record per completion: what was offered and what became of it.

Stats, filter training and the FIM export all start here. The label follows the
event kinds: accepted or partially accepted → 1, rejected (explicit or
implicit) → 0, anything else (never shown, hidden by the filter, still
pending) → no label.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

ATTRIBUTES = ("language", "trigger", "model", "backend", "latency_ms", "prompt_tokens", "prompt_tokens_evaluated",
              "context_items", "context_tokens", "cache_hit", "mean_logprob", "completion_chars", "completion_lines",
              "mode", "stop_reason", "filter_score", "session")


@dataclass
class CompletionRecord:
    completion_id: str
    ts: float
    attrs: dict[str, Any] = field(default_factory=dict)
    features: dict[str, Any] = field(default_factory=dict)
    context_kinds: list[str] = field(default_factory=list)
    requested: bool = False
    shown: bool = False
    outcome: str = ""  # accepted | partial | rejected | ""
    reason: str = ""  # why rejected, or why nothing was shown (hidden_by_filter, skipped_by_filter, empty…)
    accepted_chars: int = 0
    survival: float | None = None
    prefix: str | None = None
    suffix: str | None = None
    completion: str | None = None
    resolved_ts: float | None = None

    @property
    def label(self) -> int | None:
        if self.outcome in ("accepted", "partial"):
            return 1
        if self.outcome == "rejected":
            return 0
        return None

    def get(self, name: str, default: Any = None) -> Any:
        value = self.attrs.get(name)
        return default if value is None else value


def build_records(events: Iterable[dict[str, Any]]) -> list[CompletionRecord]:
    """Fold time-ordered events into records, ordered by the time each completion was requested."""
    records: dict[str, CompletionRecord] = {}
    for e in events:
        cid = e.get("completion_id") or ""
        if not cid:
            continue
        kind = e.get("kind")
        rec = records.get(cid)
        if rec is None:
            rec = records[cid] = CompletionRecord(cid, float(e.get("ts") or 0.0))
        for name in ATTRIBUTES:
            if e.get(name) is not None and rec.attrs.get(name) is None:
                rec.attrs[name] = e[name]
        if isinstance(e.get("features"), dict) and not rec.features:
            rec.features = dict(e["features"])
        if isinstance(e.get("context_kinds"), list) and not rec.context_kinds:
            rec.context_kinds = list(e["context_kinds"])
        for name in ("prefix", "suffix", "completion"):
            if e.get(name) is not None and getattr(rec, name) is None:
                setattr(rec, name, e[name])
        if kind == "requested":
            rec.requested = True
            rec.ts = float(e.get("ts") or rec.ts)
            if e.get("reason"):
                rec.reason = e["reason"]
        elif kind == "shown":
            rec.shown = True
        elif kind == "accepted":
            rec.shown = True
            rec.outcome = "accepted"
            rec.reason = ""
            rec.accepted_chars = int(e.get("accepted_chars") or rec.get("completion_chars", 0) or 0)
            rec.resolved_ts = e.get("ts")
        elif kind == "partial":
            rec.shown = True
            if rec.outcome != "accepted":
                rec.outcome = "partial"
                rec.reason = ""
                rec.accepted_chars = max(rec.accepted_chars, int(e.get("accepted_chars") or 0))
                rec.resolved_ts = e.get("ts")
        elif kind == "rejected":
            if not rec.outcome:
                rec.outcome = "rejected"
                rec.reason = e.get("reason") or "rejected"
                rec.resolved_ts = e.get("ts")
        elif kind == "outcome":
            if e.get("survival") is not None:
                rec.survival = float(e["survival"])
    return sorted(records.values(), key=lambda r: (r.ts, r.completion_id))


def labelled(records: Iterable[CompletionRecord]) -> list[CompletionRecord]:
    return [r for r in records if r.label is not None and r.features]
