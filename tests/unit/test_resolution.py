"""Import resolution per language: a name near the cursor → its definition in another file, via a real index."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import indexed_files

from cache.index.extract import extract
from cache.index.indexer import RepoIndex
from cache.index.scan import ScanRules
from completion.context.signatures import FileView, SignatureResolver, refs_near_cursor
from completion.languages import language_for

FILES = {
    "pkg/__init__.py": "# package\n",
    "pkg/store/__init__.py": "# package\n",
    "pkg/store/users.py": (
        "class UserStore:\n    def add_user(self, user, *, overwrite: bool = False) -> bool:\n        return True\n\n"
        "def make_user(name: str, email: str) -> dict:\n    '''Build a user record.'''\n    return {}\n"
    ),
    "web/api/client.ts": (
        "export class ApiClient {\n  get(url: string, retries: number): Promise<string> { return fetch(url); }\n}\n"
        "export function buildUrl(base: string, path: string): string { return base + path; }\n"
    ),
    "src/com/acme/util/Strings.java": (
        "package com.acme.util;\npublic class Strings {\n  public static String pad(String s, int width) { return s; }\n}\n"
    ),
    "src/com/acme/model/Status.java": (
        "package com.acme.model;\n\npublic enum Status implements Labeled {\n  ACTIVE(\"a\"), RETIRED(\"r\");\n"
        "  private final String label;\n  Status(String label) { this.label = label; }\n"
        "  public static Status parse(String s) { return ACTIVE; }\n  private static int hidden() { return 0; }\n}\n"
    ),
    "src/com/acme/model/Labeled.java": (
        "package com.acme.model;\n\npublic interface Labeled {\n  int MAX_LABEL = 16;\n  String label();\n}\n"
    ),
    "src/com/acme/model/Base.java": (
        "package com.acme.model;\n\npublic abstract class Base<T extends Comparable<T>> implements java.io.Serializable {\n"
        "  public static final String KIND = \"base\";\n  protected static int count() { return 0; }\n"
        "  public T value() { return null; }\n  public static class Builder {}\n}\n"
    ),
    "src/com/acme/model/Account.java": (
        "package com.acme.model;\n\nimport java.util.List;\n\npublic class Account extends Base<String> {\n"
        "  public static Account of(String id) { return new Account(); }\n  public String id;\n}\n"
    ),
    "src/com/acme/model/Remote.java": (
        "package com.acme.model;\n\nimport org.lib.Service;\n\npublic class Remote extends Service {\n"
        "  public static void ping() {}\n}\n"
    ),
    "util/strings.go": "package util\n\nfunc Pad(s string, width int) string { return s }\n",
    "src/geo/point.rs": (
        "pub struct Point { pub x: i32, pub y: i32 }\nimpl Point {\n"
        "    pub fn new(x: i32, y: i32) -> Self { Point { x, y } }\n}\n"
    ),
    "src/geo/mod.rs": "pub mod point;\n",
    "lib/mathx.h": "int clamp_value(int v, int lo, int hi);\n",
    "pkg/api/__init__.py": "from .core import *\n",
    "pkg/api/core.py": "def open_session(url: str, timeout: float = 5.0):\n    return None\n",
    "web/lib/index.ts": (
        "import { helperOnly } from './helpers';\nexport { formatMoney } from './money';\nexport * from './dates';\n"
    ),
    "web/lib/helpers.ts": "export function helperOnly(): void {}\n",
    "web/lib/money.ts": "export function formatMoney(cents: number, currency: string): string { return ''; }\n",
    "web/lib/dates.ts": "export function parseIsoDate(text: string): Date { return new Date(text); }\n",
    "lib/widget.hpp": "class Widget {\n public:\n  int resize(int w, int h);\n};\n",
    "pkg/shop/__init__.py": (
        "from .cart import *\nfrom .pay import charge as charge\nfrom .pay import _secret_fee\n\n"
        "__version__ = '1.0'\n\n\ndef version() -> str:\n    return '1'\n"
    ),
    "pkg/shop/cart.py": (
        "class Cart:\n    def add(self, item) -> None:\n        pass\n\n"
        "def empty_cart() -> Cart:\n    return Cart()\n\ndef _private_helper():\n    pass\n"
    ),
    "pkg/shop/pay.py": (
        "def charge(cart, amount: int, *, currency: str = 'EUR') -> bool:\n    return True\n\n"
        "def _secret_fee():\n    return 1\n\ndef refund(cart):\n    return None\n"
    ),
    "util/log.go": "package util\n\nfunc Logf(format string, args ...any) {}\n\nfunc internal() {}\n",
    "pkg/compat.py": (
        "try:\n    import ssl\nexcept ImportError:\n    ssl = None\n    HAS_TLS: bool = False\n"
        "major, minor = 3, 12\n\ndef check():\n    hidden = 1\n    global LAST\n    LAST = hidden\n"
    ),
    "pkg/lazy.py": "def __getattr__(name):\n    return name\n",
    "pkg/starry.py": "from os.path import *\n\ndef own():\n    pass\n",
    "web/state/base.ts": (
        "export class Emitter<T extends Function> {\n  protected listeners = new Set<T>();\n"
        "  subscribe(fn: T): () => void { return () => {}; }\n  static create(): Emitter<any> { return new Emitter(); }\n"
        "  private drop(): void {}\n}\n"
    ),
    "web/state/session.ts": (
        "import { Emitter } from './base';\n\nexport class Session extends Emitter<() => void> {\n  readonly id = 1;\n"
        "  #secret = 2;\n  constructor(public user: string, private token: string) { super(); }\n"
        "  get active(): boolean { return true; }\n  protected refresh(): void {}\n  close(): void {}\n}\n"
        "export const session = new Session('a', 'b');\nexport const made = makeSession();\n"
    ),
    "web/state/index.ts": "export { session, Session, made } from './session';\nexport { remote } from './remote';\n",
    "web/state/remote.ts": (
        "import { EventEmitter } from 'events';\n\nexport class Remote extends EventEmitter {\n  ping(): void {}\n}\n"
        "export const remote = new Remote();\n"
    ),
    "web/state/merged.ts": (
        "export interface Merged {\n  extra(): void;\n}\nexport class Merged {\n  own(): void {}\n}\n"
        "export const merged = new Merged();\n"
    ),
    "web/state/kinds.ts": (
        "export enum Phase {\n  Idle = 'idle',\n  Running = 'running', // started\n  Done = 'done',\n}\n"
        "export enum Merged { A, B }\nexport namespace Merged {\n  export function parse(): Merged { return Merged.A; }\n}\n"
    ),
    "web/legacy.js": "function legacy() {}\nmodule.exports = { legacy };\n",
    "web/lib/parts.ts": "export const partA = 1, partB = 2;\nexport default function main() {}\n",
    "web/lib/all.ts": "export * from './parts';\nexport { formatMoney as money } from './money';\n",
    "go.mod": "module example.com/app\n\ngo 1.22\n",
    "gen/api.go": "package gen\n\nfunc Call() {}\n",
    "gen/api.pb.go": "// Code generated by protoc-gen-go. DO NOT EDIT.\npackage gen\n\ntype Message struct{}\n",
    "util/modes.go": "package util\n\nconst (\n\tModeA = iota\n\tModeB\n)\n\ntype Width = int\n",
    "util/strings_test.go": "package util\n\nfunc TestHelper() {}\n",
    "web/state/bag.ts": "export class Bag {\n  [key: string]: unknown;\n  size(): number { return 0; }\n}\n"
                        "export const bag = new Bag();\n",
    "web/state/notify.ts": (
        "type Callback = () => void;\n\nexport function createNotifier() {\n  let queue: Callback[] = [];\n"
        "  const flush = () => { queue = []; };\n  return {\n    batch: <T>(callback: () => T): T => {\n"
        "      const result = callback();\n      flush();\n      return result;\n    },\n    flush,\n"
        "    schedule(cb: Callback): void { queue.push(cb); },\n    delay: 10,\n  } as const;\n}\n\n"
        "export function createOpen(base: object) {\n  return { ...base, extra: 1 };\n}\n\n"
        "export const notifier = createNotifier();\nexport const open = createOpen({});\n"
    ),
    "web/state/manager.ts": (
        "class Manager {\n  isOnline(): boolean { return true; }\n  setOnline(on: boolean): void {}\n}\n"
        "export const manager = new Manager();\n"
    ),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> RepoIndex:
    idx = indexed_files(tmp_path_factory.mktemp("multi"), FILES)
    yield idx
    idx.close()


def context_for(index: RepoIndex, rel: str, text: str) -> str:
    """All signature candidates for a cursor at the end of `text` (as file `rel`), joined."""
    language = language_for(rel)
    parsed = extract(text, language)
    view = FileView(rel, language, text, len(text), parsed.symbols, parsed.imports)
    cands = SignatureResolver(index, view).candidates(refs_near_cursor(text, len(text)))
    return "\n".join(f"{c.path}: {c.text}" for c in cands)


CASES = [
    ("python-from-relative", "pkg/app.py", "from .store.users import make_user\n\nrecord = make_user(",
     "pkg/store/users.py: def make_user(name: str, email: str) -> dict:"),
    ("python-import-as", "pkg/app.py", "import pkg.store.users as um\n\nrecord = um.make_user(",
     "def make_user(name: str, email: str)"),
    ("python-from-package-import-module", "pkg/app.py", "from pkg.store import users\n\nrecord = users.make_user(",
     "def make_user(name: str, email: str)"),
    ("python-parent-relative", "pkg/sub/mod.py", "from ..store.users import UserStore\n\ns = UserStore()\ns.",
     "def add_user(self, user, *, overwrite: bool = False) -> bool:"),
    ("python-self-base-class", "pkg/service.py",
     "from pkg.store.users import UserStore\n\nclass Service(UserStore):\n    def run(self):\n        self.",
     "class UserStore:"),
    ("python-star-reexport", "pkg/app.py", "from pkg.api import open_session\n\ns = open_session(",
     "def open_session(url: str, timeout: float = 5.0):"),
    ("typescript-index-reexport", "web/app.ts", "import { formatMoney } from './lib';\n\nconst m = formatMoney(",
     "function formatMoney(cents: number, currency: string): string"),
    ("typescript-index-star-reexport", "web/app.ts", "import { parseIsoDate } from './lib';\n\nconst d = parseIsoDate(",
     "function parseIsoDate(text: string): Date"),
    ("typescript-relative-js-extension", "web/app.ts",
     "import { ApiClient } from './api/client.js';\n\nconst c = new ApiClient();\nc.",
     "get(url: string, retries: number): Promise<string>"),
    ("typescript-named-function", "web/app.ts", "import { buildUrl } from './api/client';\n\nconst u = buildUrl(",
     "function buildUrl(base: string, path: string): string"),
    ("java-class-import", "src/com/acme/App.java",
     "package com.acme;\nimport com.acme.util.Strings;\nclass App {\n  void f() {\n    String s = Strings.pad(",
     "public static String pad(String s, int width)"),
    ("go-package-import", "main.go", 'package main\n\nimport "example.com/app/util"\n\nfunc main() {\n\tx := util.Pad(',
     "func Pad(s string, width int) string"),
    ("rust-use-crate-path", "src/main.rs", "use crate::geo::point::Point;\n\nfn main() {\n    let p = Point::new(",
     "pub fn new(x: i32, y: i32) -> Self"),
    ("c-include", "main.c", '#include "lib/mathx.h"\n\nint main(void) {\n    return clamp_value(',
     "int clamp_value(int v, int lo, int hi);"),
    ("cpp-include-class", "lib/main.cpp", '#include "widget.hpp"\n\nvoid f(Widget w) {\n    Widget x;\n    x.',
     "int resize(int w, int h);"),
]


@pytest.mark.parametrize("name,rel,text,expected", CASES, ids=[c[0] for c in CASES])
def test_resolves_definition_in_another_file(index, name, rel, text, expected):
    assert expected in context_for(index, rel, text)


def test_unresolvable_imports_cost_nothing(index):
    assert context_for(index, "pkg/app.py", "import numpy as np\nfrom os import path\n\nx = np.zeros(") == ""


def test_an_absolute_import_does_not_reach_a_module_inside_a_package(index):
    """`import users` is a top-level module (or a third-party one), never pkg/store/users.py."""
    assert context_for(index, "app.py", "import users\n\nrecord = users.make_user(") == ""
    assert "def make_user" in context_for(index, "app.py", "import pkg.store.users as u\n\nr = u.make_user(")


def resolver(index: RepoIndex, rel: str, text: str) -> SignatureResolver:
    language = language_for(rel)
    parsed = extract(text, language)
    return SignatureResolver(index, FileView(rel, language, text, len(text), parsed.symbols, parsed.imports))


def namespace(index: RepoIndex, rel: str, text: str, qualifier: str) -> frozenset[str] | None:
    return resolver(index, rel, text).namespace(qualifier)


def test_a_python_module_namespace_is_its_definitions_imports_and_submodules(index):
    shop = namespace(index, "app.py", "import pkg.shop as shop\n\nshop.", "shop")
    assert shop is not None
    assert {"Cart", "empty_cart", "_private_helper", "charge", "_secret_fee", "version"} <= shop  # star: one hop
    assert {"cart", "pay", "__name__", "__file__"} <= shop  # a package's submodules; module attributes
    assert "refund" not in shop and "add" not in shop  # defined in pay.py but not imported; a method
    users = namespace(index, "app.py", "from pkg.store import users\n\nusers.", "users")
    assert users is not None and {"UserStore", "make_user"} <= users and "add_user" not in users


def test_a_namespace_has_names_bound_outside_definitions_too(index):
    compat = namespace(index, "app.py", "from pkg import compat\n\ncompat.", "compat")
    assert compat is not None and {"ssl", "HAS_TLS", "major", "minor", "check", "LAST"} <= compat
    assert "hidden" not in compat


def member_names(index: RepoIndex, rel: str, text: str, qualifier: str) -> frozenset[str] | None:
    return resolver(index, rel, text).member_names(qualifier)


def test_the_member_rule_leaves_out_what_code_rarely_writes_after_the_dot(index):
    """Every module has `__name__`; a small model's `.__` token outweighed the real member. Underscore
    names come in once the file writes one of `shop`'s (`shop.__version__`); a module's private
    names are for its own package anyway: offered from inside it, not from outside."""
    outside = member_names(index, "app.py", "import pkg.shop as shop\n\nshop.", "shop")
    assert outside is not None and {"Cart", "charge", "cart", "version"} <= outside
    assert not outside & {"__name__", "__file__", "__init__", "__version__", "_private_helper", "_secret_fee"}
    inside = member_names(index, "pkg/app.py", "import pkg.shop as shop\n\nshop.", "shop")
    assert inside is not None and {"Cart", "_private_helper", "_secret_fee"} <= inside
    assert not inside & {"__name__", "__version__"}
    imported = member_names(index, "app.py", "import pkg.shop as shop\nfrom pkg.shop._x import y\n\nshop.", "shop")
    assert imported is not None and "__version__" not in imported  # an import line writes no member
    versioned = member_names(index, "app.py", "import pkg.shop as shop\n\nprint(shop.__version__)\nshop.", "shop")
    assert versioned is not None and {"__version__", "_secret_fee", "Cart"} <= versioned and "__name__" not in versioned
    assert member_names(index, "app.py", "import pkg.lazy as lazy\n\nlazy.", "lazy") is None


def test_import_of_a_submodule_binds_the_top_package(index):
    """`import pkg.store.users` binds `pkg`: `pkg.` is the package (its submodules and subpackages are
    attributes), and a type spelled `pkg.store.users.UserStore` is still found in the submodule."""
    top = namespace(index, "app.py", "import pkg.store.users\nimport pkg.compat\n\npkg.", "pkg")
    assert top is not None and {"store", "shop", "compat", "lazy"} <= top and "make_user" not in top
    out = context_for(index, "app.py", "import pkg.store.users\n\ndef run():\n    store = pkg.store.users.UserStore()\n    store.")
    assert "add_user" in out


def test_an_open_ended_namespace_is_not_claimed(index):
    assert namespace(index, "app.py", "import pkg.lazy as lazy\n\nlazy.", "lazy") is None  # module __getattr__
    assert namespace(index, "app.py", "import pkg.starry as starry\n\nstarry.", "starry") is None  # * from outside
    assert namespace(index, "app.py", "import numpy as np\n\nnp.", "np") is None
    assert namespace(index, "app.py", "from pkg.store.users import UserStore\n\nUserStore.", "UserStore") is None
    assert namespace(index, "web/app.js", "import * as m from './legacy';\n\nm.", "m") is None  # CommonJS


def test_bodies_are_not_included(index):
    out = context_for(index, "pkg/app.py", "from .store.users import UserStore\n\nUserStore().")
    assert "add_user" in out and "return True" not in out


@pytest.mark.parametrize("text", ["import pkg.shop as shop\n\nshop.", "from pkg import shop\n\nshop."])
def test_a_module_qualifier_lists_what_the_module_offers(index, text):
    """`mod.|`: the member is one of the module's public names, re-exports included; one line each, no bodies."""
    out = context_for(index, "pkg/app.py", text)
    for line in ("class Cart: ...", "def empty_cart() -> Cart: ...", "def version() -> str: ...",
                 "def charge(cart, amount: int, *, currency: str = 'EUR') -> bool: ..."):
        assert line in out
    assert "pkg/shop/__init__.py: " in out
    assert "_private_helper" not in out and "_secret_fee" not in out and "return" not in out
    assert "refund" not in out  # in pay.py, but the package does not re-export it


