"""Tree-sitter access for the cursor's neighbourhood: grammars, a bounded window, error counts.

Why a window and not the file: the syntax gate and the line-or-block decision
run on every request, and tree-sitter's cost grows with the text *and* with
how much error recovery it needs. A 10k-line file costs tens of milliseconds;
a window of whole top-level constructs around the cursor costs about one.
The window starts at the nearest line that begins a top-level construct
(column 0, not a closing bracket) and ends before the next one after the
cursor, so that it cuts no construct in half — a window that starts inside a
docstring makes the parser recover from errors and costs ten times more.

Parsers are not thread-safe, so each thread gets its own (thread-local cache).
"""
from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

# LSP language id -> (module, function returning the grammar)
_GRAMMARS: dict[str, tuple[str, str]] = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "javascriptreact": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "typescriptreact": ("tree_sitter_typescript", "language_tsx"),
    "java": ("tree_sitter_java", "language"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
}
_languages: dict[str, Any] = {}
_local = threading.local()
_CLOSERS = ")]}"

MAX_LINES_BEFORE = 80
MAX_LINES_AFTER = 40
MAX_HEADER_SCAN = 200_000  # characters searched above the window for the enclosing constructs' headers


def supported(language: str) -> bool:
    return language in _GRAMMARS


def _language(language: str) -> Any | None:
    if language in _languages:
        return _languages[language]
    spec = _GRAMMARS.get(language)
    lang = None
    if spec is not None:
        try:
            import importlib

            import tree_sitter

            lang = tree_sitter.Language(getattr(importlib.import_module(spec[0]), spec[1])())
        except (ImportError, AttributeError, ValueError) as exc:  # a missing grammar wheel disables the checks
            log.warning("no tree-sitter grammar for %s: %s", language, exc)
    _languages[language] = lang
    return lang


def parser_for(language: str) -> Any | None:
    """This thread's parser for an LSP language id, or None when there is no grammar."""
    cache: dict[str, Any] = getattr(_local, "parsers", None) or {}
    _local.parsers = cache
    if language not in cache:
        lang = _language(language)
        if lang is None:
            cache[language] = None
        else:
            import tree_sitter

            cache[language] = tree_sitter.Parser(lang)
    return cache[language]


@dataclass(frozen=True)
class SyntaxWindow:
    """Whole lines around the cursor: `head` ends at the cursor, `tail` starts there."""

    head: str
    tail: str

    def text(self, middle: str = "") -> str:
        return self.head + middle + self.tail


def _starts_construct(line: str) -> bool:
    return bool(line) and not line[0].isspace() and line[0] not in _CLOSERS


def _continues_header(line: str) -> bool:
    """Is `line`, directly above a construct's first line, the start of the same header (C's `static
    int` / `count(int n)`)? Only under an Allman-style brace is this asked."""
    stripped = line.rstrip()
    return _starts_construct(line) and not stripped.endswith((";", "{", "}")) and not line.startswith(("#", "//", "/*"))


