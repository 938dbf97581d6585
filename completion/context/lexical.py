"""Is the cursor in code, or inside a comment or string that spans lines?

The member rule constrains what follows `name.` to the names `name` has. In prose that is wrong:
a docstring's `see click.palletsprojects.com`, a block comment's `Uses Foo.bar to …` name what
they like. The line-only checks (`usages.in_string`, `usages.in_comment`) see a `# …`, a `// …`,
a one-line string and a ` * ` line of a block comment; a Python docstring's lines, a `/* … */`
block whose lines do not start with `*`, and a JS template literal or Go raw string need the text
above the cursor. This is a regex lexer over that text: it skips one-line strings and line
comments and follows the constructs that span lines, which is what decides where the cursor is.
It does not parse: no tree is needed (the first request in a file often has none), and a 100 KB
prefix scans in about a millisecond. While the member is typed (`name.x|`, `name.xy|`) the text
above the cursor's line stays the same, so the scan resumes from the last place it knew to be code
at or before that line's start (`_RESUME`, keyed by that text's hash) instead of starting over.

Known limits (all rare in real code): escaped triple quotes inside a docstring, raw strings of
C++ (`R"(…)"`) and Rust (`r#"…"#`), and a backtick nested inside a template literal's `${…}`.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from functools import lru_cache

# At most this much text above the cursor is scanned. Longer prefixes start at a line the
# language marks as code (a top-level `def`/`class` in Python), or at a line start otherwise.
MAX_SCAN_CHARS = 200_000

_JS = frozenset({"javascript", "javascriptreact", "typescript", "typescriptreact"})
_HASH_COMMENT = frozenset({"python"})
_PY_TOP_LEVEL = re.compile(r"^(?:def|class|async\s+def)\s", re.M)

_DQ = r'"(?:\\.|[^"\\\n])*"?'
_SQ = r"'(?:\\.|[^'\\\n])*'?"
_CHAR = r"'(?:\\.|[^'\\\n])'"  # a character literal; Rust's `'a` lifetime is not one
_ONE_LINE_STRING = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'')  # closed, not a comment
# The closer of each construct that spans lines, found from its opener.
_CLOSERS = {'"""': '"""', "'''": "'''", "/*": "*/", "`": "`"}

# Text above the cursor's line → a position at or before the line's start where the lexer is in code.
# Only prefixes longer than RESUME_MIN_CHARS are remembered: shorter ones scan faster than they hash.
RESUME_MIN_CHARS = 8_192
_RESUME_SIZE = 16
_RESUME: OrderedDict[tuple[str, int, int], int] = OrderedDict()
_RESUME_LOCK = threading.Lock()  # context is gathered off the event loop; an older request may still run


@lru_cache(maxsize=None)
def _tokens(language: str) -> re.Pattern[str]:
    """Openers of multi-line constructs, and the one-line strings and comments to skip over."""
    if language in _HASH_COMMENT:
        parts = ['"""', "'''", r"#[^\n]*", _DQ, _SQ]
    else:
        parts = [r"/\*", r"//[^\n]*", _DQ]
        if language in _JS or language == "go":
            parts += [_SQ, "`"]
        elif language == "rust":
            parts += [_CHAR]
        else:
            parts += [_SQ]
    return re.compile("|".join(parts))


def _scan_start(text: str, end: int, language: str) -> int:
    """Where to start scanning `text[:end]`: its start when short enough, else a line that is code."""
    if end <= MAX_SCAN_CHARS:
        return 0
    floor = end - MAX_SCAN_CHARS
    if language in _HASH_COMMENT:
        m = _PY_TOP_LEVEL.search(text, floor, end)  # the first top-level definition in the window: code
        if m is not None:
            return m.start()
    nl = text.find("\n", floor, end)
    return nl + 1 if nl >= 0 else floor


def _inside_interpolation(text: str, opener: int, start: int, end: int, language: str) -> bool:
    """In a template literal (`…${user.|`) or a triple-quoted f-string's braces the cursor is in code."""
    body = text[start:end]
    if language in _JS:
        at = body.rfind("${")
    elif language in _HASH_COMMENT and "f" in text[max(0, opener - 2): opener].lower():
        at = body.rfind("{")
    else:
        return False
    return at >= 0 and "}" not in body[at:]


def in_code(text: str, offset: int, language: str) -> bool:
    """False when `offset` lies inside a comment or string, one-line or spanning lines (a Python
    docstring, a `/* … */` block, a JS template literal outside `${…}`, a Go raw string)."""
    pattern = _tokens(language)
    line_start = text.rfind("\n", 0, offset) + 1
    key = resume_key(text, line_start, language)
    with _RESUME_LOCK:
        pos = _RESUME.get(key) if key is not None else None
    if pos is None:
        pos = _scan_start(text, line_start, language)
    resume = pos  # the lexer is in code at every value `pos` takes; the last one up to the line start is kept
    try:
        while True:
            m = pattern.search(text, pos, offset)
            if m is None:
                return True
            token = m.group()
            closer = _CLOSERS.get(token)
            if closer is None:
                if m.end() == offset and not _ONE_LINE_STRING.fullmatch(token):
                    return False  # the cursor ends an open one-line string or a line comment
                pos = m.end()
            else:
                body_start = m.end()
                close = _find_closer(text, closer, body_start, offset)
                if close < 0:
                    return token != "/*" and _inside_interpolation(text, m.start(), body_start, offset, language)
                pos = close + len(closer)
            if pos <= line_start:
                resume = pos
    finally:
        if key is not None:
            with _RESUME_LOCK:
                _RESUME[key] = resume
                _RESUME.move_to_end(key)
                if len(_RESUME) > _RESUME_SIZE:
                    _RESUME.popitem(last=False)


def resume_key(text: str, line_start: int, language: str) -> tuple[str, int, int] | None:
    """The `_RESUME` key of the text above a line, None where that text is too short to be worth remembering."""
    return (language, line_start, hash(text[:line_start])) if line_start >= RESUME_MIN_CHARS else None


def _find_closer(text: str, closer: str, start: int, end: int) -> int:
    """The closer's index in `text[start:end]`, skipping backslash escapes; -1 when still open."""
    pos = start
    while True:
        at = text.find(closer, pos, end)
        if at < 0:
            return -1
        backslashes = 0
        while at - backslashes - 1 >= start and text[at - backslashes - 1] == "\\":
            backslashes += 1
        if closer == "*/" or backslashes % 2 == 0:
            return at
        pos = at + 1
