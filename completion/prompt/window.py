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
    before, after = text[:offset], text[offset:]
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
    cursor_line = before.count("\n")
    return Window(
        prefix=prefix,
        suffix=suffix,
        prefix_start_line=start,
        suffix_end_line=cursor_line + max(keep_s, 1 if tail_lines else 0),
        prefix_truncated=start > 0,
        suffix_truncated=keep_s < len(tail_lines),
    )