def test_module_listing_puts_the_names_the_file_already_takes_first(index):
    out = context_for(index, "pkg/app.py", "import pkg.shop as shop\n\nshop.version()\nok = shop.charge(c, 1)\nshop.")
    listing = out.split("pkg/shop/__init__.py: ", 1)[1].splitlines()
    assert {listing[0].split("(")[0], listing[1].split("(")[0]} == {"def version", "def charge"}


def test_go_package_listing_has_exported_names_only(index):
    out = context_for(index, "main.go", 'package main\n\nimport "example.com/app/util"\n\nfunc main() {\n\tutil.')
    assert "func Pad(s string, width int) string { ... }" in out and "func Logf(format string, args ...any)" in out
    assert "internal" not in out


def test_an_imported_instance_shows_its_class(index):
    out = context_for(index, "web/app.ts", "import { manager } from './state/manager';\n\nmanager.")
    assert "isOnline(): boolean" in out and "setOnline(on: boolean): void" in out


def test_listing_lines_are_one_line_headers_cut_inside_the_parameter_list():
    from cache.index.model import Symbol
    from completion.context.render import MAX_LISTING_LINE, one_line

    def line(signature: str, language: str = "python", kind: str = "function") -> str:
        return one_line(Symbol("f", kind, "", signature, "", 0, 3), language)

    long_def = ("def get(\n    url: URL | str,\n    *,\n    params: QueryParamTypes | None = None,\n"
                "    headers: HeaderTypes | None = None,\n    cookies: CookieTypes | None = None,\n) -> Response:")
    assert line(long_def) == "def get(url: URL | str, *, params: QueryParamTypes | None = None, ...) -> Response: ..."
    assert len(line(long_def)) <= MAX_LISTING_LINE + len(": ...")
    assert line("def main() -> None:  # type: ignore") == "def main() -> None: ..."
    assert line("def f(\n    a,\n    b,\n):") == "def f(a, b): ..."
    assert line("Int = Integer", kind="variable") == "Int = Integer"
    # The return type's own commas are not parameter separators.
    assert line("def pair(a: int) -> tuple[int, int]:") == "def pair(a: int) -> tuple[int, int]: ..."
    assert line("export function sleep(ms: number): Promise<void> {", "typescript") == \
        "export function sleep(ms: number): Promise<void> { ... }"


