"""Token healing, the prompt side: what to cut from the text before the cursor.

While typing, the cursor usually sits inside a token the model would have
produced whole (`'{}'.fo|` → `.format`, `return sel|` → ` self`, `a <|` → ` <=`).
Ending the prompt in the middle of such a token shows the model a split it
never saw in training, and a small model then continues wrongly (`foormat`).
So we cut the prompt back to a likely token boundary *before* the partial run
and make the backend regenerate it: its first tokens are constrained to be
consistent with the cut text (runtime/healing.py), and the cut text is stripped
from the result again.

What is cut (the "heal" text), at the end of the cursor's line:
- a partial word, with the one character before it when that is a space, a
  tab or a dot, because BPE vocabularies glue those to the word: Qwen2.5
  tokenizes `    return x` as `'   ', ' return', ' x'`, `\treturn` as one
  token, `a.format(` as `' a', '.format', '('` — so the cut lands on the
  boundary the tokenizer itself would use;
- a lone trailing dot (`obj.|`), with nothing before it;
- a partial operator run (`a <`, `x -`, `i +`), with its leading space;
- whitespace (`whitespace_heal`, applied by the engine whatever the mode): a
  single trailing space after code (BPE glues it to the next word, ` math`),
  and on a line of indentation only its last character — Qwen's pre-tokenizer
  splits `        click` as 7 spaces + ` click`, so a prompt ending in all 8 is a
  split the model never saw (the 0.5B model answered `    click.echo(…)`, 4
  spaces too many, at the start of indented statements in the context benchmark);
A longer cut costs nothing in quality — the constraint only narrows the first
tokens — and a few prompt tokens in time.

The layout where typed text continues the middle (`<|fim_middle|>typed`, see
`FimTemplate.render(middle_start=...)`) is supported by `split_for_healing`:
the heal is taken from the typed run first, so the FIM prefix (and its KV
cache) stays put while the user types inside a word.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_OPERATOR = re.compile(r"(?: )?[=<>!&|+\-*/%^~:]+$")


@dataclass(frozen=True)
class HealRules:
    """Which partial runs are healed (kept as flags so benchmarks can compare them)."""

    words: bool = True
    lead: bool = True  # include the space or dot before a word
    operators: bool = True


def heal_text(line_prefix: str, rules: HealRules = HealRules()) -> str:
    """The text to cut from the end of `line_prefix` and regenerate ('' for none)."""
    if not line_prefix or line_prefix[-1].isspace():
        return ""
    if rules.words:
        m = re.search(r"[^\W\d]\w*$", line_prefix)
        if m:
            start = m.start()
            if rules.lead and start > 0 and line_prefix[start - 1] in " \t.":
                start -= 1
            return line_prefix[start:]
        if line_prefix.endswith("."):
            return "."
    if rules.operators:
        m = _OPERATOR.search(line_prefix)
        if m and line_prefix[: m.start()].strip():
            return m.group(0)
    return ""


def indent_only(line_prefix: str) -> bool:
    """The cursor line holds indentation and nothing else (and is not empty)."""
    return bool(line_prefix) and not line_prefix.strip(" \t")


def whitespace_heal(line_prefix: str, mode: str) -> str:
    """The trailing whitespace to cut when `heal_text` found no partial token ('' for none)."""
    if indent_only(line_prefix):
        return line_prefix[-1]
    if mode == "line" and line_prefix.endswith(" ") and line_prefix.rstrip() and not line_prefix.endswith("  "):
        return " "
    return ""


def split_for_healing(prefix: str, heal: str, middle_start: str = "") -> tuple[str, str]:
    """(FIM prefix, middle start) with `heal` removed from the end of `prefix + middle_start`.

    The text before the cursor is `prefix + middle_start`; the heal comes off
    the typed run first and only reaches into the prefix when the run is shorter.
    """
    if not heal:
        return prefix, middle_start
    if not (prefix + middle_start).endswith(heal):
        raise ValueError(f"heal text {heal!r} is not at the cursor")
    if len(heal) <= len(middle_start):
        return prefix, middle_start[: len(middle_start) - len(heal)]
    rest = len(heal) - len(middle_start)
    return prefix[: len(prefix) - rest], ""
