"""Token healing, the generation side: which tokens may come first, and stripping the healed text.

The completion layer cuts the partial token run before the cursor out of the
prompt (`Prompt.heal`, see completion/heal.py). A backend must then generate
text that starts with exactly that run, and return only what follows it.

- A backend that sees logits (runtime/llamacpp.py) constrains each token while
  part of the heal is still missing: the token's bytes must be a prefix of what
  is missing, or start with all of it (`consistent`).
- A backend that cannot constrain (a remote server without grammars or logit
  bias) generates freely and filters on the client side with `strip_heal`: a
  completion that does not start with the heal is discarded, not shown.
Both are byte-level, so a heal that ends inside a multi-byte character works.
"""
from __future__ import annotations


def missing(out: bytes, heal: bytes) -> bytes:
    """The part of the heal not yet produced, given the bytes generated so far."""
    return heal[len(out):] if len(out) < len(heal) else b""


def consistent(piece: bytes, need: bytes) -> bool:
    """A token fits the healed text if it is a prefix of what is missing or covers all of it."""
    return bool(piece) and (need.startswith(piece) or piece.startswith(need))


def strip_heal(text: str, heal: str) -> str | None:
    """What follows the heal in `text`, or None when `text` does not reproduce it."""
    if not heal:
        return text
    return text[len(heal):] if text.startswith(heal) else None
