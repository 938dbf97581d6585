"""The object a JS/TS factory function returns: its keys, or None when they cannot all be known."""
import pytest

from completion.context.factories import factory_name, render_factory, returned_object


def names(source: str, language: str = "typescript") -> list[str] | None:
    members = returned_object(source, language)
    return None if members is None else [m.name for m in members]


def test_keys_of_every_return_of_the_factory_itself():
    src = ("function make(flag: boolean) {\n  const helper = () => { return { inner: 1 } };\n"
           "  if (flag) return { a: 1, b };\n  return { c() { return 2 }, 'd': helper } as const;\n}\n")
    assert names(src) == ["a", "b", "c", "d"]  # not `inner`: that return belongs to a nested function


@pytest.mark.parametrize("source", [
    "function f() { return { ...base, a: 1 }; }",  # a spread adds keys nobody can list
    "function f() { return { [key]: 1 }; }",  # a computed key
    "function f(x) { if (x) return null; return { a: 1 }; }",  # not always an object
    "function f() { const o = { a: 1 }; return o; }",  # a variable: its keys may grow
    "function f() { doSomething(); }",  # no return at all
])
def test_no_keys_when_the_object_is_not_known_completely(source):
    assert names(source) is None


def test_an_arrow_factory_returning_an_object_expression():
    assert names("const make = () => ({ start: () => {}, stop })", "javascript") == ["start", "stop"]


def test_members_read_as_headers_without_bodies():
    src = ("function f() {\n  return {\n    batch: <T>(\n      callback: () => T,\n    ): T => {\n      return callback();\n"
           "    },\n    twice: (n: number) => n * 2,\n    retries: 3,\n    long: 'a string far longer than forty characters here',\n  };\n}\n")
    members = returned_object(src, "typescript")
    assert [m.text for m in members] == ["batch: <T>(callback: () => T): T => { ... }", "twice: (n: number) => ...",
                                         "retries: 3", "long: ..."]
    rendered = render_factory("export function f() {", members, "export const made = f()")
    assert rendered.splitlines() == ["export function f() {", "  return {", "    batch: <T>(callback: () => T): T => { ... },",
                                     "    twice: (n: number) => ...,", "    retries: 3,", "    long: ...,", "  }", "}",
                                     "export const made = f()"]


def test_factory_name_is_a_plain_call_not_a_construction():
    assert factory_name("export const notifyManager = createNotifyManager()") == "createNotifyManager"
    assert factory_name("export const store = makeStore<State>(initial)") == "makeStore"
    assert factory_name("export const m = new Manager()") is None
    assert factory_name("export const limit = 10") is None
