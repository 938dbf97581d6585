"""Drop text that the document already has after the cursor.

Two cases: the end of the completion repeats the start of the rest of the line
(the model closed a bracket the editor had auto-closed), and a completion line
equals the next non-blank line of the suffix (the model re-wrote existing code;
cut from there).
"""
from __future__ import annotations

from completion.postprocess.context import PostContext


def _line_overlap(text: str, line_suffix: str) -> str:
    rest = line_suffix.strip()
    if not rest:
        return text
    first, sep, tail = text.partition("\n")
    for k in range(min(len(first), len(rest)), 0, -1):
        if first.endswith(rest[:k]) and rest.startswith(first[-k:]):
            return first[:-k] + sep + tail
    return text


def _repeated_suffix_line(text: str, suffix: str) -> str:
    following = [ln.strip() for ln in suffix.split("\n")[1:] if ln.strip()]
    if not following:
        return text
    nxt = following[0]
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if i > 0 and line.strip() == nxt:
            return "\n".join(lines[:i]).rstrip()
    return text


def apply(text: str, ctx: PostContext) -> str:
    text = _repeated_suffix_line(text, ctx.suffix)
    if "\n" not in text:
        return _line_overlap(text, ctx.line_suffix)
    return text
