"""Analogy context: code elsewhere that looks like the code at the cursor.

The query is the identifiers of the lines before the cursor (the cursor's own
line counts double). Every window — from the index, open documents and recent
edits — gets the same score: the IDF-weighted share of the query it covers.
That rewards windows using the *same rare names* as the cursor's code (how
`parse_settings` is called elsewhere), not ones that share `self` and `return`.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from cache.index.tokens import identifiers, jaccard
from completion.context.candidates import Candidate

_PARTIAL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
QUERY_LINES = 10
MAX_QUERY_TERMS = 10  # each extra OR term costs FTS time (benchmarks/retrieval_latency.py)
COMMON_FRACTION = 0.1  # terms in more than this share of windows carry little signal and cost the most
# FTS5 time grows with the postings it ranks: on the 2,000-file benchmark index (26k windows) a
# query's full term set averaged 5,700 postings, p50 11.5 / p95 35 ms under load; within 4,000
# postings 2,300 on average, p50 5.8 / p95 14.5 ms. Terms left out of the search still score.
MAX_POSTINGS = 4000
DUPLICATE_JACCARD = 0.7
MIN_SCORE = 0.1  # below this a window is noise that a small model may copy from
CONTINUATION_LINES = 4  # shown after a matching window: what came *next* there is the analogy


@dataclass(frozen=True)
class Query:
    weights: dict[str, float]  # lower-cased term → weight (IDF × position)
    total: float
    search: tuple[str, ...] = ()  # the terms sent to the index (strongest first, within MAX_POSTINGS)

    def score(self, tokens: set[str]) -> float:
        if self.total <= 0:
            return 0.0
        return sum(w for t, w in self.weights.items() if t in tokens) / self.total


def query_terms(text: str, offset: int, lines: int = QUERY_LINES) -> dict[str, float]:
    """Identifier → position weight for the lines before the cursor (cursor line ×2)."""
    line_start = text.rfind("\n", 0, offset) + 1
    start = line_start
    for _ in range(lines):
        if start == 0:
            break
        start = text.rfind("\n", 0, start - 1) + 1
    weights: dict[str, float] = {}
    for name in identifiers(text[start:line_start]):
        weights[name.lower()] = max(weights.get(name.lower(), 0.0), 1.0)
    # The word being typed is left out: it changes on every keystroke (which would reshuffle the
    # context and invalidate the KV cache) and, half-typed, matches nothing useful anyway.
    cursor_line = _PARTIAL.sub("", text[line_start:offset])
    for name in identifiers(cursor_line):
        weights[name.lower()] = 2.0
    return weights


def build_query(position_weights: dict[str, float], doc_counts: dict[str, int], windows: int) -> Query:
    """Weight terms by IDF over the index's windows; drop the commonest, keep the strongest."""
    weights: dict[str, float] = {}
    for term, w in position_weights.items():
        df = doc_counts.get(term, 0)
        if windows and df > COMMON_FRACTION * windows and windows > 50:
            continue
        idf = math.log(1 + (windows - df + 0.5) / (df + 0.5)) if windows else 1.0
        weights[term] = w * max(idf, 0.05)
    top = dict(sorted(weights.items(), key=lambda kv: -kv[1])[:MAX_QUERY_TERMS])
    return Query(top, sum(top.values()), search_terms(top, doc_counts))


def search_terms(weights: dict[str, float], doc_counts: dict[str, int], max_postings: int = MAX_POSTINGS) -> tuple[str, ...]:
    """The strongest terms whose postings fit `max_postings` (a term that would overflow is skipped,
    weaker rarer ones may still fit); the strongest always goes. Rare terms find the windows
    sharing the cursor's rare names, which is what the score rewards anyway."""
    chosen: list[str] = []
    postings = 0
    for term in sorted(weights, key=lambda t: -weights[t]):
        df = doc_counts.get(term, 0)
        if chosen and postings + df > max_postings:
            continue
        chosen.append(term)
        postings += df
    return tuple(chosen)


def trim_blank(lines: Sequence[str], start: int, end: int) -> tuple[int, int]:
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return start, end


def window_candidate(path: str, lines: Sequence[str], start: int, end: int, query: Query, source: str,
                     bonus: float = 0.0, continuation: int = CONTINUATION_LINES) -> Candidate | None:
    """A window scored on its own lines, shown with the few lines that follow it."""
    start, end = max(0, start), min(len(lines), end)
    tokens = {t.lower() for t in identifiers("\n".join(lines[start:end]))}
    score = query.score(tokens)
    if score < MIN_SCORE:
        return None
    start, end = trim_blank(lines, start, min(len(lines), end + continuation))
    if end <= start:
        return None
    text = "\n".join(lines[start:end])
    return Candidate(key=f"win|{path}|{start}", kind="analogy", path=path, text=text,
                     score=round(min(1.0, score + bonus), 4), source=source, start_line=start, end_line=end)


def sliding(lines: Sequence[str], size: int = 12, stride: int = 6) -> Iterable[tuple[int, int]]:
    start = 0
    while start < len(lines):
        end = min(len(lines), start + size)
        yield start, end
        if end == len(lines):
            break
        start += stride


def dedupe(candidates: Iterable[Candidate], limit: int) -> list[Candidate]:
    """Best first; drop windows overlapping a kept one in the same file, and near-duplicate text."""
    kept: list[tuple[Candidate, set[str]]] = []
    for c in sorted(candidates, key=lambda c: (-c.score, c.key)):
        tokens = set(identifiers(c.text))
        clash = False
        for k, k_tokens in kept:
            if k.path == c.path and k.start_line < c.end_line and c.start_line < k.end_line:
                clash = True
            elif jaccard(tokens, k_tokens) >= DUPLICATE_JACCARD:
                clash = True
            if clash:
                break
        if not clash:
            kept.append((c, tokens))
            if len(kept) >= limit:
                break
    return [c for c, _ in kept]
