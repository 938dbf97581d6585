"""Stop at the end of the block the cursor is in, judged by indentation and brackets.

A later line indented less than the cursor's block ends it (Python, YAML…); when
the cursor's line opens a block (`def f():`, `if (x) {`), a line back at the
opener's indentation ends it too. A line that starts by closing a bracket the
completion did not open ends it as well (C-like languages: the `}` of the
enclosing block is usually already in the suffix). The line count is capped at
`max_lines`.
"""
from __future__ import annotations

from completion.postprocess.context import PostContext, line_indent

_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {v: k for k, v in _OPEN.items()}


def cut_index(text: str, ctx: PostContext) -> int | None:
    """Index where the block ends, or None if every line with content belongs to it.

    A last line that is only whitespace so far is not judged: its indentation is
    not known yet (this function also serves the streaming stop rule).
    """
    lines = text.split("\n")
    base = ctx.indent
    limit = base + 1 if ctx.opens_block else base  # lines indented below `limit` end the block
    depth = 0
    pos = 0
    for i, line in enumerate(lines):
        stripped = line.strip()
        if i > 0 and stripped:
            indent = line_indent(line)
            if indent < limit:
                if not (stripped[0] in _CLOSE and depth > 0):  # closing what the completion opened is fine
                    return max(0, pos - 1)
            elif depth <= 0 and stripped[0] in _CLOSE and indent <= base:
                return max(0, pos - 1)
            if i >= ctx.max_lines:
                return max(0, pos - 1)
        for ch in line:
            if ch in _OPEN:
                depth += 1
            elif ch in _CLOSE:
                depth -= 1
        pos += len(line) + 1
    return None


def apply(text: str, ctx: PostContext) -> str:
    if ctx.mode == "line":
        return text
    cut = cut_index(text, ctx)
    return text if cut is None else text[:cut]
