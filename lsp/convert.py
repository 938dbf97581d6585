"""Positions between LSP (line, character in the negotiated encoding) and string offsets.

Our own implementation rather than pygls' TextDocument helpers because we need
errors, not silent clamping, for positions outside the document and inside a
UTF-16 surrogate pair, and LSP line ends (\\n, \\r\\n, \\r) rather than Python's
`splitlines` (which also splits on U+2028, form feeds and more).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

_EOL = re.compile(r"\r\n|\r|\n")


class PositionError(ValueError):
    """A position that does not exist in the document."""


@dataclass(frozen=True)
class LineIndex:
    """Start offsets of each line, for repeated conversions on one text."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]  # offset of each line's end-of-line (or text end)

    @classmethod
    def of(cls, text: str) -> "LineIndex":
        starts, ends = [0], []
        for m in _EOL.finditer(text):
            ends.append(m.start())
            starts.append(m.end())
        ends.append(len(text))
        return cls(text, tuple(starts), tuple(ends))


def _units(ch: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(ch.encode("utf-8"))
    if encoding == "utf-32":
        return 1
    return 2 if ord(ch) > 0xFFFF else 1


def position_to_offset(index: LineIndex, line: int, character: int, encoding: str = "utf-16") -> int:
    """Offset (code points) of an LSP position; raises PositionError if it is not in the text.

    A character past the end of its line is clamped to the line end, as the LSP
    specification requires; a line past the end of the document is an error.
    """
    if line < 0 or character < 0:
        raise PositionError(f"negative position ({line}, {character})")
    if line >= len(index.starts):
        raise PositionError(f"line {line} is past the end of the document ({len(index.starts)} lines)")
    start, end = index.starts[line], index.ends[line]
    units = 0
    for i in range(start, end):
        if units == character:
            return i
        units += _units(index.text[i], encoding)
        if units > character:
            raise PositionError(f"character {character} on line {line} falls inside a multi-unit character ({encoding})")
    return end


def offset_to_position(index: LineIndex, offset: int, encoding: str = "utf-16") -> tuple[int, int]:
    from bisect import bisect_right

    offset = max(0, min(offset, len(index.text)))
    line = bisect_right(index.starts, offset) - 1
    start = index.starts[line]
    offset = min(offset, index.ends[line])
    return line, sum(_units(c, encoding) for c in index.text[start:offset])


def uri_to_path(uri: str) -> str:
    """File-system path of a file: URI; empty for other schemes (untitled:, vscode-notebook-cell:…)."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return ""
    path = unquote(parsed.path)
    if re.match(r"^/[A-Za-z]:", path):  # file:///C:/x on Windows
        path = path[1:]
    return path


def encoding_name(kind: object) -> str:
    value = str(getattr(kind, "value", kind) or "utf-16").lower()
    return value if value in ("utf-8", "utf-16", "utf-32") else "utf-16"
