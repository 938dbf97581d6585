"""Where the cursor is lexically: code, or a comment or string (one-line or spanning lines)."""
from __future__ import annotations

import io
import random
import re
import tokenize
from pathlib import Path

import pytest

from completion.context import lexical
from completion.context.lexical import in_code

CASES = [
    # Python: docstrings and triple-quoted strings span lines; `#` comments and one-line strings do not
    ('def f():\n    """Open a session.\n\n    See click.', "python", False),
    ('def f():\n    """Doc."""\n    return click.', "python", True),
    ("x = '''a\nb'''\ny = click.", "python", True),
    ("x = '''a\nb\nclick.", "python", False),
    ('x = "a"  # see click.', "python", False),
    ('x = "click.', "python", False),
    ('x = "a\\"b"\ny = click.', "python", True),
    ('x = """a \\""" b\nclick.', "python", False),  # an escaped closer does not close
    ('x = f"""\n{user.', "python", True),  # inside an f-string's braces: code
    ('x = f"""\n{user} and user.', "python", False),
    ('s = "#"\nclick.', "python", True),  # a `#` inside a string starts no comment
    # C-like: block comments span lines, line comments and strings do not
    ("/*\n  Uses Status.", "java", False),
    ("/**\n * {@link Status.", "java", False),
    ("/* a */ int x = Status.", "java", True),
    ('String s = "/*"; int x = Status.', "java", True),  # an opener inside a string opens nothing
    ("// a /* b\nint x = Status.", "java", True),  # nor inside a line comment
    ("int x = 1; // see Status.", "java", False),
    ("char c = '\"'; x = Status.", "java", True),
    ("*out = Status.", "c", True),
    # JS/TS template literals span lines; `${…}` inside them is code
    ("const s = `hello\n${user.", "typescript", True),
    ("const s = `hello\nuser.", "typescript", False),
    ("const s = `a ${b}` + user.", "typescript", True),
    ("const s = 'it''s'; user.", "javascript", True),
    # Go raw strings span lines
    ("s := `a\nfmt.", "go", False),
    ("s := `a`\nfmt.", "go", True),
    # Rust: a lifetime is not a character literal
    ("fn f<'a>(x: &'a str) -> Foo { let c = 'x'; Foo::", "rust", True),
    ("/* a\n b */ fn f() { Foo::", "rust", True),
]


@pytest.mark.parametrize("text,language,expected", CASES)
def test_in_code(text, language, expected):
    assert in_code(text, len(text), language) is expected


def test_only_the_text_before_the_offset_counts():
    text = 'x = click.echo("a")\n"""doc"""'
    assert in_code(text, text.index("echo"), "python")
    unterminated = 'x = 1\n"""open docstring\ny = click.echo()'
    assert not in_code(unterminated, unterminated.index("echo"), "python")


def test_a_long_prefix_is_scanned_from_a_top_level_definition(monkeypatch):
    """Past MAX_SCAN_CHARS the scan starts at a top-level `def`/`class` (code for sure), so a
    docstring opened far above and closed still reads as closed, and one open near the cursor as open."""
    monkeypatch.setattr(lexical, "MAX_SCAN_CHARS", 400)
    filler = "".join(f"def f{i}():\n    '''Doc {i}.\n    more'''\n    return {i}\n\n" for i in range(40))
    closed = filler + "x = click."
    assert in_code(closed, len(closed), "python")
    open_ = filler + 'def g():\n    """See click.'
    assert not in_code(open_, len(open_), "python")


def _python_prose_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of every string and comment token, as Python's own tokenizer reads them."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    spans = []
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type in (tokenize.STRING, tokenize.COMMENT):
            spans.append((starts[tok.start[0] - 1] + tok.start[1], starts[tok.end[0] - 1] + tok.end[1]))
    return spans


def test_agrees_with_pythons_tokenizer_on_the_standard_library():
    """At 100 `name.` positions in each of 25 standard-library modules (docstrings, comments, strings of every kind),
    in_code says what the tokenizer says: not code exactly inside a string or comment token."""
    files = sorted(Path(tokenize.__file__).parent.glob("*.py"))
    rng = random.Random(3)
    checked = 0
    for path in rng.sample(files, 25):
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            spans = _python_prose_spans(text)
        except (tokenize.TokenError, SyntaxError, IndentationError):
            continue
        found = list(re.finditer(r"(?<![\w.])[A-Za-z_]\w*\.(?=[A-Za-z_])", text))
        for m in rng.sample(found, min(100, len(found))):
            offset = m.end()
            prose = next(((a, b) for a, b in spans if a < offset < b), None)
            if prose is not None and text[prose[0]: prose[0] + 4].lower().startswith(('f"""', "f'''", 'rf"""', 'fr"""')):
                continue  # braces inside a triple-quoted f-string are code to in_code, a string to tokenize
            assert in_code(text, offset, "python") is (prose is None), (path.name, text[offset - 60: offset])
            checked += 1
    assert checked > 1500


def test_typing_a_member_resumes_the_scan_and_agrees_with_a_fresh_one():
    """While `name.x|` grows, the text above the line is unchanged and the scan resumes from the cached
    place; every answer equals a scan from the start (the cache emptied first)."""
    files = sorted(Path(tokenize.__file__).parent.glob("*.py"))
    rng = random.Random(5)
    hits = 0
    for path in rng.sample([f for f in files if f.stat().st_size > 4 * lexical.RESUME_MIN_CHARS], 6):
        text = path.read_text(encoding="utf-8", errors="replace")
        found = [m for m in re.finditer(r"(?<![\w.])[A-Za-z_]\w*\.(\w+)", text) if m.start() > lexical.RESUME_MIN_CHARS]
        for m in rng.sample(found, min(30, len(found))):
            for offset in range(m.start(1), m.end(1) + 1):  # the member typed a character at a time
                warm = in_code(text[:offset], offset, "python")
                key = lexical.resume_key(text, text.rfind("\n", 0, offset) + 1, "python")
                hits += key is not None and key in lexical._RESUME
                lexical._RESUME.clear()
                assert warm is in_code(text[:offset], offset, "python"), (path.name, text[offset - 60: offset])
                in_code(text[:offset], offset, "python")  # warm again for the next character
    assert hits > 300


def test_an_edit_above_the_line_is_not_answered_from_the_cache():
    """The cache is keyed by the text above the line, not its length: opening a docstring above (same
    length) makes the cursor prose although the line and its offset are unchanged."""
    body = "".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(800))
    code = body + "x = 1\n" + "click."
    prose = body + '"""  \n' + "click."
    assert len(code) == len(prose) and len(body) > lexical.RESUME_MIN_CHARS
    assert in_code(code, len(code), "python")
    assert not in_code(prose, len(prose), "python")
    assert in_code(code, len(code), "python")


def test_a_changed_cursor_line_is_scanned_again():
    """Only the text above the line is cached: a line rewritten under the cursor is lexed afresh."""
    body = "".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(800))
    assert in_code(body + 's = "a" + click.', len(body) + 16, "python")
    assert not in_code(body + 's = "click.', len(body) + 11, "python")
