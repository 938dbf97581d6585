"""Keep the prompt still while the user types: the typed text continues the middle.

In PSM order everything after the cursor (the suffix) sits after the prefix in
the prompt, so a keystroke that extends the prefix invalidates the KV cache of
the whole suffix (~4.5 s per keystroke measured here). Instead, when the user
has only typed on the cursor's line since the prompt was built, we keep that
prompt — context, prefix, suffix unchanged — and append what was typed after
`<|fim_middle|>`: `<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>typed`. A keystroke
then costs one or two new tokens. The anchor is rebuilt when the cursor leaves
the line, text elsewhere changes, or the typed run grows long.
"""
from __future__ import annotations

from dataclasses import dataclass

from runtime.backend import ContextFile

MAX_TYPED = 80


@dataclass(frozen=True)
class Anchor:
    offset: int  # cursor offset when the prompt was built
    before: str  # document text before that cursor
    after: str  # document text after that cursor
    prefix: str  # prompt prefix window (the healed partial word already cut off)
    suffix: str  # prompt suffix window
    heal: str  # partial word cut from the prefix when the anchor was built
    context: tuple[ContextFile, ...] = ()
    context_paths: frozenset[str] = frozenset()
    context_tokens: int = 0
    context_report: tuple[str, ...] = ()
    context_ms: float = 0.0
    member: str = ""  # the `name.` the cursor was completing when this was built ("" if none)
    context_member: str = ""  # the `name.` whose member context `context` holds
    members: frozenset[str] = frozenset()  # the names `member` can take, when known (runtime/members.py)


def typed_since(anchor: Anchor, text: str, offset: int) -> str | None:
    """What was typed since `anchor` if that is all that changed, else None."""
    if offset < anchor.offset or offset - anchor.offset > MAX_TYPED:
        return None
    if len(text) - offset != len(anchor.after) or text[offset:] != anchor.after:
        return None
    if text[: anchor.offset] != anchor.before:
        return None
    typed = text[anchor.offset: offset]
    if "\n" in typed or "\r" in typed:
        return None
    return typed


def middle_and_heal(anchor: Anchor, typed: str, heal: str) -> tuple[str, str] | None:
    """Split `anchor.heal + typed` into the fixed middle start and the new heal text.

    Returns None when the partial word at the cursor began before the anchor's cut
    (then the prompt must be rebuilt so that healing can cut it).
    """
    full = anchor.heal + typed
    if heal and not full.endswith(heal):
        return None
    return (full[: len(full) - len(heal)] if heal else full), heal
