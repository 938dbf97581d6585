"""No empty or whitespace-only items; no trailing whitespace; no blank tail lines.

At a cursor on a line of indentation only, the first line starts at the cursor:
whitespace the model puts before it would be a deeper indent than the editor
chose (after healing the last indent character the 0.5B model sometimes answered
`    if …`, shown as `   if …` — misaligned Python), so it is dropped.
"""
from __future__ import annotations

from completion.heal import indent_only
from completion.postprocess.context import PostContext


def apply(text: str, ctx: PostContext) -> str:
    if indent_only(ctx.line_prefix):
        first, nl, rest = text.partition("\n")
        text = first.lstrip(" \t") + nl + rest
    lines = [ln.rstrip() for ln in text.split("\n")]
    while len(lines) > 1 and not lines[-1].strip():
        lines.pop()
    out = "\n".join(lines)
    return out if out.strip() else ""
