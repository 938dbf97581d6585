"""Mid-line: finish the current line only."""
from __future__ import annotations

from completion.postprocess.context import PostContext


def apply(text: str, ctx: PostContext) -> str:
    if ctx.mode != "line":
        return text
    return text.split("\n", 1)[0]
