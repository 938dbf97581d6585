"""Identifier tokens: the currency of retrieval (windows, queries, BM25).

Kept deliberately dumb and fast: a regex over the text, language keywords and
one-letter names dropped. Full identifiers are kept (not split into sub-words)
because retrieval is after *the same names* used elsewhere, and a rare full
name (`parse_settings`) is a far stronger signal than its parts.
"""
from __future__ import annotations

import re
from typing import Iterable

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

KEYWORDS = frozenset("""
and as assert async await break case catch char class const continue def default del delete do double elif else
enum except export extends false final finally float for from func function go if impl implements import in int
instanceof interface is lambda let long match mod mut new nil none not null or package pass private protected pub
public raise return self static struct super switch this throw throws true try type typeof use var void while with
yield fn loop where crate unsafe ref move dyn trait include define ifdef ifndef endif pragma typedef sizeof unsigned
signed short bool boolean string str list dict tuple set byte map chan range defer select fallthrough goto union
extern inline volatile register auto template typename namespace using virtual override operator friend
readonly abstract declare keyof infer never unknown any undefined
""".split())


def identifiers(text: str) -> list[str]:
    """Identifiers in order of appearance, keywords and one-character names removed."""
    return [w for w in IDENT.findall(text) if len(w) > 1 and w.lower() not in KEYWORDS]


def token_set(text: str) -> set[str]:
    return set(identifiers(text))


def token_string(text: str, limit: int = 256) -> str:
    """Distinct identifiers (first appearance order) joined by spaces: a window's FTS document."""
    seen: dict[str, None] = {}
    for w in identifiers(text):
        if w not in seen:
            seen[w] = None
            if len(seen) >= limit:
                break
    return " ".join(seen)


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def fts_query(terms: Iterable[str]) -> str:
    """An FTS5 OR query of identifiers, each quoted so no term is read as an operator."""
    return " OR ".join(f'"{t}"' for t in terms if IDENT.fullmatch(t))
