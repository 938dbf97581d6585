"""How much of an accepted completion is still in the document a while later.

Accepting is cheap and undoing is common, so "accepted" alone overstates a
suggestion's value; Copilot measures the text that survives. We find where the
completion was inserted again by its anchor — the text that preceded the cursor
— nearest to the original offset (edits above it move it), then count the
characters of the completion that still match in a window there.
"""
from __future__ import annotations

from difflib import SequenceMatcher

ANCHOR_CHARS = 120
SLACK_CHARS = 80
MIN_RUN = 4


def locate(text: str, anchor: str, hint: int) -> int:
    """Offset just after the occurrence of `anchor` nearest to `hint` (or `hint` clamped)."""
    hint = max(0, min(hint, len(text)))
    for size in (len(anchor), 60, 30, 12):
        piece = anchor[-size:] if size else ""
        if not piece.strip():
            continue
        best, pos = None, text.find(piece)
        while pos >= 0:
            end = pos + len(piece)
            if best is None or abs(end - hint) < abs(best - hint):
                best = end
            pos = text.find(piece, pos + 1)
        if best is not None:
            return best
    return hint


def survived_chars(accepted: str, text: str, anchor: str, hint: int) -> int:
    """Characters of `accepted` found, in order, at its insertion point in `text`."""
    if not accepted:
        return 0
    start = locate(text, anchor, hint)
    window = text[start: start + len(accepted) + SLACK_CHARS]
    matcher = SequenceMatcher(None, accepted, window, autojunk=False)
    # Runs shorter than MIN_RUN are coincidences (a space, a bracket), not surviving text.
    return sum(block.size for block in matcher.get_matching_blocks() if block.size >= MIN_RUN)


def survival(accepted: str, text: str, anchor: str, hint: int) -> float:
    return survived_chars(accepted, text, anchor, hint) / len(accepted) if accepted else 0.0
