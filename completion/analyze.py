"""Step 1: should we complete here, and a line or a block?

Pure functions over the request. Copilot-like rules: do not interrupt when the
cursor sits before real text on the same line (automatic trigger only); after a
block opener or on an empty line, offer a block; otherwise finish the line.
The partial identifier before the cursor becomes the token-healing text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from completion.types import Request

_CLOSERS_ONLY = re.compile(r"[\s)\]}>'\"`;:,.]*")
_BLOCK_OPENERS = (":", "{", "(", "[", "=>", "->")
# BPE vocabularies attach a leading space to the next word (" self"), so a trailing
# space, or the space before a partial word, is healed along with the word.
_HEAL = re.compile(r"(?<=\S) ?[A-Za-z_][A-Za-z0-9_]*$|\.$|(?<=\S) $")


@dataclass(frozen=True)
class Analysis:
    should_complete: bool
    reason: str
    mode: str  # line | block
    indent: str  # indentation of the cursor's line
    heal: str  # partial token before the cursor that the completion must extend


def indentation(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def analyze(request: Request, *, single_line_mid_line: bool = True, healing: bool = True) -> Analysis:
    line_prefix, line_suffix = request.line_prefix, request.line_suffix
    indent = indentation(line_prefix)
    if request.trigger == "automatic" and not _CLOSERS_ONLY.fullmatch(line_suffix):
        return Analysis(False, "text after the cursor", "line", indent, "")
    stripped = line_prefix.rstrip()
    if not stripped:
        mode = "block"
    elif stripped.endswith(_BLOCK_OPENERS) and line_prefix == stripped and not line_suffix.strip():
        mode = "block"
    else:
        mode = "line" if single_line_mid_line else "block"
    heal = ""
    if healing and mode == "line" and line_prefix.strip():
        match = _HEAL.search(line_prefix)
        heal = match.group(0) if match else ""
    return Analysis(True, "", mode, indent, heal)
