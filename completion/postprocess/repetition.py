"""Cut a completion that starts repeating itself or the lines just above the cursor.

Small models loop; a block that repeats its own line three times, or re-emits
the line just above the cursor as its second line, is cut before the repeat.
"""
from __future__ import annotations

from completion.postprocess.context import PostContext


def apply(text: str, ctx: PostContext) -> str:
    lines = text.split("\n")
    above = [ln.strip() for ln in ctx.prefix.split("\n")[:-1] if ln.strip()][-3:]
    out: list[str] = []
    for i, line in enumerate(lines):
        key = line.strip()
        if key and i > 0 and out.count(line) >= 2:
            break
        if key and i > 0 and key in above and len(key) > 8:
            break
        out.append(line)
    return "\n".join(out)
