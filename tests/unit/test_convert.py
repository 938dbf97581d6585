import re

import pytest

from lsp.convert import LineIndex, PositionError, offset_to_position, position_to_offset, uri_to_path

TEXT = "a😀b\r\nsecond\rthird\nlast"


@pytest.mark.parametrize("enc,char,offset", [
    ("utf-16", 3, 2),  # 😀 is two UTF-16 units
    ("utf-8", 5, 2),  # and four UTF-8 bytes
    ("utf-32", 2, 2),
])
def test_non_ascii_columns(enc, char, offset):
    assert position_to_offset(LineIndex.of(TEXT), 0, char, enc) == offset


def test_lsp_line_endings():
    idx = LineIndex.of(TEXT)
    assert TEXT[position_to_offset(idx, 1, 0):].startswith("second")
    assert TEXT[position_to_offset(idx, 2, 0):].startswith("third")
    assert TEXT[position_to_offset(idx, 3, 0):] == "last"


def test_unicode_line_separator_is_not_a_line_end():
    idx = LineIndex.of("a\u2028b\nc")
    assert idx.line_count == 2


def test_character_past_line_end_is_clamped():
    idx = LineIndex.of(TEXT)
    assert position_to_offset(idx, 1, 999) == TEXT.index("\rthird")


@pytest.mark.parametrize("line,char", [(4, 0), (100, 0), (-1, 0), (0, -1)])
def test_outside_document(line, char):
    with pytest.raises(PositionError):
        position_to_offset(LineIndex.of(TEXT), line, char)


def test_inside_surrogate_pair():
    with pytest.raises(PositionError, match="inside"):
        position_to_offset(LineIndex.of(TEXT), 0, 2, "utf-16")


def test_round_trip():
    idx = LineIndex.of(TEXT)
    for off in range(len(TEXT) + 1):
        line, ch = offset_to_position(idx, off, "utf-16")
        back = position_to_offset(idx, line, ch, "utf-16")
        assert back == min(off, idx.line_end(idx.line_start(line)))


def test_uri_to_path():
    assert uri_to_path("file:///home/u/a%20b.py") == "/home/u/a b.py"
    assert uri_to_path("untitled:Untitled-1") == ""


@pytest.mark.parametrize("text", [
    "", "\n", "\r\n", "\r", "a\r\n\r\nb", "x\ry\nz\r\n", "😀\r\n😀😀\n\n", "\ud800a\n\udc00",
    ("ab\r\n" * 40000) + "end",  # \r\n pairs straddle the 64K-character chunks
])
@pytest.mark.parametrize("enc", ["utf-8", "utf-16", "utf-32"])
def test_matches_a_naive_reference(text, enc):
    """The chunked, encode-based lookups agree with a plain per-character walk."""
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    idx = LineIndex.of(text)
    assert idx.line_count == len(starts)
    width = {"utf-8": lambda c: len(c.encode("utf-8", "surrogatepass")), "utf-32": lambda c: 1,
             "utf-16": lambda c: 2 if ord(c) > 0xFFFF else 1}[enc]
    for line in sorted({0, 1, 2, len(starts) // 2, len(starts) - 1} & set(range(len(starts)))):
        start = starts[line]
        assert idx.line_start(line) == start
        end = idx.line_end(start)
        col = 0
        for i in range(start, min(end, start + 6) + 1):
            assert position_to_offset(idx, line, col, enc) == i
            assert offset_to_position(idx, i, enc) == (line, col)
            if i < end:
                col += width(text[i])


def test_lone_surrogates_count_as_one_utf16_unit():
    idx = LineIndex.of("\ud800x")
    assert position_to_offset(idx, 0, 1, "utf-16") == 1
    assert offset_to_position(idx, 2, "utf-8") == (0, 4)


def test_inside_utf8_sequence():
    with pytest.raises(PositionError, match="inside"):
        position_to_offset(LineIndex.of("é"), 0, 1, "utf-8")


def test_huge_line_and_document_are_fast_enough_to_not_need_a_loop():
    """A 10 MB minified line: columns come from encoding, not a per-character Python loop."""
    line = "é" * 5_000_000
    idx = LineIndex.of(line + "\n" + "x = 1\n" * 1_000_000)
    assert position_to_offset(idx, 0, 9_999_998, "utf-8") == 4_999_999
    assert position_to_offset(idx, 1_000_000, 3, "utf-16") == len(line) + 1 + 6 * 999_999 + 3
    assert offset_to_position(idx, len(idx.text), "utf-16") == (1_000_001, 0)


def test_uri_to_path_normalises_and_rejects_nul():
    assert uri_to_path("file:///work/proj/../../etc/passwd") == "/etc/passwd"
    assert uri_to_path("file:///a%00b") == ""
    assert uri_to_path("file://[bad") == ""
