"""Golden cases for the post-processing filters (one behaviour per case)."""
import pytest

from completion.postprocess import PostContext, postprocess, stop_rule
from completion.postprocess import block_end, repetition, single_line, suffix_overlap, whitespace


def ctx(line_prefix="", line_suffix="", suffix="", prefix="", mode="block", max_lines=12):
    return PostContext(line_prefix=line_prefix, line_suffix=line_suffix, suffix=suffix or line_suffix,
                       prefix=prefix or line_prefix, mode=mode, max_lines=max_lines)


def test_single_line_mid_line():
    assert single_line.apply("x + 1)\nfoo()", ctx("y = f(", mode="line")) == "x + 1)"


def test_block_ends_at_dedent_python():
    c = ctx("    ")
    text = "x = 1\n    return x\n\ndef other():\n    pass"
    assert block_end.apply(text, c) == "x = 1\n    return x\n"


def test_block_after_opener_ends_at_sibling():
    c = ctx("def f():")
    text = "\n    return 1\ndef g():\n    pass"
    assert block_end.apply(text, c) == "\n    return 1"


def test_block_ends_at_closing_brace_of_enclosing_block():
    c = ctx("  ")
    text = "foo();\n  bar();\n}\nfunction x() {}"
    assert block_end.apply(text, c) == "foo();\n  bar();"


def test_block_keeps_braces_it_opened():
    c = ctx("  ")
    text = "if (a) {\n    b();\n  }\n  c();"
    assert block_end.apply(text, c) == text


def test_block_max_lines():
    c = ctx("", max_lines=2)
    assert block_end.apply("a\nb\nc\nd", c) == "a\nb"


def test_suffix_overlap_closing_bracket():
    c = ctx("print(", line_suffix=")", mode="line")
    assert suffix_overlap.apply("'hi')", c) == "'hi'"


def test_suffix_overlap_keeps_text_when_suffix_differs():
    c = ctx("print(", line_suffix=")", mode="line")
    assert suffix_overlap.apply("'hi'", c) == "'hi'"


def test_repeated_suffix_line_is_cut():
    c = ctx("    ", suffix="\n    return total\n")
    assert suffix_overlap.apply("total = a + b\n    return total", c) == "total = a + b"


def test_repetition_loop_is_cut():
    c = ctx("")
    assert repetition.apply("x += 1\nx += 1\nx += 1\nx += 1", c) == "x += 1\nx += 1"


@pytest.mark.parametrize("line_prefix,text,expect", [
    ("    assert ", "assert click.get_current_context() is None", "click.get_current_context() is None"),
    ("return ", "return x + 1", "x + 1"),
    ("    assert ", "assert_called()", "assert_called()"),  # a different word: kept
    ("    x = ", "x + 1", "x + 1"),  # more than one word before the cursor: not this rule
    ("    return ", "return ", "return "),  # nothing after the repeat: left to the other filters
])
def test_a_restated_lone_word_is_dropped(line_prefix, text, expect):
    assert repetition.apply(text, ctx(line_prefix, mode="line")) == expect


@pytest.mark.parametrize("line_prefix,text,prefix,expect", [
    ("        click.", 'click.echo(f"Hello, {name}!")', "", 'echo(f"Hello, {name}!")'),
    ("ma.", 'ma.ValidationError({"foo": "bar"})', "", 'ValidationError({"foo": "bar"})'),
    ("    let p = Point::", "Point::new(1, 2);", "", "new(1, 2);"),
    ("    now = datetime.", "datetime.now()", "", "datetime.now()"),  # `datetime.datetime`: meant
    ("    t = mod.", "mod.mod.x", "y = mod.mod.y\n", "mod.mod.x"),  # the document repeats it too: meant
    ("    x = self.click.", "click.echo()", "", "click.echo()"),  # qualified qualifier: not this rule
    ("        click.", "echo()", "", "echo()"),
    ("        click.", "click.", "", "click."),  # nothing after the repeat: left to the other filters
])
def test_a_restated_qualifier_is_dropped(line_prefix, text, prefix, expect):
    c = PostContext(line_prefix=line_prefix, line_suffix="", suffix="", prefix=prefix + line_prefix, mode="line")
    assert repetition.apply(text, c) == expect


def test_first_line_starts_at_an_indentation_only_cursor():
    c = ctx("    ", mode="block")
    assert whitespace.apply("   if url is not None:\n        pass", c) == "if url is not None:\n        pass"
    assert whitespace.apply("\n        pass", c) == "\n        pass"  # a first line left empty: untouched
    assert whitespace.apply("  x = 1", ctx("    y = ", mode="line")) == "  x = 1"  # not an indent-only line


def test_whitespace_only_is_empty():
    assert whitespace.apply("   \n  ", ctx()) == ""
    assert whitespace.apply("a  \n\n", ctx()) == "a"


def test_pipeline_empty_means_nothing_to_show():
    assert postprocess("\n\n", ctx("x = ", mode="line")) == ""


def test_pipeline_line_mode():
    assert postprocess("self.width * self.height\n\n    def x", ctx("        return ", mode="line")) == "self.width * self.height"


def test_stop_rule_line_mode_stops_at_newline():
    rule = stop_rule(ctx("x = ", mode="line"))
    assert rule("1 + 2") is None
    assert rule("1 + 2\nfoo") == 5


def test_stop_rule_block_waits_for_indentation_to_be_known():
    rule = stop_rule(ctx("def f():"))
    assert rule("\n    return 1\n") is None
    assert rule("\n    return 1\n  ") is None
    assert rule("\n    return 1\nd") == len("\n    return 1")


@pytest.mark.parametrize("mode", ["line", "block"])
def test_stop_rule_agrees_with_filters(mode):
    c = ctx("    ", mode=mode)
    text = "a = 1\n    b = 2\nc = 3"
    cut = stop_rule(c)(text)
    assert cut is not None
    assert postprocess(text, c) == text[:cut].rstrip()
