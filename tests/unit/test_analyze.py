import pytest

from completion.analyze import analyze
from completion.types import Request


def req(text: str, trigger="automatic") -> Request:
    offset = text.index("|")
    return Request(uri="file:///x.py", text=text.replace("|", ""), offset=offset, trigger=trigger)


@pytest.mark.parametrize("text,mode", [
    ("def f():|\n", "block"),
    ("def f():\n    |\n", "block"),
    ("x = foo(|)\n", "line"),
    ("    return |\n", "line"),
    ("if (a) {|}\n", "line"),
])
def test_line_or_block(text, mode):
    assert analyze(req(text)).mode == mode


def test_automatic_trigger_skips_before_real_text():
    a = analyze(req("x = |foo(1)\n"))
    assert not a.should_complete and a.reason


def test_invoked_trigger_completes_anywhere():
    assert analyze(req("x = |foo(1)\n", trigger="invoked")).should_complete


def test_closing_brackets_after_cursor_are_fine():
    assert analyze(req("print(|)\n")).should_complete


@pytest.mark.parametrize("text,heal", [
    ("x = '{}'.fo|\n", ".fo"),
    ("setattr(sel|)\n", "sel"),
    ("obj.|\n", "."),
    ("x = 1 + |\n", " "),
    ("    return sel|\n", " sel"),
    ("    |\n", ""),
    ("def f():|\n", ""),
])
def test_healing_text(text, heal):
    assert analyze(req(text)).heal == heal


def test_healing_off():
    assert analyze(req("x.fo|\n"), healing=False).heal == ""