SESSION_MEMBERS = {"id", "user", "active", "close", "subscribe"}


@pytest.mark.parametrize("text", [
    "import { session } from './state';\n\nsession.",  # through the barrel's re-export
    "import { Session } from './state/session';\n\nfunction f() {\n  const s = new Session('a', 'b');\n  s.",
    "import { Session } from './state/session';\n\nfunction f(s: Session) {\n  s.",
])
def test_a_typescript_instance_offers_the_public_members_of_its_class_and_bases(index, text):
    from completion.context.classes import OBJECT_MEMBERS
    qualifier = text.rsplit("\n", 1)[-1].strip().rstrip(".")
    names = member_names(index, "web/app.ts", text, qualifier)
    assert names == frozenset(SESSION_MEMBERS | OBJECT_MEMBERS)  # not refresh/token/#secret/create/drop/listeners


@pytest.mark.parametrize("rel,text,qualifier", [
    ("web/app.ts", "import { remote } from './state';\n\nremote.", "remote"),  # a base outside the repository
    ("web/app.ts", "import { merged } from './state/merged';\n\nmerged.", "merged"),  # merged with an interface
    ("web/app.ts", "import { made } from './state';\n\nmade.", "made"),  # a factory's result: any shape
    ("web/app.ts", "import { bag } from './state/bag';\n\nbag.", "bag"),  # an index signature: any name
    ("web/app.js", "import { session } from './state';\n\nsession.", "session"),  # JS: fields come by assignment
])
def test_instances_whose_members_cannot_all_be_known_get_no_rule(index, rel, text, qualifier):
    assert member_names(index, rel, text, qualifier) is None


