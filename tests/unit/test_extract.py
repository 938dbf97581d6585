"""Tree-sitter extraction: one case per language (signatures without bodies, parents, docs, imports)."""
from __future__ import annotations

import pytest

from cache.index.extract import extract
from cache.index.model import Import


def by_name(result, name, kind=None):
    hits = [s for s in result.symbols if s.name == name and (kind is None or s.kind == kind)]
    assert hits, f"{name} not in {[s.name for s in result.symbols]}"
    return hits[0]


def test_python_symbols_docs_fields_and_imports():
    src = ('import os.path as osp\nfrom ..core import (Base as B,\n    helper)\n\nLIMIT = 3\n\n'
           'class Store(B):\n    """Keeps things.\n\n    More."""\n    kind: str = "x"\n\n'
           '    def __init__(self, path: str) -> None:\n        self.path = path\n        def local(): pass\n\n'
           '    @property\n    def size(self) -> int:\n        return 1\n\n'
           'def top(a, *, b=2) -> "Store":\n    r"""Raw doc."""\n    return Store(a)\n')
    r = extract(src, "python")
    assert r.parsed and r.errors == 0
    assert by_name(r, "Store").signature == "class Store(B):" and by_name(r, "Store").doc == "Keeps things."
    assert by_name(r, "size").parent == "Store" and by_name(r, "size").kind == "method"
    assert by_name(r, "path", "field").parent == "Store"
    assert by_name(r, "top").signature == 'def top(a, *, b=2) -> "Store":' and by_name(r, "top").doc == "Raw doc."
    assert "return" not in by_name(r, "top").signature
    assert by_name(r, "LIMIT").kind == "variable"
    assert "local" not in {s.name for s in r.symbols}  # locals are not part of the interface
    assert r.imports == (Import("os.path", "", "osp", 0), Import("..core", "Base", "B", 1),
                         Import("..core", "helper", "helper", 1))


@pytest.mark.parametrize("language", ["typescript", "typescriptreact"])
def test_typescript(language):
    src = ('import Def, { a as b, type T } from "./x";\nimport * as ns from "../y";\n'
           '/** Makes shapes. */\nexport function make(n: number): Shape { return null!; }\n'
           'export interface Shape { area(): number }\n'
           'export class Circle implements Shape {\n  radius = 1;\n  area(): number { return 3; }\n}\n'
           'export const arrow = (s: string): number => s.length;\n')
    r = extract(src, language)
    assert by_name(r, "make").signature == "function make(n: number): Shape" and by_name(r, "make").doc == "Makes shapes."
    assert by_name(r, "Shape").kind == "type" and "area(): number" in by_name(r, "Shape").signature
    assert by_name(r, "area", "method").parent == "Circle"
    assert by_name(r, "arrow").kind == "function"
    assert set(r.imports) >= {Import("./x", "default", "Def", 0), Import("./x", "a", "b", 0),
                              Import("../y", "", "ns", 1)}


def test_javascript():
    r = extract("import { q } from './q.js';\nclass A extends B {\n  m(x) { return x; }\n}\n"
                "function f(a, b) { return a + b; }\n", "javascript")
    assert by_name(r, "m").parent == "A" and by_name(r, "f").signature == "function f(a, b)"
    assert r.imports == (Import("./q.js", "q", "q", 0),)


def test_java():
    r = extract("package a.b;\nimport a.c.Thing;\nimport static a.d.Util.max;\n"
                "/** A box. */\npublic class Box<T> extends Base {\n  private final int size;\n"
                "  public Box(int size) { this.size = size; }\n  public T get(int i) { return null; }\n}\n", "java")
    assert by_name(r, "Box", "class").doc == "A box."
    assert by_name(r, "get").signature == "public T get(int i)" and by_name(r, "get").parent == "Box"
    assert by_name(r, "size", "field").parent == "Box"
    assert r.imports == (Import("a.c", "Thing", "Thing", 1), Import("a.d.Util", "max", "max", 2))


def test_go():
    r = extract('package store\nimport (\n  "fmt"\n  u "example.com/app/util"\n)\n'
                '// Store keeps things.\ntype Store struct {\n  items map[string]int\n}\n'
                'func (s *Store) Get(key string) (int, bool) { return 0, false }\nfunc New() *Store { return nil }\n', "go")
    assert by_name(r, "Store").signature.startswith("type Store struct") and by_name(r, "Store").doc == "Store keeps things."
    assert by_name(r, "Get").parent == "Store" and by_name(r, "Get").signature == "func (s *Store) Get(key string) (int, bool)"
    assert r.imports == (Import("fmt", "", "fmt", 1), Import("example.com/app/util", "", "u", 1))


def test_every_name_a_declaration_binds_is_a_symbol():
    """`const X, Y`, grouped `var (...)`, an iota block, a type alias (Go); `const a = 1, b = 2` (TS): a
    package's names must all be there for the member rule to vouch for them."""
    go = extract("package u\nconst (\n  ModeA = iota\n  ModeB\n)\nconst X, Y = 1, Z\n"
                 "var (\n  Cache = map[string]int{}\n  Hits, Misses int\n)\ntype Alias = Pair\n"
                 "type Pair struct{ A, B int }\n", "go")
    assert [s.name for s in go.symbols] == ["ModeA", "ModeB", "X", "Y", "Cache", "Hits", "Misses", "Alias", "Pair"]
    assert by_name(go, "Alias").signature == "type Alias = Pair"
    ts = extract("export const partA = 1, partB = 2;\nconst f = () => 1;\n", "typescript")
    assert [(s.name, s.kind) for s in ts.symbols] == [("partA", "variable"), ("partB", "variable"), ("f", "function")]


