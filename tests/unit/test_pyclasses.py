"""The member rule for Python instances and `self.`: pure rules, then resolution on a real index."""
from __future__ import annotations

import pytest

from tests.conftest import indexed_files

from cache.index.extract import extract
from cache.index.indexer import RepoIndex
from completion.context import pyclasses
from completion.context.signatures import FileView, SignatureResolver
from completion.context.usages import in_string, member_access


def test_attribute_mentions_are_reads_and_writes_of_self():
    body = ["class A:", "    def f(self):", "        self.total = 0", "        return self._cache.get(self.key)",
            "        other.self_x = 1"]
    assert pyclasses.attribute_mentions(body) == {"total", "_cache", "key"}


@pytest.mark.parametrize("line", ["    def __getattr__(self, name):", "        setattr(self, name, v)",
                                  "        self.__dict__.update(kw)", "        vars(self).update(kw)"])
def test_a_class_that_makes_names_on_the_fly_is_open(line):
    assert pyclasses.makes_names(["class A:", line])


def test_only_known_class_decorators_keep_a_class_closed():
    assert pyclasses.known_decorators(["x = 1", "", "@dataclass(frozen=True)"])
    assert pyclasses.known_decorators(["@functools.total_ordering", "@dataclasses.dataclass"])
    assert not pyclasses.known_decorators(["@register_plugin"])
    assert pyclasses.decorators(["@attr.s(", "    auto_attribs=True,", ")"]) == ["attr.s"]


def test_builtin_bases_give_their_public_attributes():
    assert {"args", "with_traceback"} <= pyclasses.builtin_base_names("Exception")
    assert "keys" in pyclasses.builtin_base_names("dict")
    assert pyclasses.builtin_base_names("Generic") == frozenset()
    assert pyclasses.builtin_base_names("BaseModel") is None
    assert pyclasses.builtin_base_names("json.JSONEncoder") is None


@pytest.mark.parametrize("lead,binds", [("", True), ("self.a,", True), ("a, b,", True), ("return", False),
                                        ("x =", False), ("f(a,", False), ("if", False), ("[x,", True)])
def test_where_the_receiver_may_be_an_assignment_target(lead, binds):
    assert pyclasses.may_bind(lead) is binds


@pytest.mark.parametrize("scope,expected", [
    ("def f(client: Client):\n    x = 1\n", ("Client", False)),
    ("    client = httpx.Client(base_url=u)\n", ("httpx.Client", True)),
    ("    client: Client = Client()\n", ("Client", False)),
    ("def f(client: Client):\n    client = build()\n", ("build", True)),  # the caller checks it is a class
    ("def f(client: Client | None):\n", None),
    ("def f(client: Optional[Client]):\n", None),
    ("    for client in clients:\n", None),
    ("    with open_client() as client:\n", None),
    ("    client = Client()\n    client, other = a, b\n", None),
    ("    client = Client()\n    f(client=3)\n", None),
    ("    client = Client()\n    if client == other:\n", ("Client", True)),
    ("    client = clients[0]\n", None),
    ("    d = {'client': Foo}\n", None),
])
def test_the_last_binding_of_a_variable_names_its_class(scope, expected):
    assert pyclasses.last_binding(scope, "client") == expected


def test_private_names_only_where_they_are_written():
    names = {"run", "_cache"}
    assert pyclasses.offered(names, private_ok=False) == {"run"}
    assert pyclasses.offered(names, private_ok=True) == names
    assert pyclasses.test_file("tests/client/test_proxies.py") and pyclasses.test_file("pkg/conftest.py")
    assert not pyclasses.test_file("src/pkg/client.py")


def test_member_access_counts_self_only_for_the_rule():
    assert member_access("        return self.") is None
    assert member_access("        return self.it", with_self=True).partial == "it"
    assert member_access("        super().", with_self=True) is None


@pytest.mark.parametrize("prefix,inside", [('x = "flubb.', True), ("x = click.", False), ('f("a", b.', False),
                                           ("x = 'https://click.", True), ('x = "a\\"b.', True)])
def test_a_member_inside_a_string_literal_is_not_code(prefix, inside):
    assert in_string(prefix) is inside


@pytest.mark.parametrize("prefix,language,inside", [
    ("    # see Quote.", "python", True), ('    x = "#fff"; Quote.', "python", False), ("    x = Quote.", "python", False),
    ("  // call Status.", "java", True), ("   * {@link Status.", "java", True), ("  /* Status.", "java", True),
    ('  String u = "http://x"; Status.', "java", False), ("  *out = Status.", "c", False),
    ("  return a * Status.", "java", False),
])
def test_a_member_inside_a_comment_is_prose(prefix, language, inside):
    from completion.context.usages import in_comment
    assert in_comment(prefix, language) is inside


def test_no_member_rule_where_a_python_import_names_a_module_path():
    from completion.context.usages import on_import_line
    assert on_import_line("from click.", "python") and on_import_line("    import click.", "python")
    assert not on_import_line("x = click.", "python") and not on_import_line("imported = click.", "python")