def test_a_typescript_class_object_offers_its_and_its_bases_static_members(index):
    """`Session.` (the imported class, not an instance): the statics it inherits from Emitter, and what
    every function has; a class of the file itself the same way; none where a namespace merges in."""
    from completion.context.classes import FUNCTION_MEMBERS, OBJECT_MEMBERS
    text = "import { Session } from './state/session';\n\nSession."
    assert member_names(index, "web/app.ts", text, "Session") == frozenset({"create"} | FUNCTION_MEMBERS | OBJECT_MEMBERS)
    local = "class Local {\n  static count = 0;\n  private static hidden = 1;\n  run(): void {}\n}\n\nLocal."
    assert member_names(index, "web/app.ts", local, "Local") == frozenset({"count"} | FUNCTION_MEMBERS | OBJECT_MEMBERS)
    inside = local.replace("  run(): void {}\n}\n\nLocal.", "  run(): void {\n    return Local.")
    parsed = extract(inside + "\n  }\n}\n", "typescript")  # the cursor inside the class: its private statics too
    view = FileView("web/app.ts", "typescript", inside + "\n  }\n}\n", len(inside), parsed.symbols, parsed.imports)
    assert SignatureResolver(index, view).member_names("Local") == frozenset({"count", "hidden"} | FUNCTION_MEMBERS | OBJECT_MEMBERS)
    merged = local.replace("\n\nLocal.", "\nnamespace Local {\n  export const extra = 1;\n}\n\nLocal.")
    assert member_names(index, "web/app.ts", merged, "Local") is None
    shadowed = local.replace("\n\nLocal.", "\n\nfunction f() {\n  const Local = make();\n  Local.")
    assert member_names(index, "web/app.ts", shadowed, "Local") is None


