"""Choose context under one token budget and order it so the prompt prefix stays stable.

Packing is greedy by score, cheaper first among equals, skipping what no longer
fits, with a bonus for what the previous request of the same document chose, so
the set does not flicker while the user types. (Pure score-per-token packing was
tried first: it let many small, marginal signatures crowd out the one relevant
window, and measured worse on the dev benchmark — docs/context.md.) Ordering keeps the previous order for
items that stay and appends new ones (best last, nearest the file), because the
KV cache is only reused up to the first token that differs: a re-sorted context
would cost a full prompt evaluation on every keystroke.
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping, Sequence

from completion.context.candidates import Candidate
from runtime.backend import ContextFile

STICKY_BONUS = 0.25  # relative score bonus for items the previous request used
MAX_CHARS_PER_TOKEN = 8  # code averages ~3.5 characters per token; above 8 is rare (long runs)


def item_overhead(path: str, count: Callable[[str], int]) -> int:
    """Tokens of the separator line each file costs (`<|file_sep|>path` or a `# Path:` comment)."""
    return count(f"{path}\n") + 2


def pack(candidates: Iterable[Candidate], budget: int, count: Callable[[str], int],
         previous: Sequence[str] = (), sticky: float = STICKY_BONUS,
         reserve: Mapping[str, float] | None = None) -> list[Candidate]:
    """The chosen candidates (with costs); their total cost never exceeds `budget`.

    `reserve` maps a kind to a share of the budget its candidates are packed into first;
    everything left then competes by score for the rest. Scores of different kinds are not
    comparable (a window's is its query coverage, a signature's a rule of thumb), and on the
    dev benchmark high-scored signatures crowded out the windows that carried the gains.

    Costs are counted lazily, best candidate first: a request offers ~16 candidates and the
    budget takes a handful, and tokenizing them all was 18% of retrieval time on the
    2,000-file benchmark. A candidate whose text cannot fit even at MAX_CHARS_PER_TOKEN is
    skipped without being tokenized (a too-low guess only skips one that might have fit).
    """
    if budget <= 0:
        return []
    prev = set(previous)
    live = [c for c in candidates if c.score > 0 and c.text]
    value = {c.key: c.score * (1 + sticky if c.key in prev else 1) for c in live}
    live.sort(key=lambda c: (-value[c.key], len(c.text), c.key))
    chosen: list[Candidate] = []
    taken: set[str] = set()
    used = 0

    def fill(pool: list[Candidate], limit: int) -> None:
        nonlocal used
        for c in pool:
            room = limit - used
            if room <= 0:
                break
            if c.key in taken or len(c.text) > room * MAX_CHARS_PER_TOKEN:
                continue
            cost = count(c.text) + item_overhead(c.path, count)
            if cost <= room:
                chosen.append(c.with_cost(cost))
                taken.add(c.key)
                used += cost

    for kind, share in (reserve or {}).items():
        fill([c for c in live if c.kind == kind], used + int(budget * max(0.0, min(1.0, share))))
    fill(live, budget)
    return chosen


# Among new items, kinds further down this list go nearer the cursor's file. Analogy windows and
# usage lines go last: a small model copies from what it read most recently, and they are what it can copy.
KIND_ORDER = {"imports": 0, "signature": 1, "analogy": 2, "usage": 3}


def stable_order(chosen: Sequence[Candidate], previous: Sequence[str] = ()) -> list[Candidate]:
    """Previous survivors first, in their previous order; then new items by kind, then ascending score."""
    by_key = {c.key: c for c in chosen}
    kept = [by_key[k] for k in previous if k in by_key]
    kept_keys = {c.key for c in kept}
    new = sorted((c for c in chosen if c.key not in kept_keys),
                 key=lambda c: (KIND_ORDER.get(c.kind, 1), c.score, c.key))
    return kept + new


def to_files(ordered: Sequence[Candidate]) -> list[ContextFile]:
    """One prompt file per candidate, in order (merging would move text when the set changes)."""
    return [ContextFile(path=c.path, text=c.text) for c in ordered]
