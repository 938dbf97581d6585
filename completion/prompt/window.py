"""Cut the text around the cursor into a prefix and suffix window under token budgets.

Windows are cut at line boundaries. The prefix window's first line is snapped
to a multiple of `anchor` lines so that it stays put while the user types: a
window start that moved with every keystroke would change the first prompt
token and throw away the whole KV cache.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

TokenCounter = Callable[[str], int]
# Only this many characters per budgeted token are looked at around the cursor. No
# tokenizer packs more into a token in practice, so the window is unchanged for any
# real budget, but a document of tens of MB is never split or tokenized whole
# (that took ~20 s on the event loop for a 12 MB file).
MAX_CHARS_PER_TOKEN = 32


@dataclass(frozen=True)
class Window:
    prefix: str  # from the window start to the cursor
    suffix: str  # from the cursor to the window end
    prefix_start_line: int
    suffix_end_line: int  # exclusive
    prefix_truncated: bool
    suffix_truncated: bool


def _fit_lines(lines: list[str], budget: int, count: TokenCounter, from_end: bool) -> int:
    """Largest n such that the last (or first) n lines fit the budget (binary search)."""
    lo, hi = 0, len(lines)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        chunk = lines[len(lines) - mid:] if from_end else lines[:mid]
        if count("".join(chunk)) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


def cut_window(
    text: str,
    offset: int,
    prefix_tokens: int,
    suffix_tokens: int,
    count: TokenCounter,
    anchor: int = 16,
) -> Window:
    """Split `text` at `offset` (code points) into budgeted prefix/suffix windows."""
    lo, hi = 0, len(text)
    if offset > (reach := max(1, prefix_tokens) * MAX_CHARS_PER_TOKEN):
        lo = _grid_line_start(text, offset - reach, offset, max(1, anchor))
    if hi - offset > (reach := max(1, suffix_tokens) * MAX_CHARS_PER_TOKEN):
        nl = text.rfind("\n", offset, offset + reach)
        hi = nl + 1 if nl >= 0 else offset + reach
    origin = text.count("\n", 0, lo)  # absolute line number of `lo`
    before, after = text[lo:offset], text[offset:hi]
    head_lines = before.splitlines(keepends=True)
    cursor_line_start = before.rfind("\n") + 1
    current = before[cursor_line_start:]
    full_lines = head_lines[:-1] if current and head_lines else head_lines
    budget = max(0, prefix_tokens - count(current)) if current else prefix_tokens
    keep = _fit_lines(full_lines, budget, count, from_end=True)
    start = len(full_lines) - keep
    if start > 0 and anchor > 1:
        start = min(len(full_lines), ((start + anchor - 1) // anchor) * anchor)
    prefix = "".join(full_lines[start:]) + current

    tail_lines = after.splitlines(keepends=True)
    keep_s = _fit_lines(tail_lines, suffix_tokens, count, from_end=False)
    if keep_s == 0 and tail_lines:
        # Always keep what follows the cursor on its own line, clipped by characters.
        first = tail_lines[0]
        suffix = first[: max(0, suffix_tokens * 3)]
    else:
        suffix = "".join(tail_lines[:keep_s])
    cursor_line = origin + before.count("\n")
    return Window(
        prefix=prefix,
        suffix=suffix,
        prefix_start_line=origin + start,
        suffix_end_line=cursor_line + max(keep_s, 1 if tail_lines else 0),
        prefix_truncated=start > 0 or lo > 0,
        suffix_truncated=keep_s < len(tail_lines) or hi < len(text),
    )


def _grid_line_start(text: str, pos: int, offset: int, anchor: int) -> int:
    """The first line start at or after `pos` whose line number is a multiple of `anchor`.

    Aligning the cut to the same line grid as the window start keeps the window
    exactly where it would be without the cut, so the KV cache is not disturbed.
    If the cursor's own line reaches back past `pos` (minified code), cut mid-line.
    """
    start = text.rfind("\n", 0, pos) + 1
    if start < pos:
        nl = text.find("\n", pos, offset)
        if nl < 0:
            return pos
        start = nl + 1
    line = text.count("\n", 0, start)
    while line % anchor:
        nl = text.find("\n", start, offset)
        if nl < 0:
            break
        start, line = nl + 1, line + 1
    return start