def test_a_java_class_offers_its_static_members_nested_types_and_its_bases(index):
    """`Status.` (an enum imported by name): its constants, static methods, `values`/`valueOf`, the class
    literal, its interface's constant; not its instance members or, from another file, its private
    statics. The same package needs no import; a wildcard import works; a library base gives no rule."""
    from completion.context.javaclasses import ALWAYS
    app = "package com.acme;\n\nimport com.acme.model.Status;\n\nclass App {\n  Object f() {\n    return Status."
    assert member_names(index, "src/com/acme/App.java", app, "Status") == frozenset(
        {"ACTIVE", "RETIRED", "parse", "values", "valueOf", "MAX_LABEL"} | ALWAYS)
    # `Account` extends the generic `Base<T extends Comparable<T>>` (its bound is not a base) from the
    # same package, Base implements a java.io type that brings nothing.
    same_package = "package com.acme.model;\n\nclass Use {\n  void f() {\n    Account."
    assert member_names(index, "src/com/acme/model/Use.java", same_package, "Account") == frozenset(
        {"of", "KIND", "count", "Builder"} | ALWAYS)
    wildcard = "package com.acme;\n\nimport com.acme.model.*;\n\nclass App {\n  void f() {\n    Account."
    assert member_names(index, "src/com/acme/App.java", wildcard, "Account") == frozenset({"of", "KIND", "count", "Builder"} | ALWAYS)
    own = Path(index.root, "src/com/acme/model/Status.java").read_text().replace("return ACTIVE;", "return Status.")
    assert "hidden" in member_names(index, "src/com/acme/model/Status.java", own, "Status")  # private: its own file
    inside = "package com.acme.model;\n\nclass Use {\n  void f() {\n    Remote."
    assert member_names(index, "src/com/acme/model/Use.java", inside, "Remote") is None  # extends a library class
    assert member_names(index, "src/com/acme/App.java", "import java.util.List;\nclass A { void f() { List.", "List") is None
    # A class of the same simple name elsewhere in the repository is not the one imported; a wildcard
    # import of a package outside the repository may be where the name comes from.
    other = "import org.other.Account;\nclass A { void f() { Account."
    assert member_names(index, "src/com/acme/App.java", other, "Account") is None
    outside = "import org.lib.*;\nimport com.acme.model.*;\nclass A { void f() { Account."
    assert member_names(index, "src/com/acme/App.java", outside, "Account") is None
    assert member_names(index, "src/com/acme/App.java", "class A { void f(Status status) { status.", "status") is None


