"""Splitting a bracketed list at its top-level commas (parameters, record components, enum members)."""
from __future__ import annotations


def split_list(text: str, start: int, opens: str = "([{", closes: str = ")]}") -> tuple[list[str], int]:
    """The comma-separated items of the list whose opening bracket ends at `start` (text[start-1] is
    the opener), split only at its own depth, and the index of its closing bracket (-1 if the text
    ends first: the items read so far are returned)."""
    depth, begin, items = 1, start, []
    for i in range(start, len(text)):
        ch = text[i]
        if ch in opens:
            depth += 1
        elif ch in closes:
            depth -= 1
        if (ch == "," and depth == 1) or depth == 0:
            items.append(text[begin:i])
            begin = i + 1
            if depth == 0:
                return items, i
    return items, -1
