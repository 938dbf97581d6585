"""The filter chain and the streaming stop rule."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from completion.postprocess import balance, block_end, repetition, single_line, suffix_overlap, syntax_gate, whitespace
from completion.postprocess.context import PostContext
from runtime.backend import StopRule

Filter = Callable[[str, PostContext], str]
FILTERS: tuple[tuple[str, Filter], ...] = (
    ("single_line", single_line.apply),
    ("block_end", block_end.apply),
    ("repetition", repetition.apply),
    ("suffix_overlap", suffix_overlap.apply),
    ("balance", balance.apply),
    ("syntax_gate", syntax_gate.apply),
    ("whitespace", whitespace.apply),
)


@dataclass
class PostResult:
    """What the filters kept, which of them changed it, and what each cost (for benchmarks and ranking)."""

    text: str
    changed: list[str] = field(default_factory=list)
    ms: dict[str, float] = field(default_factory=dict)


def run_filters(text: str, ctx: PostContext) -> PostResult:
    """Run every filter (skipping those `ctx` turns off), recording changes and timings."""
    result = PostResult(text)
    for name, fn in FILTERS:
        if name in ctx.disabled:
            continue
        t0 = time.perf_counter()
        new = fn(result.text, ctx)
        result.ms[name] = (time.perf_counter() - t0) * 1000
        if new != result.text:
            result.changed.append(name)
        result.text = new
        if not new:
            break
    return result


def postprocess(text: str, ctx: PostContext) -> str:
    """Run every filter; an empty string means 'show nothing'."""
    return run_filters(text, ctx).text


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