def test_a_java_instance_offers_its_class_members_and_what_every_object_has(index):
    """`acct.` where `acct` is declared with a repository class (a parameter, a local, `var … = new`,
    a field): the instance members of the class and its bases, the statics (reachable through an
    instance), Object's methods; `this.` its own class's, private ones too. No rule for a generic
    or array type, an undeclared name, a library class."""
    from completion.context.javaclasses import ALWAYS, OBJECT_METHODS

    def member_names(index, rel, text, receiver):  # the cursor at the end of `text`, the file closed below it
        whole = text + "\n  }\n}\n"
        parsed = extract(whole, "java")
        return SignatureResolver(index, FileView(rel, "java", whole, len(text), parsed.symbols, parsed.imports)).member_names(receiver)

    head = "package com.acme.model;\n\nclass Use {\n  private Account held;\n"
    statics = {"of", "KIND", "count", "Builder"} | ALWAYS
    expected = frozenset({"id", "value"} | OBJECT_METHODS | statics)
    for body in ("  void f(Account acct) {\n    acct.", "  void f() {\n    Account acct = Account.of(\"a\");\n    acct.",
                 "  void f() {\n    var acct = new Account();\n    acct.", "  void f() {\n    held."):
        receiver = body.rsplit("\n", 1)[-1].strip().rstrip(".")
        assert member_names(index, "src/com/acme/model/Use.java", head + body, receiver) == expected, body
    enum = member_names(index, "src/com/acme/model/Use.java", head + "  void f(Status s) {\n    s.", "s")
    assert {"name", "ordinal", "parse", "ACTIVE", "equals", "label"} <= enum and "hidden" not in enum  # private, another file
    for body in ("  void f(List<Account> xs) {\n    xs.", "  void f(Account[] xs) {\n    xs.", "  void f() {\n    xs.",
                 "  void f(Remote r) {\n    r."):
        receiver = body.rsplit("\n", 1)[-1].strip().rstrip(".")
        assert member_names(index, "src/com/acme/model/Use.java", head + body, receiver) is None, body
    own = Path(index.root, "src/com/acme/model/Status.java").read_text()
    own = own[: own.index("this.label") + len("this.")]  # in the constructor; the members below come from the saved file
    assert {"label", "hidden", "parse"} <= member_names(index, "src/com/acme/model/Status.java", own, "this")


