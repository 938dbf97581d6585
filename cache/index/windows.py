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
