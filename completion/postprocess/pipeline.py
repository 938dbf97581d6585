"""The filter chain and the streaming stop rule."""
from __future__ import annotations

from typing import Callable

from completion.postprocess import block_end, repetition, single_line, suffix_overlap, whitespace
from completion.postprocess.context import PostContext
from runtime.backend import StopRule

Filter = Callable[[str, PostContext], str]
FILTERS: tuple[tuple[str, Filter], ...] = (
    ("single_line", single_line.apply),
    ("block_end", block_end.apply),
    ("repetition", repetition.apply),
    ("suffix_overlap", suffix_overlap.apply),
    ("whitespace", whitespace.apply),
)


def postprocess(text: str, ctx: PostContext) -> str:
    """Run every filter; an empty string means 'show nothing'."""
    for _name, fn in FILTERS:
        text = fn(text, ctx)
        if not text:
            return ""
    return text


def stop_rule(ctx: PostContext) -> StopRule:
    """Stop generation as soon as the text can only grow past what the filters keep."""

    def rule(text: str) -> int | None:
        if ctx.mode == "line":
            nl = text.find("\n")
            return nl if nl >= 0 else None
        if "\n" not in text:
            return None
        return block_end.cut_index(text, ctx)

    return rule