def test_a_typescript_enum_offers_its_members(index):
    from completion.context.classes import OBJECT_MEMBERS
    text = "import { Phase, Merged } from './state/kinds';\n\nconst p = Phase."
    assert member_names(index, "web/app.ts", text, "Phase") == frozenset({"Idle", "Running", "Done"} | OBJECT_MEMBERS)
    assert member_names(index, "web/app.ts", text.replace("Phase.", "Merged."), "Merged") is None  # a namespace merges in
    local = "enum Dir { Up, Down }\n\nconst d = Dir."
    assert member_names(index, "web/app.ts", local, "Dir") == frozenset({"Up", "Down"} | OBJECT_MEMBERS)


def test_an_instance_a_factory_makes_offers_the_keys_of_the_object_it_returns(index):
    """`export const notifier = createNotifier()`, the factory ending `return { batch: …, flush, … }`:
    the signature is the factory's skeleton (bodies elided), and the rule allows those keys only."""
    from completion.context.classes import OBJECT_MEMBERS
    text = "import { notifier, open } from './state/notify';\n\nnotifier."
    assert member_names(index, "web/app.ts", text, "notifier") == frozenset(
        {"batch", "flush", "schedule", "delay"} | OBJECT_MEMBERS)
    out = context_for(index, "web/app.ts", text)
    assert "batch: <T>(callback: () => T): T => { ... }," in out and "schedule(cb: Callback): void { ... }," in out
    assert "    flush,\n" in out and "    delay: 10,\n" in out and "const notifier = createNotifier()" in out
    assert "queue.push" not in out and "flush();" not in out  # no bodies
    assert member_names(index, "web/app.ts", text.replace("notifier.", "open."), "open") is None  # a spread


def test_a_js_module_namespace_is_what_its_export_statements_name(index):
    barrel = member_names(index, "web/app.ts", "import * as lib from './lib';\n\nlib.", "lib")
    assert barrel == {"formatMoney", "parseIsoDate"}  # `export {…} from` and `export * from`
    star = member_names(index, "web/app.ts", "import * as all from './lib/all';\n\nall.", "all")
    assert star == {"partA", "partB", "money"}  # both declarators; `export *` passes on no default
    assert member_names(index, "web/app.js", "import * as legacy from './legacy';\n\nlegacy.", "legacy") is None
    assert member_names(index, "web/app.ts", "import lib from './lib';\n\nlib.", "lib") is None  # a default import


