from completion.prompt import cut_window


def count(text: str) -> int:
    return len(text.split())  # one "token" per word keeps the arithmetic obvious


DOC = "".join(f"line{i} a b\n" for i in range(100))


def test_cursor_line_and_suffix_split_at_cursor():
    text = "a = 1\nb = foo(x)\nc = 3\n"
    off = text.index("(x)")
    w = cut_window(text, off, 100, 100, count)
    assert w.prefix == "a = 1\nb = foo"
    assert w.suffix == "(x)\nc = 3\n"
    assert not w.prefix_truncated and not w.suffix_truncated


def test_prefix_budget_cuts_at_line_boundaries():
    off = DOC.index("line50")
    w = cut_window(DOC, off, 30, 100, count, anchor=1)
    assert w.prefix.startswith("line40 ") and w.prefix_truncated
    assert count(w.prefix) <= 30


def test_prefix_start_is_anchored_so_typing_does_not_move_it():
    starts = set()
    for i in range(50, 58):
        off = DOC.index(f"line{i}")
        starts.add(cut_window(DOC, off, 30, 100, count, anchor=16).prefix_start_line)
    assert len(starts) <= 2  # moves at most once across 8 lines of typing
    for i in range(50, 58):
        off = DOC.index(f"line{i}")
        assert count(cut_window(DOC, off, 30, 100, count, anchor=16).prefix) <= 30


def test_suffix_budget():
    w = cut_window(DOC, 0, 100, 9, count)
    assert w.suffix == "line0 a b\nline1 a b\nline2 a b\n" and w.suffix_truncated


def test_rest_of_cursor_line_kept_even_over_budget():
    text = "x = f(" + "a, " * 50 + ")\nnext\n"
    w = cut_window(text, 6, 100, 3, count)
    assert w.suffix.startswith("a, a,")


def test_empty_document():
    w = cut_window("", 0, 10, 10, count)
    assert (w.prefix, w.suffix) == ("", "")


def test_huge_document_gives_the_same_window_as_a_small_one():
    """Only the text near the cursor is split and counted (tens of MB must not block the loop)."""
    seen: list[int] = []

    def counting(text: str) -> int:
        seen.append(len(text))
        return count(text)

    big = DOC * 2000  # 200,000 lines
    off = big.index("line50", len(big) // 2)
    small_off = off - len(DOC) * 1000  # the same place in a copy with the lines before cut away
    w = cut_window(big, off, 30, 9, counting, anchor=16)
    ref = cut_window(big[len(DOC) * 1000:], small_off, 30, 9, count, anchor=16)
    assert (w.prefix, w.suffix) == (ref.prefix, ref.suffix)
    assert w.prefix_start_line == ref.prefix_start_line + 100 * 1000
    assert w.prefix_truncated and w.suffix_truncated
    assert max(seen) <= 30 * 32 + 100  # never the whole document


def test_huge_single_line_is_clipped_not_counted_whole():
    line = "x" * 1_000_000
    w = cut_window(line, len(line) // 2, 10, 10, lambda s: len(s) // 4)
    assert len(w.prefix) <= 10 * 32 and w.prefix_truncated
