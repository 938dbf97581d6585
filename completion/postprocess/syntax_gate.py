"""FIM syntax verification: a completion must not make the code around the cursor parse worse.

Parse (window head + completion + window tail) with tree-sitter and compare its
ERROR/MISSING node count with (head + tail) alone. The code at the cursor is
usually incomplete already, so "no errors" is not the bar: "no more errors than
without the completion" is. A completion that adds errors is trimmed to its
longest prefix, at a line or token boundary, that does not; if none does, it is
dropped. The window (completion/syntax.py) keeps one parse near a millisecond,
and the number of trial parses is capped.

Languages without a grammar pass through unchanged.
"""
from __future__ import annotations

import re
from functools import lru_cache

from completion import syntax
from completion.postprocess.context import PostContext

MAX_TRIALS = 24  # trial parses when trimming; each costs about one window parse
_TOKEN_END = re.compile(r"\w+|[^\w\s]")


@lru_cache(maxsize=16)
def _base_errors(language: str, head: str, tail: str) -> int | None:
    tree = syntax.parse(language, head + tail)
    return None if tree is None else syntax.error_count(tree)


def _errors(language: str, text: str) -> int:
    tree = syntax.parse(language, text)
    return 0 if tree is None else syntax.error_count(tree)


def line_ends(text: str) -> list[int]:
    """End offsets of every line but the last, longest first."""
    ends, pos = [], 0
    for line in text.split("\n")[:-1]:
        pos += len(line)
        ends.append(pos)
        pos += 1
    return [e for e in reversed(ends) if text[:e].strip()]


def token_ends(text: str, start: int, end: int) -> list[int]:
    """Ends of tokens strictly inside text[start:end], longest first."""
    return sorted((m.end() + start for m in _TOKEN_END.finditer(text[start:end]) if m.end() + start < end), reverse=True)


def check(text: str, ctx: PostContext) -> tuple[str, int]:
    """The gated text and how many parses it took (0: no grammar or nothing to check).

    Trimming tries line ends first (longest first), then token ends inside the
    line after the longest good line prefix: the result is the longest good
    prefix at a token boundary, found in at most MAX_TRIALS parses.
    """
    if not text.strip() or not syntax.supported(ctx.language):
        return text, 0
    win = syntax.window(ctx.prefix, ctx.suffix)
    base = _base_errors(ctx.language, win.head, win.tail)
    if base is None:
        return text, 0
    parses = 1
    if _errors(ctx.language, win.text(text)) <= base:
        return text, parses

    def ok(cut: int) -> bool:
        nonlocal parses
        parses += 1
        return _errors(ctx.language, win.text(text[:cut].rstrip())) <= base

    good, bad = 0, len(text)  # text[:good] passes (0: nothing does yet), text[:bad] fails
    for cut in line_ends(text):
        if parses > MAX_TRIALS:
            break
        if ok(cut):
            good = cut
            break
        bad = cut
    nl = text.find("\n", good + 1)
    stop = min(bad, nl if nl >= 0 else len(text))
    for cut in token_ends(text, good, stop):
        if parses > MAX_TRIALS:
            break
        if text[:cut].strip() and ok(cut):
            good = cut
            break
    return text[:good].rstrip() if good else "", parses


def apply(text: str, ctx: PostContext) -> str:
    return check(text, ctx)[0]
