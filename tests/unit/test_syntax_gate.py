"""The syntax gate and bracket/quote balance (golden cases), and the bounded parse window."""
import pytest

from completion import syntax
from completion.postprocess import PostContext
from completion.postprocess import balance, syntax_gate
from completion.postprocess.pipeline import run_filters


def ctx(before: str, after: str, language="python", mode="line") -> PostContext:
    return PostContext(line_prefix=before.split("\n")[-1], line_suffix=after.split("\n")[0], suffix=after,
                       prefix=before, mode=mode, language=language)


def test_gate_trims_a_completion_that_unbalances_brackets():
    c = ctx("def f(a, b):\n    return foo(a, ", "\n\ndef g():\n    pass\n")
    # no closer in the suffix: the first `)` is needed, the second one breaks the parse
    text, parses = syntax_gate.check("b))", c)
    assert text == "b)" and parses > 1


def test_gate_leaves_a_valid_completion_untouched():
    c = ctx("def f(a, b):\n    return foo(a, ", "\n")
    assert syntax_gate.check("b) + bar(a)", c) == ("b) + bar(a)", 1)


def test_gate_trims_at_a_line_boundary_in_a_block():
    c = ctx("def f(a):\n    ", "\n\ndef g():\n    pass\n", mode="block")
    text = "x = a + 1\n    y = (x\n    return y"
    assert syntax_gate.apply(text, c) == "x = a + 1"


def test_gate_drops_what_cannot_be_saved():
    c = ctx("def f():\n    ", "\n", mode="block")
    assert syntax_gate.apply(")) else", c) == ""


@pytest.mark.parametrize("language,before,after,completion,expect", [
    ("typescript", "function f(a) {\n  return g(a, ", ");\n}\n", "b, c));", "b, c"),
    ("go", "func f() {\n\tx := g(", ")\n}\n", "a, b))", "a, b"),
])
def test_gate_other_languages(language, before, after, completion, expect):
    assert run_filters(completion, ctx(before, after, language)).text == expect


def test_gate_without_grammar_passes_through():
    c = ctx("x = foo(", ")\n", language="ruby")
    assert syntax_gate.check("a)))", c) == ("a)))", 0)


def test_balance_does_not_close_what_the_suffix_closes():
    c = ctx("def f(a, b):\n    return foo(a, ", ")\n")
    assert balance.apply("b), c", c) == "b"
    assert balance.apply("bar(b)", c) == "bar(b)"  # its own brackets are fine


def test_balance_closes_what_the_suffix_leaves_open():
    c = ctx("def f(a, b):\n    return foo(a, ", "\n")
    assert balance.apply("b)", c) == "b)"
    assert balance.apply("b))", c) == "b)"  # the second closer matches nothing


def test_balance_inside_a_string_stops_at_the_closing_quote():
    c = ctx('print("Hello, ', '")\n')
    assert balance.apply('world", end="")', c) == "world"
    c2 = ctx('print("Hello, ', "\n")  # nothing closes the string after the cursor
    assert balance.apply('world")', c2) == 'world")'


def test_balance_ignores_brackets_in_strings_and_comments():
    c = ctx("x = foo(a, ')'  # (\n    ", ")\n")
    assert balance.apply("b", c) == "b"
    c2 = ctx('s = "(" + bar(', ")\n")
    assert balance.apply("1)", c2) == "1"


def test_window_is_bounded_in_a_long_file():
    body = "".join(f"def f{i}(x):\n    y = x * {i}\n    return y\n\n" for i in range(3000))
    prefix, suffix = body + "def g(a):\n    return a", "\n" + body
    win = syntax.window(prefix, suffix)
    assert win.head == "def g(a):\n    return a"  # starts at the enclosing top-level construct
    assert win.tail == "\n"  # ends before the next one
    assert win.head.count("\n") <= syntax.MAX_LINES_BEFORE and win.tail.count("\n") <= syntax.MAX_LINES_AFTER + 1


def test_window_inside_a_long_construct_starts_at_the_least_indented_line():
    methods = "".join(f"    def m{i}(self):\n        return {i}\n\n" for i in range(100))
    win = syntax.window("class A:\n" + methods + "    def n(self):\n        return ", "1\n")
    # The least indented line in reach, under the header of the class it is in (one line, above reach).
    assert win.head == "class A:\n    def n(self):\n        return "
    assert syntax.error_count(syntax.parse("python", win.text("1"))) == 0


def _long_ts_method(lines: int = 120) -> str:
    """A class with a header over several lines and a method longer than the window's reach."""
    body = "".join(f"    const v{i} = this.state.count + {i}\n" for i in range(lines))
    return ("import { notifyManager } from './notifyManager'\n\n"
            "export class Mutation<\n  TData = unknown,\n  TError = Error,\n> extends Removable {\n"
            "  #state = 0\n\n  #dispatch(action: Action): void {\n" + body + "\n    notifyManager.")