FILES = {
    "pkg/__init__.py": "",
    "pkg/base.py": (
        "class Base:\n"
        "    kind = 'base'\n"
        "\n"
        "    def __init__(self):\n"
        "        self.items = []\n"
        "        self._cache = {}\n"
        "\n"
        "    def run(self):\n"
        "        return self.hook()\n"
    ),
    "pkg/child.py": (
        "from pkg.base import Base\n"
        "\n"
        "\n"
        "class Child(Base):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.extra, self.more = 1, 2\n"
        "\n"
        "    def total(self):\n"
        "        return len(self.items)\n"
    ),
    "pkg/leaf.py": (
        "from pkg import child\n"
        "\n"
        "\n"
        "class Leaf(child.Child):\n"
        "    def hook(self):\n"
        "        return self.leafy\n"
    ),
    "pkg/errors.py": "class AppError(Exception):\n    def __init__(self, msg):\n        self.msg = msg\n",
    "pkg/dynamic.py": "class Loose:\n    def __getattr__(self, name):\n        return 1\n",
    "pkg/external.py": "from somelib import Model\n\n\nclass Record(Model):\n    def save(self):\n        pass\n",
    "pkg/made.py": "from pkg.child import Child\n\n\ndef build():\n    return Child()\n",
    "pkg/kinds.py": (
        "from enum import Enum\n\n\nclass Quote(Enum):\n    # the quote characters\n    DOUBLE = '\"'\n"
        "    SINGLE = \"'\"\n\n    @classmethod\n    def select(cls, literal=False):\n        return cls.SINGLE\n\n"
        "    @property\n    def is_double(self):\n        return self is Quote.DOUBLE\n\n\n"
        "class _Hidden:\n    secret = 1\n    _inner = 2\n"
    ),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> RepoIndex:
    idx = indexed_files(tmp_path_factory.mktemp("pyclasses"), FILES)
    yield idx
    idx.close()


def names_at(index: RepoIndex, rel: str, text: str, marker: str = "|") -> frozenset[str] | None:
    """The member rule's names at `marker` in `text` (the whole file is the editor's document)."""
    offset = text.index(marker)
    text = text.replace(marker, "", 1)
    parsed = extract(text, "python")
    view = FileView(rel, "python", text, offset, parsed.symbols, parsed.imports)
    line_prefix = text[text.rfind("\n", 0, offset) + 1: offset]
    access = member_access(line_prefix, with_self=True)
    return SignatureResolver(index, view).member_names(access.receiver, access.lead)


CHILD_TEXT = FILES["pkg/child.py"] + "\n    def first(self):\n        return self.|\n"


def test_self_offers_the_class_its_bases_and_its_subclasses(index):
    names = names_at(index, "pkg/child.py", CHILD_TEXT)
    # own (methods, tuple-assigned attributes), Base's (class attribute, self.items, private _cache,
    # run, hook as read), Leaf's (a subclass in another module, through `child.Child`)
    assert names is not None
    assert {"total", "first", "extra", "more", "kind", "items", "_cache", "run", "hook", "leafy"} <= names
    assert "__init__" not in names


def test_self_in_the_middle_of_a_file_sees_the_methods_below_the_cursor(index):
    text = FILES["pkg/child.py"].replace("return len(self.items)", "return len(self.|)") + \
        "\n    def later(self):\n        self.late = 1\n"
    assert {"later", "late", "items"} <= names_at(index, "pkg/child.py", text)


def test_no_rule_where_the_completion_may_bind_a_new_attribute(index):
    assert names_at(index, "pkg/child.py", FILES["pkg/child.py"] + "\n    def f(self):\n        self.|\n") is None
    assert names_at(index, "pkg/child.py", FILES["pkg/child.py"] + "\n    def f(self):\n        self.a, self.|\n") is None


def test_a_builtin_base_contributes_its_attributes(index):
    text = FILES["pkg/errors.py"] + "\n    def __str__(self):\n        return str(self.|)\n"
    names = names_at(index, "pkg/errors.py", text)
    assert {"msg", "args", "with_traceback"} <= names


@pytest.mark.parametrize("rel,text", [
    ("pkg/dynamic.py", FILES["pkg/dynamic.py"] + "\n    def f(self):\n        return self.|\n"),
    ("pkg/external.py", FILES["pkg/external.py"] + "\n    def f(self):\n        return self.|\n"),
    ("app.py", "from pkg.made import build\n\n\ndef main():\n    client = build()\n    return client.|\n"),
    ("app.py", "from pkg.child import Child\n\n\ndef main(holder):\n    return holder.client.|\n"),
    ("app.py", "from pkg.child import Child\n\n\ndef main():\n    client = Child()\n    client = other()\n    return client.|\n"),
])
def test_objects_whose_attributes_cannot_all_be_known_get_no_rule(index, rel, text):
    assert names_at(index, rel, text) is None


def test_a_constructed_variable_offers_its_class_public_attributes(index):
    text = "from pkg.child import Child\n\n\ndef main():\n    client = Child()\n    return client.|\n"
    names = names_at(index, "app.py", text)
    assert {"total", "extra", "items", "run"} <= names
    assert "_cache" not in names and "leafy" not in names  # private; a subclass's (`client` is exactly a Child)
    annotated = names_at(index, "app.py", "from pkg.child import Child\n\n\ndef main(client: Child):\n    return client.|\n")
    assert "leafy" in annotated  # an annotated Child may be a Leaf
    assert "_cache" in names_at(index, "tests/test_app.py", text)  # tests read private attributes


def test_a_class_offers_its_body_and_its_bases_names(index):
    """`Quote.` (an imported Enum class, its header followed by a comment line): members, methods and
    Enum's own `name`/`value`; not what the rule cannot see being bound, and no rule where it binds."""
    text = "from pkg.kinds import Quote\n\n\ndef parse(c):\n    if c == Quote.|\n"
    names = names_at(index, "app.py", text)
    assert names is not None and {"DOUBLE", "SINGLE", "select", "is_double", "name", "value", "mro"} <= names
    assert "quote_style" not in names
    # An argument on its own line inside a call is not a statement start: the rule holds there too.
    call = "from pkg.kinds import Quote\n\n\ndef parse(p):\n    return p.read(\n        Quote.|\n    )\n"
    assert names_at(index, "app.py", call) == names
    assert names_at(index, "app.py", "from pkg.kinds import Quote\n\n\ndef f():\n    Quote.|\n") is None
    # At module level: a bracket closed on an indented line is closed (`Quote.` starts a statement),
    # and an argument line of a module-level call is inside its brackets.
    module = "from pkg.kinds import Quote\n\nCONFIG = dict(\n    a=1)\nLIMIT = 2\nQuote.|\n"
    assert names_at(index, "app.py", module) is None
    argument = "from pkg.kinds import Quote\n\nCONFIG = dict(\n    a=1,\n    Quote.|\n"
    assert names_at(index, "app.py", argument) == names
    # A class of the file itself; but not once the function rebinds the name.
    local = FILES["pkg/kinds.py"] + "\n\ndef f():\n    return _Hidden.|\n"
    assert names_at(index, "pkg/kinds.py", local) >= {"secret"} and "_inner" not in names_at(index, "pkg/kinds.py", local)
    rebound = FILES["pkg/kinds.py"] + "\n\ndef f(_Hidden: object):\n    return _Hidden.|\n"
    assert names_at(index, "pkg/kinds.py", rebound) is None


def test_base_names_skip_the_comment_under_a_header():
    from cache.index.bases import base_names
    assert base_names("class Quote(Enum):\n    # the quote characters", "python") == ["Enum"]
    assert base_names("class A(\n    B,  # the first\n    C,\n):", "python") == ["B", "C"]
    assert {"name", "value"} <= pyclasses.builtin_base_names("Enum") and "bit_length" in pyclasses.builtin_base_names("enum.IntEnum")


def test_cls_in_a_classmethod_offers_the_class_and_its_subclasses(index):
    """`cls.` in a `@classmethod` (or `__new__`) is the class object or a subclass's: its body, its bases',
    its subclasses' names, private ones and `type`'s commonly read dunders; no rule in an instance method,
    where the parameter is rebound, or where the completion binds (`cls.registry = …`)."""
    def method(decorator: str, header: str, body: str) -> str:
        return FILES["pkg/child.py"] + f"\n{decorator}    def {header}:\n        {body}\n"

    names = names_at(index, "pkg/child.py", method("    @classmethod\n", "make(cls, n)", "return cls.|"))
    assert names is not None
    assert {"total", "extra", "kind", "_cache", "run", "leafy", "mro", "__name__"} <= names
    assert "quote_style" not in names
    # A parameter list over several lines, and `__new__` without a decorator.
    multi = method("    @classmethod\n", "make(\n        cls,\n        n,\n    )", "return f(cls.|)")
    assert names_at(index, "pkg/child.py", multi) == names
    assert names_at(index, "pkg/child.py", method("", "__new__(klass, *args)", "return super().__new__(klass.|)")) == names - {"make"}
    # No rule: an instance method's `cls` parameter, a rebound receiver, a statement start.
    assert names_at(index, "pkg/child.py", method("", "make(self, cls)", "return cls.|")) is None
    assert names_at(index, "pkg/child.py", method("    @staticmethod\n", "make(cls)", "return cls.|")) is None
    rebound = method("    @classmethod\n", "make(cls, n)", "cls = n\n        return cls.|")
    assert names_at(index, "pkg/child.py", rebound) is None
    assert names_at(index, "pkg/child.py", method("    @classmethod\n", "make(cls)", "cls.|")) is None
    # The fixture's own `Quote.select(cls, …)` in an Enum.
    enum = FILES["pkg/kinds.py"].replace("return cls.SINGLE", "return cls.|")
    assert {"DOUBLE", "SINGLE", "select", "name", "value"} <= names_at(index, "pkg/kinds.py", enum)
