"""Bracket and quote balance against the suffix: do not close what the suffix already closes.

Editors auto-close brackets and quotes, so the text after the cursor often
already holds the `)` or `"` the model is about to write. `suffix_overlap`
drops such a closer when it ends the completion; this filter handles it in the
middle (`b), c` before a suffix `)`) and closers that match nothing at all. It
is a plain text scan (strings and line comments skipped), so it works for every
language, with or without a tree-sitter grammar.
"""
from __future__ import annotations

from completion.postprocess.context import PostContext

_PAIRS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {v: k for k, v in _PAIRS.items()}
_HASH_COMMENT = {"python", "ruby", "shellscript", "perl", "r", "yaml", "toml"}
_BACKTICK = {"javascript", "javascriptreact", "typescript", "typescriptreact", "go", "shellscript"}


def _comment_mark(language: str) -> str:
    return "#" if language in _HASH_COMMENT else "//"


def _quotes(language: str) -> str:
    """String delimiters: backticks only where they quote, no `'` in Rust (lifetimes)."""
    quotes = "\"" if language == "rust" else "\"'"
    return quotes + ("`" if language in _BACKTICK else "")


class _Scanner:
    """Walks code characters, skipping strings and line comments; remembers an open quote."""

    def __init__(self, comment: str, quotes: str) -> None:
        self.comment, self.quotes = comment, quotes
        self.quote = ""  # the open string delimiter at the end of the scan ('' if none)

    def code(self, text: str):
        """Yield (index, char) for each bracket outside strings and comments."""
        i, n = 0, len(text)
        while i < n:
            ch = text[i]
            if self.quote:
                if ch == "\\":
                    i += 2
                    continue
                if text.startswith(self.quote, i):
                    i += len(self.quote)
                    self.quote = ""
                    continue
                if ch == "\n" and len(self.quote) == 1 and self.quote != "`":
                    self.quote = ""
                i += 1
                continue
            if ch in self.quotes:
                triple = text[i : i + 3]
                self.quote = triple if ch in "\"'" and triple == ch * 3 else ch
                i += len(self.quote)
                continue
            if text.startswith(self.comment, i):
                nl = text.find("\n", i)
                i = n if nl < 0 else nl
                continue
            if ch in _PAIRS or ch in _CLOSERS:
                yield i, ch
            i += 1


def open_brackets(text: str, comment: str = "//", quotes: str = "\"'") -> tuple[list[str], str]:
    """Unclosed openers (bottom first) and the open quote ('' if none) at the end of `text`."""
    scan = _Scanner(comment, quotes)
    stack: list[str] = []
    for _, ch in scan.code(text):
        if ch in _PAIRS:
            stack.append(ch)
        elif stack and stack[-1] == _CLOSERS[ch]:
            stack.pop()
        else:
            stack.clear()  # unbalanced before the cursor: stop reasoning about it
    return stack, scan.quote


def closers_for(text: str, language: str) -> str | None:
    """The closers of the brackets `text` leaves open, innermost first; None when it ends inside a string."""
    stack, quote = open_brackets(text, _comment_mark(language), _quotes(language))
    return None if quote else "".join(_PAIRS[c] for c in reversed(stack))


def leading_closers(suffix: str, comment: str = "//", quotes: str = "\"'") -> int:
    """How many brackets the suffix closes that it did not open itself."""
    depth = closed = 0
    for _, ch in _Scanner(comment, quotes).code(suffix):
        if ch in _PAIRS:
            depth += 1
        elif depth:
            depth -= 1
        else:
            closed += 1
    return closed


def cut_index(text: str, ctx: PostContext) -> int | None:
    """Where the completion starts closing what it must not, or None."""
    comment, quotes = _comment_mark(ctx.language), _quotes(ctx.language)
    win = ctx.syntax_window
    outer, quote = open_brackets(win.head, comment, quotes)
    if quote:
        # Inside a string: stop before the completion closes it if the rest of the line already does.
        if len(quote) == 1 and ctx.line_suffix.lstrip().startswith(quote):
            return _find_unescaped(text, quote)
        return None
    closable = max(0, len(outer) - leading_closers(win.tail, comment, quotes))  # openers the suffix leaves open
    own: list[str] = []
    for i, ch in _Scanner(comment, quotes).code(text):
        if ch in _PAIRS:
            own.append(ch)
        elif own:
            if own[-1] != _CLOSERS[ch]:
                return i
            own.pop()
        elif outer and closable > 0 and outer[-1] == _CLOSERS[ch]:
            outer.pop()
            closable -= 1
        else:
            return i
    return None


def _find_unescaped(text: str, quote: str) -> int | None:
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i
        i += 1
    return None


def apply(text: str, ctx: PostContext) -> str:
    cut = cut_index(text, ctx)
    return text if cut is None else text[:cut].rstrip()