def test_a_js_module_namespace_lists_its_exports_not_its_imports(index):
    out = context_for(index, "web/app.ts", "import * as lib from './lib';\n\nlib.")
    assert "formatMoney(cents: number, currency: string): string" in out and "parseIsoDate(text: string)" in out
    assert "helperOnly" not in out  # the barrel imports it but does not export it


def test_a_go_package_of_this_module_offers_its_exported_names(index):
    text = 'package main\n\nimport (\n\t"fmt"\n\t"example.com/app/util"\n)\n\nfunc main() {\n\tutil.'
    assert member_names(index, "cmd/main.go", text, "util") == {"Pad", "Logf", "ModeA", "ModeB", "Width"}
    other = 'package main\n\nimport "github.com/other/util"\n\nfunc main() {\n\tutil.'
    assert member_names(index, "cmd/main.go", other, "util") is None  # ends like util/, is not it
    generated = 'package main\n\nimport "example.com/app/gen"\n\nfunc main() {\n\tgen.'
    assert member_names(index, "cmd/main.go", generated, "gen") is None  # api.pb.go is not indexed
    assert member_names(index, "cmd/main.go", text.replace("util.", "fmt."), "fmt") is None


def test_a_go_package_namespace_is_remembered_until_its_files_change(tmp_path):
    root = tmp_path / "gomod"
    (root / "pkg").mkdir(parents=True)
    (root / "go.mod").write_text("module example.com/m\n")
    (root / "pkg/a.go").write_text("package pkg\n\nfunc Alpha() {}\n")
    idx = RepoIndex(root, tmp_path / "go.sqlite", ScanRules(), language_for)
    idx.start()
    assert idx.wait_idle(30)
    shared: dict = {}
    text = 'package main\n\nimport "example.com/m/pkg"\n\nfunc main() {\n\tpkg.'

    def names() -> frozenset[str] | None:
        parsed = extract(text, "go")
        view = FileView("cmd/main.go", "go", text, len(text), parsed.symbols, parsed.imports)
        return SignatureResolver(idx, view, shared).member_names("pkg")

    try:
        assert names() == {"Alpha"} and any(key[0] == "go" for key in shared if isinstance(key, tuple))
        assert names() == {"Alpha"}  # from the cache
        (root / "pkg/b.go").write_text("package pkg\n\nconst Beta = 1\n")
        idx.submit_paths(changed=("pkg/b.go",))
        assert idx.wait_idle(30)
        assert names() == {"Alpha", "Beta"}  # a new file of the package
        (root / "pkg/a.go").write_text("package pkg\n\nfunc Gamma() {}\n")
        idx.submit_paths(changed=("pkg/a.go",))
        assert idx.wait_idle(30)
        assert names() == {"Gamma", "Beta"}  # a changed file's rows
    finally:
        idx.close()


def test_typescript_this_offers_every_member_the_class_and_its_bases_declare(index):
    """`this.` inside a class: private and protected members too (own and the base's), not statics."""
    from completion.context.classes import OBJECT_MEMBERS
    text = ("import { Emitter } from './state/base';\n\nexport class Timer extends Emitter<() => void> {\n"
            "  private ticks = 0;\n  static make(): Timer { return new Timer(); }\n"
            "  constructor(private readonly step: number) { super(); }\n  tick(): void {\n    this.|\n  }\n}\n")

    def this_names(text: str) -> frozenset[str] | None:  # the whole file open, the cursor at `|`
        offset = text.index("|")
        text = text.replace("|", "")
        parsed = extract(text, "typescript")
        view = FileView("web/timer.ts", "typescript", text, offset, parsed.symbols, parsed.imports)
        return SignatureResolver(index, view).member_names("this", "")

    assert this_names(text) == frozenset({"ticks", "step", "tick", "listeners", "subscribe", "drop"} | OBJECT_MEMBERS)
    in_static = text.replace("  tick(): void {", "  static reset(): void {")
    from completion.context.classes import FUNCTION_MEMBERS
    # `this` is the class there: its statics (private too) and the base's
    assert this_names(in_static) == frozenset({"make", "reset", "create"} | FUNCTION_MEMBERS | OBJECT_MEMBERS)
    hashed = this_names(text.replace("private ticks = 0;", "#ticks = 0;"))
    assert "#ticks" in hashed and "ticks" not in hashed
