"""What the filters know about the cursor."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from completion import syntax


@dataclass(frozen=True)
class PostContext:
    line_prefix: str  # cursor line, before the cursor
    line_suffix: str  # cursor line, after the cursor
    suffix: str  # document text after the cursor
    prefix: str = ""  # document text before the cursor (may be windowed)
    mode: str = "block"  # line | block
    max_lines: int = 12
    language: str = ""
    disabled: frozenset[str] = frozenset()  # filter names to skip (settings, benchmarks)
    # All the document before the cursor when `prefix` is a window of it: the syntax window looks
    # above `prefix` for the header of the construct it starts inside (syntax.enclosing_header).
    document_prefix: str = ""

    @cached_property
    def syntax_window(self) -> syntax.SyntaxWindow:
        """The tree-sitter window around the cursor, shared by the filters that parse."""
        return syntax.window(self.document_prefix or self.prefix, self.suffix)

    @property
    def indent(self) -> int:
        """Columns of the block the cursor is in (tabs count as 4)."""
        stripped = self.line_prefix.lstrip(" \t")
        if stripped:
            return _width(self.line_prefix[: len(self.line_prefix) - len(stripped)])
        return _width(self.line_prefix)

    @property
    def opens_block(self) -> bool:
        return self.line_prefix.rstrip().endswith((":", "{", "(", "[", "=>"))


def _width(ws: str) -> int:
    return sum(4 if c == "\t" else 1 for c in ws)


def line_indent(line: str) -> int:
    return _width(line[: len(line) - len(line.lstrip(" \t"))])
