"""Rank several candidate completions and drop near-duplicates; best first.

Why not just the model's mean log-probability: it prefers short, safe
completions (a lone `)` is very likely), and it cannot see what the
post-processing had to repair. So the score adds
- a syntax term: a candidate that the bracket balance or the syntax gate had
  to trim was, as generated, wrong code — it is less trustworthy even after the cut;
- a length term: log(1 + characters), a small push towards finishing the line;
- an overlap term: the share of the candidate's identifiers that already occur
  near the cursor (the lines above and the suffix). A small model that invents
  a name is usually wrong; one that reuses a nearby name is usually right;
- a repeat penalty: a first line that repeats the line above or the next line
  of the suffix is the model copying, not completing.
Pure functions; ties keep the generation order (greedy first), so the ranking
is deterministic for a fixed set of candidates.
"""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field, replace

_IDENT = re.compile(r"[^\W\d]\w*")
REPAIR_FILTERS = ("balance", "syntax_gate")


@dataclass
class Candidate:
    text: str  # after post-processing: what the user would see
    mean_logprob: float | None = None
    source: str = "greedy"  # greedy | branch | sample
    raw: str = ""  # as generated
    tokens: int = 0
    changed: tuple[str, ...] = ()  # post-processing filters that changed it
    first_prob: float | None = None
    score: float = 0.0
    parts: dict[str, float] = field(default_factory=dict)  # score terms, for logs and benchmarks


@dataclass(frozen=True)
class RankWeights:
    logprob: float = 1.0
    repaired: float = 0.5
    length: float = 0.08
    overlap: float = 0.3
    repeat: float = 1.0
    duplicate_ratio: float = 0.92  # difflib ratio at or above which two candidates are one


@dataclass(frozen=True)
class RankContext:
    """What the ranking knows about the cursor."""

    line_prefix: str = ""
    prefix: str = ""  # text before the cursor (a window)
    suffix: str = ""  # text after the cursor (a window)
    nearby_lines: int = 40

    def nearby_identifiers(self) -> frozenset[str]:
        above = self.prefix.rsplit("\n", self.nearby_lines)[-self.nearby_lines:]
        below = self.suffix.split("\n", self.nearby_lines)[: self.nearby_lines]
        # the line being typed is left out: its partial word must not count as evidence
        text = "\n".join(above[:-1] + below[1:])
        return frozenset(_IDENT.findall(text))

    def neighbours(self) -> tuple[str, str]:
        """The last non-blank line above the cursor's line and the first below it, stripped."""
        above = [ln.strip() for ln in self.prefix.split("\n")[-8:-1] if ln.strip()]
        below = [ln.strip() for ln in self.suffix.split("\n")[1:8] if ln.strip()]
        return (above[-1] if above else "", below[0] if below else "")


def new_identifiers(text: str, line_prefix: str) -> list[str]:
    """Identifiers the candidate writes, including a word it finishes (`wid` + `th)` → `width`)."""
    joined = line_prefix + text
    start = len(line_prefix)
    return [m.group(0) for m in _IDENT.finditer(joined) if m.end() > start and len(m.group(0)) >= 2]


def score(c: Candidate, ctx: RankContext, w: RankWeights = RankWeights(),
          nearby: frozenset[str] | None = None) -> Candidate:
    nearby = ctx.nearby_identifiers() if nearby is None else nearby
    parts: dict[str, float] = {}
    parts["logprob"] = w.logprob * (c.mean_logprob if c.mean_logprob is not None else -5.0)
    parts["repaired"] = -w.repaired if any(f in c.changed for f in REPAIR_FILTERS) else 0.0
    parts["length"] = w.length * math.log1p(len(c.text.strip()))
    idents = new_identifiers(c.text, ctx.line_prefix)
    parts["overlap"] = w.overlap * (sum(i in nearby for i in idents) / len(idents)) if idents else 0.0
    above, below = ctx.neighbours()
    lines = [ln.strip() for ln in (ctx.line_prefix + c.text).split("\n")[:2]]
    parts["repeat"] = -w.repeat if any(ln and len(ln) > 8 and ln in (above, below) for ln in lines) else 0.0
    return replace(c, score=sum(parts.values()), parts=parts)


def _same(a: str, b: str, ratio: float) -> bool:
    na, nb = " ".join(a.split()), " ".join(b.split())
    if na == nb:
        return True
    return difflib.SequenceMatcher(None, na, nb, autojunk=False).ratio() >= ratio


def rank(candidates: list[Candidate], ctx: RankContext, w: RankWeights = RankWeights()) -> list[Candidate]:
    """Scored candidates, best first, empty ones and near-duplicates removed.

    Sorting is stable and keyed on the score alone, so equal scores keep the
    order the candidates were generated in.
    """
    nearby = ctx.nearby_identifiers()
    scored = [score(c, ctx, w, nearby) for c in candidates if c.text.strip()]
    scored.sort(key=lambda c: -c.score)
    kept: list[Candidate] = []
    for c in scored:
        if not any(_same(c.text, k.text, w.duplicate_ratio) for k in kept):
            kept.append(c)
    return kept