def test_rust():
    r = extract("use crate::util::{helper, Thing as T};\npub struct Point { pub x: i32 }\n"
                "impl Point {\n    /// Makes a point.\n    pub fn new(x: i32) -> Self { Point { x } }\n}\n"
                "pub trait Shape { fn area(&self) -> f64; }\n", "rust")
    assert by_name(r, "new").parent == "Point" and by_name(r, "new").doc == "Makes a point."
    assert by_name(r, "new").signature == "pub fn new(x: i32) -> Self"
    assert by_name(r, "area").parent == "Shape"
    assert r.imports == (Import("crate::util", "helper", "helper", 0), Import("crate::util", "Thing", "T", 0))


def test_c_and_cpp():
    c = extract('#include "util.h"\n#include <stdio.h>\nstruct point { int x; };\n'
                "static int *make(int a, char **b) { return 0; }\nint add(int a, int b);\n", "c")
    assert by_name(c, "make").signature == "static int *make(int a, char **b)"
    assert by_name(c, "add").signature == "int add(int a, int b);"
    assert c.imports == (Import("util.h", "*", "", 0),)
    cpp = extract('#include "w.hpp"\nclass Widget : public Base {\n public:\n  int width() const { return 1; }\n'
                  " private:\n  int w_;\n};\nint Widget::height() const { return 2; }\n", "cpp")
    assert by_name(cpp, "width").parent == "Widget" and by_name(cpp, "height").parent == "Widget"
    assert by_name(cpp, "w_").kind == "field"


def test_unknown_language_is_unparsed():
    r = extract("puts 'hi'\n", "ruby")
    assert not r.parsed and r.symbols == ()


def test_an_edited_text_extracts_the_same_incrementally_as_from_scratch():
    """Random edits (typing, Enter, deletions, multi-byte text) to real-looking files: the incremental
    parse from the previous tree gives exactly the symbols and imports of a fresh parse."""
    import random

    from cache.index.extract import extract_edited, text_edit

    assert text_edit("ab\ncd", "ab\nXcd") == dict(start_byte=3, old_end_byte=3, new_end_byte=4, start_point=(1, 0),
                                                   old_end_point=(1, 0), new_end_point=(1, 1))
    sources = {
        "python": 'import os\nfrom .models import User as U\n\n\nclass Store:\n    """Keeps é things."""\n\n'
                  '    def get(self, key: str) -> int:\n        return 1\n\n\ndef make(name):\n    return Store()\n',
        "typescript": "import { a } from './a';\nexport class Box<T> {\n  size(): number { return 0; }\n}\n"
                      "export const one = 1, two = 2;\nexport function open(path: string): void {}\n",
        "go": 'package u\n\nimport "fmt"\n\nconst (\n\tA = iota\n\tB\n)\n\nfunc Pad(s string) string { return s }\n',
    }
    # Several top-level nodes with leading comments: a node the edit does not touch keeps what it gave
    # (shifted), and a comment's doc must follow when lines between it and its definition come and go.
    sources["python"] += "".join(f"\n\n# helper {i}\ndef h{i}(x):\n    return x + {i}\n\nLIMIT{i} = {i}\n"
                                 f"from .m{i} import n{i}\n" for i in range(6))
    sources["typescript"] += "".join(f"\n/** part {i} */\nexport function p{i}(): number {{ return {i}; }}\n"
                                     f"// a constant\nexport const k{i} = {i};\nimport {{ m{i} }} from './m{i}';\n"
                                     for i in range(6))
    sources["go"] += "".join(f"\n// F{i} does {i}.\nfunc F{i}() int {{ return {i} }}\n" for i in range(6))
    pieces = ["\n", "    ", "x", "def f(a):\n    pass\n", "é", "class K:\n", ")", "{", "// note\n", "ü = 1\n",
              "# note\n", "\n\n", "/** doc */\n", "export const z = 1;\n", "func G() {}\n", "import os\n"]
    rng = random.Random(7)
    for language, text in sources.items():
        _, parsed = extract_edited(text, language, None)
        for _ in range(150):
            at = rng.randrange(len(text) + 1)
            if rng.random() < 0.3 and at < len(text):
                new = text[:at] + text[at + rng.randint(1, 5):]  # delete a few characters
            else:
                new = text[:at] + rng.choice(pieces) + text[at:]
            incremental, parsed = extract_edited(new, language, parsed)
            fresh = extract_edited(new, language, None)[0]
            # (Not `errors`: after many random edits tree-sitter's error recovery can differ between an
            # incremental and a fresh parse of the same broken text, 32 vs 33 ERROR nodes here.)
            assert (incremental.symbols, incremental.imports) == (fresh.symbols, fresh.imports), (language, new)
            text = new


def test_java_members_keep_their_declaration_and_static_overloads():
    """A field's signature is its declaration, not the annotation line above it; a static and an
    instance method of one name are two symbols (`Cls.` may call only the static one)."""
    text = ("class Data {\n  @SuppressWarnings(\"removal\")\n  static final boolean ENABLED = check(\n      1);\n"
            "  public final String readUTF() { return \"\"; }\n"
            "  @Deprecated public static String readUTF(DataInput in) { return \"\"; }\n}\n")
    symbols = extract(text, "java").symbols
    assert [s.signature for s in symbols if s.name == "ENABLED"] == ["static final boolean ENABLED = check("]
    assert [s.signature for s in symbols if s.name == "readUTF"] == [
        "public final String readUTF()", "@Deprecated public static String readUTF(DataInput in)"]
