"""FIM syntax verification: a completion must not make the code around the cursor parse worse.

Parse (window head + completion + window tail) with tree-sitter and compare its
ERROR/MISSING node count with (head + tail) alone, counting only errors that
start before the end of the line where the completion ends (the window's far
edge can cut a docstring in half; those errors say nothing about the completion). The code at the cursor is
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
from completion.postprocess.balance import closers_for
from completion.postprocess.context import PostContext

MAX_TRIALS = 24  # trial parses when trimming; each costs about one window parse
_TOKEN_END = re.compile(r"\w+|[^\w\s]")
_CLOSING = ")]}\"'`"


def _limit(head: str, middle: str, tail: str) -> int:
    """Byte offset of the end of the line where the completion ends: errors starting later are not counted."""
    nl = tail.find("\n")
    rest = tail if nl < 0 else tail[:nl]
    return len((head + middle + rest).encode("utf-8")) + 1


@lru_cache(maxsize=16)
def _base_errors(language: str, head: str, tail: str) -> int | None:
    tree = syntax.parse(language, head + tail)
    return None if tree is None else syntax.error_count(tree, _limit(head, "", tail))


def _errors(language: str, win: syntax.SyntaxWindow, middle: str) -> int:
    tree = syntax.parse(language, win.text(middle))
    return 0 if tree is None else syntax.error_count(tree, _limit(win.head, middle, win.tail))


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


def closer_cuts(text: str) -> list[int]:
    """Offsets just before each closing bracket or quote, longest first."""
    return [i for i in range(len(text) - 1, 0, -1) if text[i] in _CLOSING and text[:i].strip()]


def opened_at_end(text: str, language: str) -> str:
    """Closers for what the completion leaves open when it ends by opening a bracket, else "".

    `x = Wrapper(` / `query = new Observer(client, {` at the end of a line is
    code that continues on the next lines (the arguments, the object), not a
    mistake — measured with `tabstop eval`'s mid-identifier cases (masked files
    have no suffix), the gate cut exactly such lines to `x = Wrapper` and cost
    2 exact answers of 30. Such a completion is judged as if it were closed.
    """
    stripped = text.rstrip()
    if not stripped or stripped[-1] not in "([{":
        return ""
    return closers_for(stripped, language) or ""


def check(text: str, ctx: PostContext) -> tuple[str, int]:
    """The gated text and how many parses it took (0: no grammar or nothing to check).

    - More errors than without the completion: keep the longest prefix that ends
      a line and adds none; failing that, the longest such prefix of the first
      line at a token boundary; failing that, nothing. (A block whose second line
      breaks keeps its first line rather than half of the second.)
    - As many errors, but some (the code is incomplete either way): the
      completion may extend an existing error or add its own that happens to
      merge with it — `foo(a, ` + `b))` is one ERROR node either way. If cutting
      before a closing bracket or quote gives strictly fewer errors, the closer
      was the error: keep the longest such prefix.
    - A completion that ends by opening a bracket is checked as if closed
      (`opened_at_end`): the rest of the call or literal follows on later lines.
    At most MAX_TRIALS parses in all.
    """
    if not text.strip() or not syntax.supported(ctx.language):
        return text, 0
    win = ctx.syntax_window
    base = _base_errors(ctx.language, win.head, win.tail)
    if base is None:
        return text, 0
    parses = 1
    closers = opened_at_end(text, ctx.language)
    # Judged as if closed: otherwise its own open bracket counts as an error, and when the code
    # at the cursor already has one (`x = ` + `b"".join(`), a cut before a quote "fixed" it to `b`.
    full = _errors(ctx.language, win, text.rstrip() + closers if closers else text)

    def errors_of(middle: str) -> int:
        nonlocal parses
        parses += 1
        return _errors(ctx.language, win, middle)

    def errors(cut: int) -> int:
        return errors_of(text[:cut].rstrip())

    if full <= base:
        if full > 0:
            for cut in closer_cuts(text)[:MAX_TRIALS]:
                if errors(cut) < full:
                    return text[:cut].rstrip(), parses
        return text, parses
    for cut in line_ends(text):
        if parses > MAX_TRIALS:
            return "", parses
        if errors(cut) <= base:
            return text[:cut].rstrip(), parses
    nl = text.find("\n", 1)
    for cut in token_ends(text, 0, nl if nl >= 0 else len(text)):
        if parses > MAX_TRIALS:
            break
        if text[:cut].strip() and errors(cut) <= base:
            return text[:cut].rstrip(), parses
    return "", parses


def apply(text: str, ctx: PostContext) -> str:
    return check(text, ctx)[0]