def test_window_inside_a_long_method_carries_the_enclosing_header():
    win = syntax.window(_long_ts_method(), "")
    # Every line in reach is as indented as the cursor's: the window is that line under its two headers.
    assert win.head == ("export class Mutation<\n  TData = unknown,\n  TError = Error,\n> extends Removable {\n"
                        "  #dispatch(action: Action): void {\n    notifyManager.")
    # With the header the method is a class member: it parses, bar the file's unclosed braces at the end.
    tree = syntax.parse("typescript", win.text("batch(() => {})\n  }\n}\n"))
    assert syntax.error_count(tree) == 0
    # No header where the nearest less-indented line does not open a block, or none is within reach.
    assert syntax.enclosing_header("x = 1\n    y = 2\n", 4) == ""
    assert syntax.enclosing_header("class A:\n" + "    pass\n" * 50, 4, max_chars=100) == ""
    assert syntax.enclosing_header("class A:\n    def f(self):\n        pass", 4) == "class A:\n"


def test_window_starts_at_the_header_of_an_allman_style_brace():
    """`int main()` / `{` (C, C++, C#, Java in Allman style): the `{` at column 0 is not where the
    construct starts; a window beginning there is a bare block, which C cannot parse at file level."""
    prefix = "#include <stdio.h>\n\nstatic int\ncount(int n)\n{\n    int total = 0;\n    total = add("
    win = syntax.window(prefix, ");\n    return total;\n}\n")
    assert win.head.startswith("static int\ncount(int n)\n{\n")
    assert syntax.error_count(syntax.parse("c", win.text("total, n"))) == 0
    # Inside a long Allman-style class the headers are found above the window as well.
    body = "".join(f"        int v{i} = {i};\n" for i in range(100))
    java = "public class Counter\n{\n    public int run()\n    {\n" + body + "        return "
    win = syntax.window(java, "")
    assert win.head == "public class Counter\n{\n    public int run()\n    {\n        return "
    assert syntax.error_count(syntax.parse("java", win.text("v1;\n    }\n}\n"))) == 0


def _long_ts_class_with_a_reducer() -> str:
    """A method within reach of the cursor, its class's header beyond: a reducer's switch of object
    literals, then `scheduler.` (the shape of TanStack query-core's `Mutation.#dispatch`)."""
    cases = "".join(f"        case 'step{i}':\n          return {{\n            ...state,\n            attempts: {i},\n"
                    f"            reason: action.reason,\n          }}\n" for i in range(6))
    fields = "".join(f"  f{i} = {i}\n" for i in range(90))
    return ("export class Job<\n  TData = unknown,\n> extends Base {\n" + fields + "\n"
            "  #apply(action: Action): void {\n    const reduce = (\n      state: JobState,\n    ): JobState => {\n"
            "      switch (action.kind) {\n" + cases + "      }\n    }\n    this.state = reduce(this.state)\n\n    scheduler.")


@pytest.mark.parametrize("completion", ["batch(() => {", "notify(this)"])
def test_gate_inside_a_long_class_method_with_nothing_after_the_cursor(completion):
    """The engine hands the filters a 4,000-character prompt prefix and the whole document before the cursor.

    Found on the dev benchmark (TanStack query-core, a masked file): the window began at a
    method of the class, which TypeScript cannot parse alone, and the gate cut
    `notifyManager.batch(() => {` to `batch(() =>` (and `notify(this)` to `notify(this`).
    """
    from completion.candidates import post_context
    from completion.config import CompletionSettings
    from completion.types import Request

    text = _long_ts_class_with_a_reducer()
    request = Request(uri="file:///src/job.ts", text=text, offset=len(text), language="typescript")
    post = post_context(request, request.prefix[-4000:], "", "line", CompletionSettings())
    assert post.document_prefix == text and post.prefix == text[-4000:]
    assert post.syntax_window.head.startswith("export class Job<\n  TData = unknown,\n> extends Base {\n  #apply(")
    assert syntax_gate.apply(completion, post) == completion
    assert run_filters(completion, post).text == completion


def test_error_count():
    assert syntax.error_count(syntax.parse("python", "x = 1\n")) == 0
    assert syntax.error_count(syntax.parse("python", "x = (1\n")) >= 1


@pytest.mark.parametrize("language,before,completion", [
    # Lines of `tabstop eval`'s mid-identifier cases the gate used to cut to `… = ClosingTextIOWrapper`.
    ("python", "def f(stream):\n    value = Closing", "TextIOWrapper("),
    ("python", "def f():\n    with pytest.raises(TooManyRedi", "rectsError("),
    ("typescript", "function f(client) {\n  const observer = new QueryObs", "erver(client, {"),
    ("python", "def f():\n    data = ", "{"),
    # httpx/_multipart.py in the context benchmark: `x = ` is already an error, and a cut before
    # the quote "fixed" the completion's own open bracket, leaving `self._data = b`.
    ("python", "class F:\n    def render_data(self) -> bytes:\n        if not hasattr(self, \"_data\"):\n"
               "            self._data = ", 'b"".join('),
])
def test_gate_keeps_a_line_that_ends_by_opening_a_bracket(language, before, completion):
    """The arguments follow on the next lines: incomplete, not wrong (even with nothing after the cursor)."""
    assert syntax_gate.apply(completion, ctx(before, "", language)) == completion


def test_gate_still_trims_what_stays_wrong_when_closed():
    c = ctx("def f(a, b):\n    return foo(a, ", "\n\ndef g():\n    pass\n")
    assert syntax_gate.apply("b)) + bar(", c) == "b)"  # closing the `bar(` does not fix the extra `)`
    assert syntax_gate.opened_at_end("x = f(a, '(", "python") == ""  # inside a string: not an opener
    assert syntax_gate.opened_at_end("g(x, [", "python") == "])"
    assert syntax_gate.opened_at_end("g(x)", "python") == ""
