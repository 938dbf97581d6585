"""Scores of one prediction against the expected rest of the line (pure functions).

Registered by name in METRICS so a new metric is one function and one entry;
the runner and the report pick up whatever is registered.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Callable

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def first_line(text: str) -> str:
    return text.split("\n", 1)[0]


def levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def exact_match(prediction: str, answer: str) -> float:
    return float(first_line(prediction).strip() == answer.strip())


def edit_similarity(prediction: str, answer: str) -> float:
    p, a = first_line(prediction).strip(), answer.strip()
    if not p and not a:
        return 1.0
    return 1.0 - levenshtein(p, a) / max(len(p), len(a))


def identifier_f1(prediction: str, answer: str) -> float:
    """F1 over the multiset of identifiers (CrossCodeEval's identifier match, as F1)."""
    p = Counter(_IDENT.findall(first_line(prediction)))
    a = Counter(_IDENT.findall(answer))
    if not p and not a:
        return 1.0
    common = sum((p & a).values())
    if common == 0:
        return 0.0
    precision, recall = common / sum(p.values()), common / sum(a.values())
    return 2 * precision * recall / (precision + recall)


METRICS: dict[str, Callable[[str, str], float]] = {
    "exact_match": exact_match,
    "edit_similarity": edit_similarity,
    "identifier_f1": identifier_f1,
}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]
