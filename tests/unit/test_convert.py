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
    assert len(idx.starts) == 2


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
        assert back == min(off, idx.ends[line])


def test_uri_to_path():
    assert uri_to_path("file:///home/u/a%20b.py") == "/home/u/a b.py"
    assert uri_to_path("untitled:Untitled-1") == ""
