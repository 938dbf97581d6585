"""Positions between LSP (line, character in the negotiated encoding) and string offsets.

Our own implementation rather than pygls' TextDocument helpers because we need
errors, not silent clamping, for positions outside the document and inside a
UTF-16 surrogate pair, and LSP line ends (\\n, \\r\\n, \\r) rather than Python's
`splitlines` (which also splits on U+2028, form feeds and more).

Why lazy, chunked line lookup instead of a list of line starts: a document of
tens of MB has millions of lines, and building that list in Python costs more
than a second on every request and every keystroke. `str.count`/`str.find` run
in C, so counting line ends chunk by chunk finds any line in milliseconds.
Columns are measured by encoding the one line (also in C), never by a Python
loop over its characters, so a 10 MB minified line is as cheap as a short one.
"""
from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlparse

_EOL = re.compile(r"\r\n|\r|\n")
_CHUNK = 1 << 16


class PositionError(ValueError):
    """A position that does not exist in the document."""


class LineIndex:
    """Line lookups on one text, for repeated conversions (cheap to build: nothing is precomputed)."""

    __slots__ = ("text", "_cr", "_count")

    def __init__(self, text: str) -> None:
        self.text = text
        self._cr = "\r" in text  # without \r, counting \n alone is exact
        self._count: int | None = None

    @classmethod
    def of(cls, text: str) -> "LineIndex":
        return cls(text)

    def _eols(self, start: int, end: int) -> int:
        """Line ends in text[start:end] (callers never split a \\r\\n pair)."""
        text = self.text
        n = text.count("\n", start, end)
        if self._cr:
            n += text.count("\r", start, end) - text.count("\r\n", start, end)
        return n

    @property
    def line_count(self) -> int:
        if self._count is None:
            self._count = self._eols(0, len(self.text)) + 1
        return self._count

    def line_start(self, line: int) -> int:
        """Offset of the first character of `line` (0-based, must exist)."""
        if line == 0:
            return 0
        text, pos, seen = self.text, 0, 0
        while pos < len(text):
            end = min(len(text), pos + _CHUNK)
            if end < len(text) and text[end - 1] == "\r" and text[end] == "\n":
                end += 1  # keep a \r\n pair in one chunk
            n = self._eols(pos, end)
            if seen + n >= line:
                for m in _EOL.finditer(text, pos, end):
                    seen += 1
                    if seen == line:
                        return m.end()
            seen += n
            pos = end
        raise PositionError(f"line {line} is past the end of the document ({self.line_count} lines)")

    def line_end(self, start: int) -> int:
        """Offset of the end-of-line (or text end) of the line starting at `start`."""
        text = self.text
        nl = text.find("\n", start)
        if self._cr:
            cr = text.find("\r", start, nl if nl >= 0 else len(text))
            if cr >= 0:
                return cr
        return nl if nl >= 0 else len(text)


def _units(segment: str, encoding: str) -> int:
    """Length of `segment` in the encoding's code units (lone surrogates count as one unit each)."""
    if encoding == "utf-32" or segment.isascii():
        return len(segment)
    if encoding == "utf-8":
        return len(segment.encode("utf-8", "surrogatepass"))
    return len(segment.encode("utf-16-le", "surrogatepass")) // 2


def _column_offset(line_text: str, character: int, encoding: str) -> int:
    """Code points in `line_text` before `character` units; PositionError inside a multi-unit character."""
    if encoding == "utf-32" or line_text.isascii():
        return min(character, len(line_text))
    if encoding == "utf-8":
        data = line_text.encode("utf-8", "surrogatepass")
        if character >= len(data):
            return len(line_text)
        try:
            return len(data[:character].decode("utf-8", "surrogatepass"))
        except UnicodeDecodeError:
            raise PositionError(f"character {character} falls inside a multi-byte character (utf-8)") from None
    data = line_text.encode("utf-16-le", "surrogatepass")
    if character * 2 >= len(data):
        return len(line_text)
    head = data[: character * 2]
    if head and 0xD8 <= head[-1] <= 0xDB:  # last unit is a high surrogate: we are inside a pair
        low = data[character * 2 + 1]
        if 0xDC <= low <= 0xDF:
            raise PositionError(f"character {character} falls inside a surrogate pair (utf-16)")
    return len(head.decode("utf-16-le", "surrogatepass"))


def position_to_offset(index: LineIndex, line: int, character: int, encoding: str = "utf-16") -> int:
    """Offset (code points) of an LSP position; raises PositionError if it is not in the text.

    A character past the end of its line is clamped to the line end, as the LSP
    specification requires; a line past the end of the document is an error.
    """
    if line < 0 or character < 0:
        raise PositionError(f"negative position ({line}, {character})")
    if line >= index.line_count:
        raise PositionError(f"line {line} is past the end of the document ({index.line_count} lines)")
    start = index.line_start(line)
    end = index.line_end(start)
    try:
        return start + _column_offset(index.text[start:end], character, encoding)
    except PositionError as exc:
        raise PositionError(f"{exc} on line {line}") from None


def offset_to_position(index: LineIndex, offset: int, encoding: str = "utf-16") -> tuple[int, int]:
    """LSP position of a code-point offset (clamped into the text, and out of a line's end-of-line)."""
    text = index.text
    offset = max(0, min(offset, len(text)))
    if 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n":
        offset -= 1  # between \r and \n: that is the end of the line
    line = index._eols(0, offset)
    start = max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1
    return line, _units(text[start:offset], encoding)


def uri_to_path(uri: str) -> str:
    """File-system path of a file: URI; empty for other schemes (untitled:, vscode-notebook-cell:…).

    The path is normalised (no `..` segments), so that checks like "is this inside
    the workspace?" cannot be fooled; a path with a NUL byte is not a path.
    """
    try:
        parsed = urlparse(uri)
    except ValueError:  # e.g. an invalid IPv6 netloc
        return ""
    if parsed.scheme != "file":
        return ""
    path = unquote(parsed.path)
    if not path or "\x00" in path:
        return ""
    if re.match(r"^/[A-Za-z]:", path):  # file:///C:/x on Windows
        path = path[1:]
    return os.path.normpath(path)


def encoding_name(kind: object) -> str:
    value = str(getattr(kind, "value", kind) or "utf-16").lower()
    return value if value in ("utf-8", "utf-16", "utf-32") else "utf-16"
