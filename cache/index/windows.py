"""Sliding line windows: the unit of analogy retrieval.

Windows overlap by half so that any run of `size/2` lines lies wholly inside
one window. Blank-only windows are skipped. Only each window's identifier set
is stored; the text is read back from the file (or the open buffer) when a
window is chosen, which keeps the index small on large trees.
"""
from __future__ import annotations

from dataclasses import dataclass

from cache.index.tokens import token_string

WINDOW_LINES = 12
STRIDE = 6


@dataclass(frozen=True)
class Window:
    start: int  # zero-based first line
    end: int  # exclusive
    tokens: str  # distinct identifiers, space-separated


def line_windows(lines: list[str], size: int = WINDOW_LINES, stride: int = STRIDE) -> list[Window]:
    out: list[Window] = []
    n = len(lines)
    start = 0
    while start < n:
        end = min(n, start + size)
        tokens = token_string("\n".join(lines[start:end]))
        if tokens.count(" ") >= 1:  # at least two identifiers: otherwise nothing to match on
            out.append(Window(start, end, tokens))
        if end == n:
            break
        start += stride
    return out


def split_lines(text: str) -> list[str]:
    """Lines as editors count them (\\n, with a trailing \\r dropped): the index's line numbers."""
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def common_prefix_len(a: str, b: str) -> int:
    """Length of the longest common prefix of two texts: binary search on slice equality, so the
    comparisons run at memcmp speed (prompts, and a 100 KB document before and after an edit)."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo
