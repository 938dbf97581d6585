"""Acceptance statistics from the event log (`tabstop stats`).

Acceptance rate = (accepted + partially accepted) / (those with a verdict:
accepted, partial or rejected). Suggestions never shown, hidden by the filter,
or still pending have no verdict and are counted separately, so a filter that
hides bad suggestions raises the rate only by the suggestions it really hid.
"""
from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from completion.flywheel.dataset import CompletionRecord

LATENCY_BUCKETS = ((0, 250, "<250 ms"), (250, 500, "250-500 ms"), (500, 1000, "0.5-1 s"), (1000, 2000, "1-2 s"),
                   (2000, 4000, "2-4 s"), (4000, math.inf, ">4 s"))
LENGTH_BUCKETS = ((0, 10, "1-10"), (10, 30, "11-30"), (30, 80, "31-80"), (80, 200, "81-200"), (200, math.inf, ">200"))
NOT_OFFERED = ("hidden_by_filter", "skipped_by_filter")


@dataclass
class Group:
    key: str
    offered: int = 0
    shown: int = 0
    accepted: int = 0
    partial: int = 0
    rejected: int = 0
    accepted_chars: int = 0
    latency_sum: float = 0.0
    survival: list[float] = field(default_factory=list)

    @property
    def verdicts(self) -> int:
        return self.accepted + self.partial + self.rejected

    @property
    def rate(self) -> float | None:
        return (self.accepted + self.partial) / self.verdicts if self.verdicts else None

    @property
    def mean_latency(self) -> float | None:
        return self.latency_sum / self.offered if self.offered else None

    @property
    def mean_survival(self) -> float | None:
        return sum(self.survival) / len(self.survival) if self.survival else None

    def add(self, r: CompletionRecord) -> None:
        self.offered += 1
        self.shown += int(r.shown)
        self.accepted += int(r.outcome == "accepted")
        self.partial += int(r.outcome == "partial")
        self.rejected += int(r.outcome == "rejected")
        self.accepted_chars += r.accepted_chars if r.outcome in ("accepted", "partial") else 0
        self.latency_sum += float(r.get("latency_ms", 0.0))
        if r.survival is not None:
            self.survival.append(r.survival)


def bucket(value: float, buckets: Sequence[tuple[float, float, str]]) -> str:
    for lo, hi, name in buckets:
        if lo <= value < hi:
            return name
    return buckets[-1][2]


def offered(records: Iterable[CompletionRecord]) -> list[CompletionRecord]:
    """Completions that produced a suggestion the user could see."""
    return [r for r in records
            if r.outcome or (r.requested and int(r.get("completion_chars", 0)) > 0 and r.reason not in NOT_OFFERED)]


def _day(ts: float) -> str:
    return _dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d")


DIMENSIONS: dict[str, Callable[[CompletionRecord], list[str]]] = {
    "language": lambda r: [r.get("language", "") or "unknown"],
    "trigger": lambda r: [r.get("trigger", "") or "unknown"],
    "latency": lambda r: [bucket(float(r.get("latency_ms", 0.0)), LATENCY_BUCKETS)],
    "model": lambda r: [r.get("model", "") or "unknown"],
    "context kind": lambda r: r.context_kinds or ["none"],
    "length": lambda r: [bucket(float(r.get("completion_chars", 0)), LENGTH_BUCKETS)],
    "day": lambda r: [_day(r.ts)],
}
ORDER = {"latency": [b[2] for b in LATENCY_BUCKETS], "length": [b[2] for b in LENGTH_BUCKETS]}


@dataclass
class Summary:
    total: Group
    requests: int  # all requests, with or without a suggestion
    hidden: int  # suggestions hidden by the filter
    skipped: int  # generations skipped by the filter
    groups: dict[str, list[Group]]


def summarize(records: Sequence[CompletionRecord]) -> Summary:
    shown = offered(records)
    total = Group("all")
    groups: dict[str, dict[str, Group]] = {name: {} for name in DIMENSIONS}
    for r in shown:
        total.add(r)
        for name, keys in DIMENSIONS.items():
            for key in keys(r):
                groups[name].setdefault(key, Group(key)).add(r)
    ordered: dict[str, list[Group]] = {}
    for name, by_key in groups.items():
        if name in ORDER:
            ordered[name] = [by_key[k] for k in ORDER[name] if k in by_key]
        elif name == "day":
            ordered[name] = [by_key[k] for k in sorted(by_key)]
        else:
            ordered[name] = sorted(by_key.values(), key=lambda g: (-g.offered, g.key))
    return Summary(
        total=total,
        requests=sum(1 for r in records if r.requested),
        hidden=sum(1 for r in records if r.reason == "hidden_by_filter"),
        skipped=sum(1 for r in records if r.reason == "skipped_by_filter"),
        groups=ordered,
    )


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def format_text(summary: Summary) -> str:
    t = summary.total
    lines = [
        f"requests: {summary.requests}; suggestions offered: {t.offered}; with a verdict: {t.verdicts}; "
        f"hidden by the filter: {summary.hidden}; generations skipped: {summary.skipped}",
        f"acceptance rate: {_pct(t.rate)} ({t.accepted} accepted, {t.partial} partial, {t.rejected} rejected); "
        f"accepted characters: {t.accepted_chars}; survival after accept: {_pct(t.mean_survival)}",
    ]
    for name in ("language", "trigger", "latency", "model", "context kind", "length"):
        rows = summary.groups.get(name) or []
        if not rows:
            continue
        lines += ["", f"by {name}:", f"  {'':<22} {'offered':>8} {'verdicts':>8} {'accept':>7} {'chars':>7} {'mean ms':>7}"]
        for g in rows:
            lat = "-" if g.mean_latency is None else f"{g.mean_latency:.0f}"
            lines.append(f"  {g.key[:22]:<22} {g.offered:>8} {g.verdicts:>8} {_pct(g.rate):>7} "
                         f"{g.accepted_chars:>7} {lat:>7}")
    return "\n".join(lines)
