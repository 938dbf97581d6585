"""Cut a completion that starts repeating itself or the lines just above the cursor.

Small models loop; a block that repeats its own line three times, or re-emits
the line just above the cursor as its second line, is cut before the repeat.
A FIM model also restates the one word the line holds so far: after `    assert `
the 0.5B model answered `assert click.get_current_context() is None` (context
benchmark); `assert assert …` is never meant, so the restated word goes.
"""
from __future__ import annotations

import re

from completion.postprocess.context import PostContext

_LONE_WORD = re.compile(r"^[ \t]*([^\W\d]\w*) $")


def restated_word(text: str, ctx: PostContext) -> str:
    """`text` without a leading restatement of the line's only word (`assert ` + `assert x` → `x`)."""
    m = _LONE_WORD.match(ctx.line_prefix)
    if m and text.startswith(m.group(1) + " ") and text[len(m.group(1)) + 1:].strip():
        return text[len(m.group(1)) + 1:]
    return text


_QUALIFIER = re.compile(r"(?<![\w.])([^\W\d]\w*)(\.|::)$")
# Modules whose best-known member has the module's own name, so `W.W.` is meant (`datetime.datetime.now()`).
SAME_NAMED_MEMBERS = frozenset({"datetime"})


def restated_qualifier(text: str, ctx: PostContext) -> str:
    """`click.` + `click.echo(…)` → `echo(…)`: asked to continue `click.`, the model restated the
    qualifier (the 0.5B model, at a healed lone dot, in 4 of 57 `member` cases of the dev benchmark:
    `click.click.echo(…)` on screen). Kept where the document spells `W.W.` itself or W is one of
    SAME_NAMED_MEMBERS — there the repeat is meant."""
    m = _QUALIFIER.search(ctx.line_prefix)
    if m is None:
        return text
    word, sep = m.group(1), m.group(2)
    restated = word + sep
    if (not text.startswith(restated) or not text[len(restated):].strip() or word in SAME_NAMED_MEMBERS
            or restated + restated in ctx.prefix + ctx.suffix):
        return text
    return text[len(restated):]


def apply(text: str, ctx: PostContext) -> str:
    text = restated_qualifier(restated_word(text, ctx), ctx)
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
