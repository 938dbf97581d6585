"""Token healing, prompt side: what is cut, how it is split across the FIM layouts, and the strip."""
import pytest

from completion.analyze import analyze
from completion.heal import HealRules, heal_text, split_for_healing, whitespace_heal
from completion.prompt import get_template
from completion.types import Request
from runtime.healing import consistent, missing, strip_heal


@pytest.mark.parametrize("line_prefix,heal", [
    # mid-identifier
    ("setattr(sel", "sel"),
    ("        return sel", " sel"),
    ("    ret", " ret"),  # Qwen: '    return' is '   ' + ' return'
    ("\tret", "\tret"),  # and '\treturn' is one token
    ("ret", "ret"),
    # after a dot, and a word after a dot
    ("x = '{}'.fo", ".fo"),
    ("obj.", "."),
    ("self.wid", ".wid"),
    # partial operators
    ("if a <", " <"),
    ("x -", " -"),
    ("i+", "+"),
    ("x = y *", " *"),
    # inside a string
    ('print("Hello, wor', " wor"),
    ("msg = 'a b", " b"),
    # nothing to heal
    ("x = ", ""),
    ("foo(", ""),
    ("", ""),
    ("    ", ""),
    ("x = 1", ""),  # a number is a whole token run already
])
def test_heal_text(line_prefix, heal):
    assert heal_text(line_prefix) == heal


def test_heal_rules_can_be_narrowed():
    assert heal_text("self.wid", HealRules(lead=False)) == "wid"
    assert heal_text("if a <", HealRules(operators=False)) == ""
    assert heal_text("obj.fo", HealRules(words=False)) == ""


@pytest.mark.parametrize("prefix,heal,middle,expect", [
    ("x = '{}'.fo", ".fo", "", ("x = '{}'", "")),  # classic PSM layout: the prefix is cut
    ("x = ", ".fo", "'{}'.fo", ("x = ", "'{}'")),  # typed run long enough: only the middle is cut
    ("x = '{}'.", ".fo", "fo", ("x = '{}'", "")),  # heal reaches back into the prefix
    ("abc", "", "de", ("abc", "de")),
])
def test_split_for_healing(prefix, heal, middle, expect):
    got = split_for_healing(prefix, heal, middle)
    assert got == expect
    assert got[0] + got[1] + heal == prefix + middle  # nothing lost, nothing added


def test_split_for_healing_rejects_text_not_at_cursor():
    with pytest.raises(ValueError):
        split_for_healing("abc", "zz")


def test_template_renders_middle_start_after_fim_middle():
    t = get_template("qwen")
    p1, m1 = split_for_healing("x = ", ".fo", "'{}'.fo")
    prompt = t.prompt(p1, "\n", heal=".fo", middle_start=m1)
    assert prompt.text.endswith("<|fim_middle|>'{}'")
    assert prompt.heal == ".fo" and prompt.prefix == "x = "


@pytest.mark.parametrize("text,heal,expect", [
    (".format(x)", ".fo", "rmat(x)"),
    (".fo", ".fo", ""),
    (".bar()", ".fo", None),  # the model did not reproduce the typed text: discard
    ("abc", "", "abc"),
])
def test_strip_heal(text, heal, expect):
    assert strip_heal(text, heal) == expect


def test_consistent_tokens():
    need = b".fo"
    assert consistent(b".", need) and consistent(b".f", need) and consistent(b".format", need)
    assert not consistent(b".x", need) and not consistent(b"fo", need) and not consistent(b"", need)
    assert missing(b".f", b".fo") == b"o" and missing(b".format", b".fo") == b""


def test_analyze_heals_only_in_line_mode():
    def req(text):
        i = text.index("|")
        return Request(uri="file:///x.py", text=text.replace("|", ""), offset=i, language="python")
    assert analyze(req("x = '{}'.fo|\n")).heal == ".fo"
    assert analyze(req("def f():|\n")).heal == ""  # block mode: the `:` is not a partial token
    assert analyze(req("x = '{}'.fo|\n"), healing=False).heal == ""


@pytest.mark.parametrize("line_prefix,mode,heal", [
    ("        ", "block", " "),  # indentation only: its last character
    ("\t\t", "block", "\t"),
    ("    return ", "line", " "),  # one trailing space after code
    ("    return ", "block", ""),  # ... only in line mode
    ("x =  ", "line", ""),  # two spaces: not a glued word boundary
    ("", "block", ""),
    ("x", "line", ""),
])
def test_whitespace_heal(line_prefix, mode, heal):
    assert whitespace_heal(line_prefix, mode) == heal
