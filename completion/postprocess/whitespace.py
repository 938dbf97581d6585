"""No empty or whitespace-only items; no trailing whitespace; no blank tail lines."""
from __future__ import annotations

from completion.postprocess.context import PostContext


def apply(text: str, ctx: PostContext) -> str:
    lines = [ln.rstrip() for ln in text.split("\n")]
    while len(lines) > 1 and not lines[-1].strip():
        lines.pop()
    out = "\n".join(lines)
    return out if out.strip() else ""
