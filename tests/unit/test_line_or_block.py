"""Line-or-block decisions from the syntax tree, per language (golden cases)."""
import pytest

from completion.analyze import analyze, syntax_mode, text_mode
from completion.types import Request


def decide(language: str, src: str) -> tuple[str, str]:
    i = src.index("|")
    text = src.replace("|", "")
    a = analyze(Request(uri="file:///x", text=text, offset=i, language=language, trigger="invoked"))
    return a.mode, a.mode_source


PYTHON = [
    ("def f():|\n", "block"),
    ("def f():\n    |\n", "block"),
    ("class A:\n    |\n", "block"),
    ("if x:|\n", "block"),
    ("try:|\n", "block"),
    ("def f(x):\n    if x:\n        pass\n    else:|\n", "block"),
    ("def f(\n    a,\n    b,\n):|\n", "block"),  # multi-line header: the line does not start with `def`
    ("def g():\n    x = 1\n    |\n\ndef h():\n    pass\n", "block"),
    ("x = foo(|)\n", "line"),
    ("foo(|\n", "line"),  # `(` at the end of a line: the arguments, not a block
    ("foo(\n    a,\n    |\n)\n", "line"),  # blank line inside an argument list
    ("    return |\n", "line"),
    ("d = {'a':|\n", "line"),  # a colon that opens no block
    ("f = lambda x:|\n", "line"),
    ("x = y[1:|]\n", "line"),
]
TYPESCRIPT = [
    ("function f() {|\n}\n", "block"),
    ("function f() {\n  |\n}\n", "block"),
    ("class A {\n  m() {|\n  }\n}\n", "block"),
    ("const o = {|\n}\n", "block"),
    ("foo(function () {\n  |\n});\n", "block"),  # a callback body inside an argument list
    ("foo(a, |)\n", "line"),
    ("foo(\n  a,\n  |\n)\n", "line"),
    ("const x = `${|}`\n", "line"),
    ("if (a) {|}\n", "line"),
    ("let x: number = |\n", "line"),
    ("const x = cond ? a :|\n", "line"),
]
GO = [
    ("func f() {|\n}\n", "block"),
    ("func f() {\n\t|\n}\n", "block"),
    ("func f() {\n\tif err != nil {|\n}\n", "block"),
    ("func f() {\n\tfor i := 0; i < n; i++ {|\n\t}\n}\n", "block"),
    ("var x = map[string]int{|\n}\n", "block"),
    ("func f() {\n\tfmt.Println(|)\n}\n", "line"),
    ("func f() {\n\tfmt.Println(\n\t\ta,\n\t\t|\n\t)\n}\n", "line"),
    ("func f() {\n\tx := |\n}\n", "line"),
]


@pytest.mark.parametrize("language,src,mode", [("python", *c) for c in PYTHON] + [("typescript", *c) for c in TYPESCRIPT]
                         + [("go", *c) for c in GO])
def test_line_or_block(language, src, mode):
    assert decide(language, src)[0] == mode


@pytest.mark.parametrize("language,src", [
    ("python", "foo(\n    a,\n    |\n)\n"),
    ("python", "f = lambda x:|\n"),
    ("typescript", "foo(\n  a,\n  |\n)\n"),
    ("go", "func f() {\n\tfmt.Println(\n\t\ta,\n\t\t|\n\t)\n}\n"),
])
def test_syntax_corrects_the_text_heuristic(language, src):
    """Cases the text rule gets wrong: the tree must decide them."""
    i = src.index("|")
    text = src.replace("|", "")
    line_prefix = text[: i].split("\n")[-1]
    line_suffix = text[i:].split("\n")[0]
    assert text_mode(line_prefix, line_suffix) == "block"
    assert syntax_mode(language, text[:i], text[i:]) == "line"
    assert decide(language, src) == ("line", "syntax")


def test_no_grammar_falls_back_to_text():
    assert decide("ruby", "def f|\n") == ("line", "text")
    assert decide("ruby", "items.each do\n  |\nend\n") == ("block", "text")


def test_syntax_can_be_turned_off():
    text = "foo(\n    a,\n    \n)\n"
    i = text.index("    \n") + 4
    a = analyze(Request(uri="file:///x", text=text, offset=i, language="python"), use_syntax=False)
    assert (a.mode, a.mode_source) == ("block", "text")
