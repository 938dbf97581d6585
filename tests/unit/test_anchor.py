from completion.anchor import MAX_TYPED, Anchor, middle_and_heal, typed_since

TEXT = "def f(a):\n    return \n\nprint(f(1))\n"
CUR = TEXT.index("return ") + len("return ")


def anchor(heal: str = "") -> Anchor:
    return Anchor(offset=CUR, before=TEXT[:CUR], after=TEXT[CUR:], prefix=TEXT[:CUR - len(heal)],
                  suffix=TEXT[CUR:], heal=heal)


def typed(s: str) -> tuple[str, int]:
    return TEXT[:CUR] + s + TEXT[CUR:], CUR + len(s)


def test_typing_on_the_line_is_detected():
    assert typed_since(anchor(), *typed("a + ")) == "a + "
    assert typed_since(anchor(), TEXT, CUR) == ""


def test_cursor_moving_back_or_leaving_the_line_rebuilds():
    assert typed_since(anchor(), TEXT, CUR - 1) is None
    assert typed_since(anchor(), *typed("a\n    ")) is None


def test_edit_elsewhere_rebuilds():
    text, off = typed("a")
    assert typed_since(anchor(), text.replace("print", "pront"), off) is None
    assert typed_since(anchor(), "#\n" + text, off + 2) is None


def test_long_runs_rebuild():
    assert typed_since(anchor(), *typed("x" * (MAX_TYPED + 1))) is None


def test_middle_and_heal():
    assert middle_and_heal(anchor(), "a + b", "b") == ("a + ", "b")
    assert middle_and_heal(anchor("se"), "lf.wi", "wi") == ("self.", "wi")
    assert middle_and_heal(anchor("se"), "lf", "self") == ("", "self")
    assert middle_and_heal(anchor(), "x", "longword") is None