def _indent_width(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def enclosing_header(text: str, indent: int, max_chars: int = MAX_HEADER_SCAN) -> str:
    """The header lines of every construct around the end of `text` (class, then method…), or "".

    For a window whose first line is indented by `indent`: the nearest line
    indented less, if it ends by opening a block (`{`, `:`), then the same again
    above it, up to a header at column 0. A window that starts inside a method of
    a long class parses badly without them: a TypeScript or Java method alone is
    not a valid program, so the whole window became one ERROR node, and error
    recovery then differed with and without a completion — the syntax gate cut
    `notifyManager.batch(() => {` to `batch(() =>` on the dev benchmark. "" when
    the chain does not reach column 0 (a header that does not open a block, or
    none in the last `max_chars` of `text`: the cost stays bounded in huge files).
    """
    headers: list[str] = []
    end, floor = len(text), max(0, len(text) - max_chars)
    while indent > 0:
        start = _last_line_indented_below(text, floor, end, indent)
        if start is None:
            return ""
        line_end = text.find("\n", start, end)
        line = text[start : end if line_end < 0 else line_end]
        if not line.rstrip().endswith(("{", ":")):
            return ""
        indent = _indent_width(line)
        first = _header_start(text, start, indent)
        if first is None:
            return ""
        headers.append(text[first : start + len(line)] + "\n")
        end = first
    return "".join(reversed(headers))


@lru_cache(maxsize=64)
def _indented_below(indent: int) -> re.Pattern[str]:
    """A newline before a non-blank line indented less than `indent` (starts with a literal: fast in C)."""
    return re.compile(r"\n(?![ \t]{%d})(?=[ \t]*\S)" % indent)


def _last_line_indented_below(text: str, floor: int, end: int, indent: int) -> int | None:
    """Start of the last non-blank line in text[floor:end] indented less than `indent` (nearest first)."""
    pattern, span = _indented_below(indent), 2048
    while True:
        lo = max(floor, end - span)
        found = None
        for m in pattern.finditer(text, max(0, lo - 1), end):
            found = m.start() + 1
        if found is not None:
            return found
        if lo == floor:
            nl = text.find("\n", 0, end)
            first = text[: nl if nl >= 0 else end]
            return 0 if floor == 0 and first.strip() and _indent_width(first) < indent else None
        span *= 8


def _header_start(text: str, start: int, indent: int, max_lines: int = 40) -> int | None:
    """Where the header whose last line starts at `start` begins.

    A header split over lines (`export class Mutation<` … `> extends Removable {`)
    begins at the nearest line at most as indented that starts with a word.
    """
    for _ in range(max_lines):
        nl = text.find("\n", start)
        line = text[start : nl if nl >= 0 else len(text)]
        body = line.lstrip(" \t")
        if _indent_width(line) <= indent and body and (body[0].isalnum() or body[0] in "_$@#"):
            return start
        if start == 0:
            return None
        start = text.rfind("\n", 0, start - 1) + 1
    return None


def window(prefix: str, suffix: str, max_before: int = MAX_LINES_BEFORE, max_after: int = MAX_LINES_AFTER) -> SyntaxWindow:
    """Cut `prefix`/`suffix` (text before/after the cursor) to whole constructs around the cursor.

    Only the lines in reach are split off and parsed; inside a construct longer than the
    reach, the headers of the constructs around it are searched above (a bounded regex
    scan, `enclosing_header`) and put before the window, so the window parses as it does
    in the file.
    """
    lines = prefix.rsplit("\n", max_before + 1)
    beyond = ""
    if len(lines) > max_before + 1:
        beyond, lines = lines[0], lines[1:]  # the first piece is everything beyond reach
    current = len(lines) - 1
    start = None
    allman = False
    for i in range(current, -1, -1):
        if _starts_construct(lines[i]):
            start = i
            if lines[i][0] != "{":
                while allman and start > 0 and _continues_header(lines[start - 1]):
                    start -= 1  # `static int` above `count(int n)`
                break
            # An Allman-style brace (`int main()` / `{`): its construct starts at the header above it.
            allman = True
    header = ""
    if start is None:  # inside a long construct: the least indented line in reach
        best = None
        for i in range(current, -1, -1):
            line = lines[i]
            if line.strip() and line.lstrip()[0] not in _CLOSERS:
                if best is None or _indent_width(line) < _indent_width(lines[best]):
                    best = i
        start = best if best is not None else 0
        if beyond and lines[start].strip():
            header = enclosing_header(beyond, _indent_width(lines[start]))
    head = header + "\n".join(lines[start:])

    after = suffix.split("\n", max_after + 1)
    end = min(len(after), max_after + 1)
    for i in range(1, end):
        if _starts_construct(after[i]):
            end = i
            break
    tail = "\n".join(after[:end])
    if end < len(after):
        tail += "\n"
    return SyntaxWindow(head, tail)


def parse(language: str, text: str) -> Any | None:
    """A tree for `text`, or None when the language has no grammar."""
    parser = parser_for(language)
    if parser is None:
        return None
    return parser.parse(text.encode("utf-8"))


def error_count(tree: Any, before: int | None = None) -> int:
    """ERROR and MISSING nodes in the tree (an ERROR subtree counts once).

    With `before` (a byte offset), only nodes that start before it count: the
    window's far end may cut a construct (a docstring, say) and the errors
    that causes say nothing about the completion.
    """
    if not tree.root_node.has_error:
        return 0
    count = 0
    cursor = tree.walk()
    while True:
        node = cursor.node
        descend = True
        if before is not None and node.start_byte >= before:
            descend = False
        elif node.is_error:
            count += 1
            descend = False
        elif node.is_missing:
            count += 1
        elif not node.has_error:
            descend = False
        if descend and cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return count
