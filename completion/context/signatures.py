"""Signature context: what the names near the cursor are, resolved through imports and the index.

A person completing `self.store.get(` looks up `get`'s parameters; one writing
`client.` looks at what the client's class offers. So: collect the names and
receivers near the cursor, follow the file's imports (and `self.` to the base
classes of the enclosing class, and `x = Cls(...)` to `Cls`) to their
definitions in other files, and offer signatures and class skeletons — never
bodies. Names the file imports but does not use near the cursor compete too,
with a lower score: they are what the model is likely to call next.
"""
from __future__ import annotations

import functools
import os
import posixpath
import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, Iterable, Sequence

from cache.index.extract import is_static
from cache.index.model import Import, Symbol
from cache.index.tokens import KEYWORDS
from completion.context import classes, esmodules, factories, javaclasses, pyclasses, resolve
from completion.context.candidates import Candidate
from cache.index.bases import base_keys, base_names
from completion.context.render import render_listing, render_skeleton, render_symbol
from completion.postprocess.balance import closers_for
from completion.languages import language_for

_CHAIN = re.compile(r"[A-Za-z_]\w*(?:\s*(?:\.|::|->)\s*[A-Za-z_]\w*)*(?:\s*(?:\.|::|->))?")
_STRING = re.compile(r"\"[^\"\n]*\"|'[^'\n]*'")  # literals are not names (same length keeps offsets)
_NAME = re.compile(r"[A-Za-z_]\w*")
_IMPORT_LINE = re.compile(r"[ \t]*(?:from|import)[ \t]")  # matched at a line's start
_MEMBER = re.compile(r"\b([A-Za-z_]\w*)\s*(?:\.|::)\s*([A-Za-z_]\w*)")
_SEP = re.compile(r"\s*(?:\.|::|->)\s*")
CONTAINER_KINDS = ("class", "type", "impl")
ES_LANGUAGES = ("javascript", "javascriptreact", "typescript", "typescriptreact")
STAR_REEXPORTS = ("python", *ES_LANGUAGES)
LINES_ABOVE = 8
MAX_REFS = 16
MAX_IMPORTED = 12
IMPORTED_SCORE = 0.15  # imported names not near the cursor: fill what budget the rest leaves
GO_PACKAGE_FILES = 64  # a Go package folder with more files than this gets no member rule (cost per request)
SUBCLASSES = 32  # a Python class with more repository subclasses than this gets no `self.` rule (cost)
LISTING_ENTRIES = 24  # definitions in a module listing (`mod.|`)
LISTING_CHARS = 700  # ~200 tokens: what the budget leaves signatures after the analogy share
# Attributes every Python module has, defined by the import system rather than by the file.
MODULE_ATTRIBUTES = frozenset({"__name__", "__file__", "__doc__", "__path__", "__spec__", "__loader__",
                               "__package__", "__dict__", "__builtins__", "__cached__"})
# Attributes every module has (and package folders' `__init__`/`__main__` files): valid after `mod.`, but
# code almost never writes them there, and the member rule must not offer them to a small model. Its
# `.__` token carries the mass of every dunder it might start (`__call__`, `__main__`), refused or not,
# and outweighed the real member: `click.echo(...)` became `click.__name__ = "cli"` (dev benchmark).
RARELY_WRITTEN = MODULE_ATTRIBUTES | {"__init__", "__main__"}
PACKAGE_FILES = ("__init__.py", "index.ts", "index.tsx", "index.js", "mod.rs", "lib.rs")
_INDEX_SIGNATURE = re.compile(r"\s*(?:(?:static|readonly|declare)\s+)*\[\s*[A-Za-z_$][\w$]*\s*:")
_INTERFACE = re.compile(r"\s*(?:export\s+)?(?:declare\s+)?interface\b")
_NAMESPACE = r"\s*(?:export\s+)?(?:declare\s+)?(?:namespace|module)\s+{}\b"
_CONSTRUCTED = re.compile(r"=\s*(?:new\s+)?([A-Z]\w*)\s*[(<]")  # `x = new Manager()`, `x = Manager(...)`


@dataclass(frozen=True)
class Ref:
    """A name near the cursor: `qualifier.name`; name "" means "members of qualifier" (`x.|`)."""

    name: str
    qualifier: str
    weight: float


@dataclass(frozen=True)
class FileView:
    """The current document as the resolver needs it (plain data, parsed from the live text)."""

    rel: str
    language: str
    text: str
    offset: int
    symbols: tuple[Symbol, ...]
    imports: tuple[Import, ...]

    @property
    def line(self) -> int:
        return self.text.count("\n", 0, self.offset)


def refs_near_cursor(text: str, offset: int, lines_above: int = LINES_ABOVE) -> list[Ref]:
    """Names and receivers on the cursor line (weight 1) and the lines above (decaying)."""
    line_start = text.rfind("\n", 0, offset) + 1
    start = line_start
    for _ in range(lines_above):
        if start == 0:
            break
        start = text.rfind("\n", 0, start - 1) + 1
    line_end = text.find("\n", offset)
    region = text[start: line_end if line_end >= 0 else len(text)]
    region = _STRING.sub(lambda m: m.group(0)[0] + " " * (len(m.group(0)) - 2) + m.group(0)[-1], region)
    cursor_in_region = offset - start
    cursor_line_at = line_start - start
    best: dict[tuple[str, str], float] = {}
    for m in _CHAIN.finditer(region):
        if m.start() > cursor_in_region:
            break
        distance = region.count("\n", m.start(), cursor_line_at) if m.start() < cursor_line_at else 0
        weight = max(0.3, 1.0 - 0.08 * distance)
        parts = [p for p in _SEP.split(m.group(0)) if p]
        trailing = bool(re.search(r"(?:\.|::|->)\s*$", m.group(0)))
        for i, part in enumerate(parts):
            qualifier = parts[i - 1] if i else ""
            if part.lower() in KEYWORDS and part not in ("self", "this"):
                continue
            if part in ("self", "this"):
                continue
            key = (part, qualifier)
            best[key] = max(best.get(key, 0.0), weight)
        if trailing and parts:
            key = ("", parts[-1])
            best[key] = max(best.get(key, 0.0), weight)
    refs = [Ref(name, qualifier, w) for (name, qualifier), w in best.items()]
    refs.sort(key=lambda r: -r.weight)
    return refs[:MAX_REFS]


_PY_BLOCK = re.compile(r"(\s*)(?:async\s+def|def|class)\b")
_PY_ASSIGN = re.compile(r"\s*\(?([A-Za-z_]\w*(?:\s*,\s*\*?[A-Za-z_]\w*)*)\)?\s*(?::[^=]*)?=(?!=)")
_PY_FOR = re.compile(r"\s*(?:async\s+)?for\s+\(?([\w\s,*]+?)\)?\s+in\b")
_PY_AS = re.compile(r"\bas\s+([A-Za-z_]\w*)")
_PY_GLOBAL = re.compile(r"\s*global\s+([\w\s,]+)")


def python_module_assignments(lines: Sequence[str]) -> set[str]:
    """Names a Python module binds outside def/class bodies by assignment, `for`, `with`/`except
    ... as`, plus `global` declarations anywhere. The index's symbols cover definitions and plain
    top-level assignments; these are the rest (`try: ... except: x = None`, `a, b = ...`), which a
    complete namespace must not miss. A line-based scan: over-inclusion only widens the rule."""
    names: set[str] = set()
    body: int | None = None  # indentation of the def/class whose body we are in
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        g = _PY_GLOBAL.match(line)
        if g:
            names.update(n.strip() for n in g.group(1).split(",") if n.strip())
        if body is not None:
            if indent > body:
                continue
            body = None
        block = _PY_BLOCK.match(line)
        if block:
            body = indent
            continue
        for pattern in (_PY_ASSIGN, _PY_FOR):
            m = pattern.match(line)
            if m:
                names.update(n.strip().lstrip("*") for n in m.group(1).split(",") if n.strip())
        names.update(_PY_AS.findall(line))
    return {n for n in names if n.isidentifier()}


class SignatureResolver:
    """Resolves refs of one document against one folder's index."""

    def __init__(self, index, view: FileView, namespaces: dict | None = None) -> None:
        self.index = index
        self.store = index.store
        self.view = view
        # module file → its namespace, ("exports", language, *files) → its exports: see _recall
        self._namespaces = namespaces if namespaces is not None else {}
        self.bindings = {imp.local: _binding(imp, view.language) for imp in view.imports if imp.local}
        self._files_cache: dict[tuple[str, str, str], list[str]] = {}
        self._symbols: dict[str, list[Symbol]] = {}
        self._local_names = {s.name for s in view.symbols if not s.parent}
        self._pairs: list[tuple[str, str]] | None = None
        self._view_lines: list[str] | None = None
        self._scope: str | None = None  # _scope_text
        self._innermost: tuple[Symbol | None] | None = None  # _function, found once per request

    # -- imports → files → symbols ------------------------------------------------------------
    def module_files(self, module: str, name: str = "", current: str | None = None) -> list[str]:
        """Files an import of `module` (from `current`, default the cursor's file) refers to."""
        cur = current or self.view.rel
        key = (module, name, cur)
        if key not in self._files_cache:
            self._files_cache[key] = [p for p in self._module_files(module, name, cur) if p != self.view.rel]
        return self._files_cache[key]

    def _module_files(self, module: str, name: str, cur: str) -> list[str]:
        lang = self.view.language
        if lang == "python":
            return resolve.python_module(self.store, cur, module)
        if lang in ("javascript", "javascriptreact", "typescript", "typescriptreact"):
            return resolve.js_module(self.store, cur, module)
        if lang == "java":
            return resolve.java_module(self.store, cur, module, name or "*")
        if lang == "go":
            return resolve.go_package(self.store, module)
        if lang == "rust":
            return resolve.rust_module(self.store, cur, module)
        if lang in ("c", "cpp"):
            return resolve.c_include(self.store, cur, module)
        return []

    def submodule(self, imp: Import, current: str | None = None) -> list[str]:
        """`from pkg import mod` / `use crate::a::b`: the imported name may itself be a module
        (`current`: the importing file, default the cursor's)."""
        if self.view.language == "python" and imp.name not in ("", "*"):
            joiner = "" if imp.module.endswith(".") else "."
            return self.module_files(imp.module + joiner + imp.name, current=current)
        if self.view.language == "rust" and imp.name not in ("", "*"):
            return self.module_files(f"{imp.module}::{imp.name}", current=current)
        return []

    def symbols_of(self, path: str, parent: str | None = None) -> list[Symbol]:
        """The file's symbols, read once per request."""
        if path not in self._symbols:
            self._symbols[path] = self.store.symbols_of(path)
        symbols = self._symbols[path]
        return symbols if parent is None else [s for s in symbols if s.parent == parent]

    def find(self, files: Sequence[str], name: str, parent: str | None = "", hops: int = 2) -> list[tuple[str, Symbol]]:
        """Definitions of `name` in `files`, following re-exports (`from ._models import Response`)."""
        out = []
        for path in files[:8]:
            for s in self.symbols_of(path):
                if s.name == name and (parent is None or s.parent == parent):
                    out.append((path, s))
        if not out and hops > 0:
            for path in files[:4]:
                for imp in self.store.imports_of(path):
                    if imp.local == name and imp.name not in ("", "*"):
                        target = self.module_files(imp.module, imp.name, current=path)
                        out += self.find(target, imp.name, parent, hops - 1)
                    elif imp.name == "*" and self.view.language in STAR_REEXPORTS:  # `from ._models import *`
                        target = self.module_files(imp.module, "*", current=path)
                        out += self.find(target, name, parent, 0)
                    if out:
                        break
                if out:
                    break
        out.sort(key=lambda ps: (ps[1].kind not in CONTAINER_KINDS + ("function",), ps[1].kind == "impl"))
        return out

    def resolve_import(self, imp: Import) -> list[tuple[str, Symbol]]:
        if imp.name in ("", "*"):
            return []
        files = self.module_files(imp.module, imp.name)
        name = imp.local if imp.name == "default" else imp.name
        found = self.find(files, name)
        if not found and imp.name == "default":
            found = [(p, s) for p in files[:1] for s in self.symbols_of(p) if not s.parent][:1]
        return found

    def resolve_name(self, name: str) -> list[tuple[str, Symbol]]:
        """A bare name: through the imports, else (same package / includes) through the index."""
        imp = self.bindings.get(name)
        if imp is not None:
            return self.resolve_import(imp)
        if name in self._local_names:
            return []  # defined in this file: already in the prompt's own text
        star_files = [p for i in self.view.imports if i.name == "*" for p in self.module_files(i.module, "*")]
        found = self.find(star_files, name) if star_files else []
        if found:
            return found
        if self.view.language in ("python", "javascript", "javascriptreact", "typescript", "typescriptreact"):
            return []  # these languages name every cross-file binding in an import
        here = self.view.rel.rsplit("/", 1)[0] if "/" in self.view.rel else ""
        hits = [(p, s) for p, s in self.store.symbols_named(name, 20) if p != self.view.rel and not s.parent]
        hits.sort(key=lambda ps: ((ps[0].rsplit("/", 1)[0] if "/" in ps[0] else "") != here, ps[0]))
        return hits[:1]

    def resolve_type_of(self, variable: str) -> list[tuple[str, Symbol]]:
        """`x = Cls(...)`, `x: Cls`, `Cls x`, `x := pkg.New()` in the text before the cursor → Cls."""
        prefix = self.view.text[: self.view.offset]
        v = re.escape(variable)
        patterns = (
            rf"\b{v}\s*:\s*([A-Za-z_][\w.]*)",  # annotation (Python, TS)
            rf"\b{v}\s*:?=\s*(?:new\s+|&)?([A-Za-z_][\w.]*)\s*[({{]",  # construction
            rf"\b([A-Z][\w.]*)(?:<[^>]*>)?\s+{v}\s*[=;,)]",  # Java/C-style declaration
        )
        for pattern in patterns:
            matches = list(re.finditer(pattern, prefix))
            if matches:
                type_name = matches[-1].group(1)
                return self.resolve_dotted(type_name)
        return []

    def resolve_dotted(self, dotted: str) -> list[tuple[str, Symbol]]:
        """`Cls`, `mod.Cls`, `pkg::Cls` → its definition."""
        parts = [p for p in re.split(r"\.|::", dotted) if p]
        if not parts:
            return []
        if len(parts) == 1:
            return self.resolve_name(parts[0])
        imp = self.bindings.get(parts[0])
        if imp is None:
            return []
        files: list[str] = []
        if self.view.language == "python" and imp.name == "" and len(parts) > 2:  # `pkg.sub.Cls`: pkg/sub.py
            files = self.module_files(".".join([imp.module, *parts[1:-1]]))
        if not files:
            files = self.module_files(imp.module, imp.name) if imp.name in ("", "*") else self.submodule(imp)
        return self.find(files, parts[-1])

    def enclosing_class(self) -> Symbol | None:
        line = self.view.line
        best = None
        for s in self.view.symbols:
            if s.kind in CONTAINER_KINDS and s.start_line <= line <= s.end_line:
                if best is None or s.start_line >= best.start_line:
                    best = s
        return best

    def members_of(self, qualifier: str) -> list[tuple[str, Symbol]]:
        """What `qualifier.` refers to: self's bases, an imported module's file, a variable's class."""
        if qualifier in ("self", "this"):
            owner = self.enclosing_class()
            if owner is None:
                return []
            out: list[tuple[str, Symbol]] = []
            for base in base_names(owner.signature, self.view.language)[:3]:
                out += self.resolve_dotted(base)[:1]
            return out
        imp = self.bindings.get(qualifier)
        if imp is not None:
            if imp.name in ("", "*"):
                return []  # a module: its members are looked up by name
            found = self.resolve_import(imp)
            return [c for path, sym in found for c in self.constructed_class(path, sym)] or found
        if qualifier in self._local_names:
            return []
        return self.resolve_type_of(qualifier)

    # -- modules: what `mod.` offers ----------------------------------------------------------
    def module_of(self, imp: Import) -> list[str]:
        """The files of the module an import binds (`import httpx`, `import * as m`, `from pkg import mod`),
        [] when it binds a class, function or variable instead."""
        if imp.name == "":
            return self.module_files(imp.module, "")
        if imp.name not in ("*", "default"):
            return self.submodule(imp)
        return []

    def namespace(self, qualifier: str) -> frozenset[str] | None:
        """Every name `qualifier.` can be followed by, when that set is known to be complete; else None.

        Only Python modules of this repository qualify: a module's attributes are its top-level
        definitions and the names it imports, and nothing else (no `__getattr__`, no star import
        from outside the index); a package adds its submodule files. So do JS/TS modules bound
        by `import * as ns` (their export statements, completion/context/esmodules.py), and Go
        packages of this module (every exported top-level name of the folder's files). Python
        classes do not qualify (inheritance, instance attributes set anywhere; TS instances are
        `instance_names`), nor do other languages yet (Rust re-exports are not all indexed as
        symbols; Java classes inherit).
        """
        if self.view.language in ES_LANGUAGES:
            return self._es_namespace(qualifier)
        if self.view.language == "go":
            return self._go_namespace(qualifier)
        path = self._python_module_path(qualifier)
        if path is None:
            return None
        # Reading a package's star imports three deep is up to ~25 ms cold; a module's namespace
        # only changes when one of the files read changes (their content hashes say so) or, for a
        # package, when a submodule or subpackage comes or goes (two indexed queries to check).
        submodules = self._submodules(path)
        found, cached = self._recall(path, submodules)
        if found:
            return cached
        names = set(MODULE_ATTRIBUTES)
        read: list[str] = []
        result = frozenset(names | submodules) if self._module_names(path, names, 3, read) else None
        self._remember(path, result, read, submodules)
        return result

    def _es_namespace(self, qualifier: str) -> frozenset[str] | None:
        """`import * as ns from './mod'`: the names mod's export statements give it (and those of the
        modules it `export *`s from, three deep), remembered until a file read for them changes."""
        imp = self.bindings.get(qualifier)
        if imp is None or imp.name != "":
            return None
        files = self.module_files(imp.module, "")
        return self._es_file_names(files[0]) if files else None

    def _go_namespace(self, qualifier: str) -> frozenset[str] | None:
        """`pkg.|` for a package of this Go module: the exported top-level names of every non-test
        `.go` file in its folder. Only for an import path under the `module` line of the go.mod
        above the cursor's file (a stdlib or third-party package whose path merely ends like a
        folder here is not this folder), and only when every such file on disk is indexed (a
        generated or oversized file the index skips would take its names with it)."""
        imp = self.bindings.get(qualifier)
        if imp is None or imp.name != "":
            return None
        found = self._go_module()
        if found is None:
            return None
        mod_dir, module = found
        if imp.module != module and not imp.module.startswith(module + "/"):
            return None
        folder = "/".join(p for p in (mod_dir, imp.module[len(module):].strip("/")) if p)
        try:
            on_disk = {f"{folder}/{n}" if folder else n for n in os.listdir(self.index.root / folder)
                       if n.endswith(".go") and not n.endswith("_test.go")}
        except OSError:
            return None
        indexed = {p for p in self.store.paths_under(folder, limit=GO_PACKAGE_FILES + 1)
                   if p.endswith(".go") and not p.endswith("_test.go")}
        if not on_disk or on_disk != indexed or len(on_disk) > GO_PACKAGE_FILES:
            return None
        # Remembered like a Python module's namespace: valid while the same files hold the same rows.
        files = frozenset(on_disk)
        found, cached = self._recall(("go", folder), files)
        if found:
            return cached
        result = frozenset(s.name for path in sorted(files) for s in self.symbols_of(path)
                           if not s.parent and s.kind in ("function", "type", "variable") and s.name[:1].isupper())
        self._remember(("go", folder), result, sorted(files), files)
        return result

    def _go_module(self) -> tuple[str, str] | None:
        """(folder of the nearest go.mod above the cursor's file, its module path), or None."""
        parts = self.view.rel.split("/")[:-1]
        for k in range(len(parts), -1, -1):
            folder = "/".join(parts[:k])
            lines = self.index.read_lines(f"{folder}/go.mod" if folder else "go.mod")
            if lines is None:
                continue
            for line in lines:
                m = re.match(r"\s*module\s+\"?([^\s\"]+)", line)
                if m:
                    return folder, m.group(1)
            return None
        return None

    def _es_file_names(self, path: str) -> frozenset[str] | None:
        found, cached = self._recall(("es", path))
        if found:
            return cached
        names: set[str] = set()
        read: list[str] = []
        result = frozenset(names) if self._es_module_names(path, names, 3, read) else None
        self._remember(("es", path), result, read)
        return result

    def _es_module_names(self, path: str, names: set[str], star_hops: int, read: list[str]) -> bool:
        read.append(path)
        lines = self.index.read_lines(path)
        exports = esmodules.es_exports("\n".join(lines)) if lines is not None else None
        if exports is None:
            return False
        names |= exports.names
        for spec in exports.star_from:
            targets = self.module_files(spec, "*", current=path)
            theirs: set[str] = set()
            if star_hops <= 0 or not targets or not self._es_module_names(targets[0], theirs, star_hops - 1, read):
                return False
            names |= theirs - {"default"}  # `export *` passes on every name but the default export
        return True

    def _python_module_path(self, qualifier: str) -> str | None:
        """The file of the Python module `qualifier` is bound to by an import; None otherwise."""
        imp = self.bindings.get(qualifier)
        if self.view.language != "python" or imp is None:
            return None
        files = self.module_of(imp)
        return files[0] if files else None

    # The caller-owned cross-request cache (namespaces, exports): key → (value, ((file, content hash),
    # ...) of the files it was read from, extra), valid while those hashes and `extra` are unchanged.
    def _recall(self, key: str | tuple, extra: frozenset[str] = frozenset()) -> tuple[bool, Any]:
        cached = self._namespaces.get(key)
        if cached is not None and cached[2] == extra and all(self._stamp(p) == h for p, h in cached[1]):
            return True, cached[0]
        return False, None

    def _remember(self, key: str | tuple, value: Any, read: Iterable[str], extra: frozenset[str] = frozenset()) -> None:
        self._namespaces[key] = (value, tuple((p, self._stamp(p)) for p in read), extra)
        while len(self._namespaces) > 256:  # oldest out
            self._namespaces.pop(next(iter(self._namespaces)))

    def _submodules(self, path: str) -> frozenset[str]:
        """A package's submodule files and subpackages (attributes once imported); none for a module file."""
        if path.rsplit("/", 1)[-1] != "__init__.py":
            return frozenset()
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        files = (p.rsplit("/", 1)[-1].removesuffix(".py") for p in self.store.paths_under(folder) if p.endswith(".py"))
        return frozenset(files) | frozenset(self.store.subpackages(folder))

    def member_names(self, qualifier: str, lead: str = "") -> frozenset[str] | None:
        """The names the member rule lets a completion write at `qualifier.` (a complete namespace,
        else None), without the attributes every module has and, unless this file already writes
        an underscore member of `qualifier`, without underscore names: dunders the module defines
        (`__version__`), and — outside the module's own package — its private `_names`
        (`tomlkit._utils` from a test). A small model's `.__` or `._` token carries the mass of
        every underscore name it might start, allowed or not, and it outweighed the member meant:
        `click.echo(…)` became `click.__name__ = …`, then `click.__version__ = …` once `__name__`
        was out. Typing `_` lifts the rule (runtime/members.py: no name starts with what is typed).
        `lead`: the cursor line before `qualifier`, stripped (an instance's rule needs it)."""
        if self.view.language == "python" and qualifier in self.bindings and self._rebound_in_function(qualifier):
            return None  # `for base in mro` shadows `from marshmallow import base` in the whole function
        names = self.namespace(qualifier)
        if names is None and self.view.language == "python":
            return self.python_instance_names(qualifier, lead)
        if names is None and self.view.language == "java":
            return self.java_member_names(qualifier)
        if names is None:
            return self.instance_names(qualifier)
        inside = self._inside_package(self._python_module_path(qualifier) or "")
        written = self._writes_underscore_member(qualifier)

        def offered(name: str) -> bool:
            if name in RARELY_WRITTEN:
                return False
            if not name.startswith("_") or written:
                return True
            return inside and _private(name)

        return frozenset(n for n in names if offered(n))

    def instance_names(self, qualifier: str) -> frozenset[str] | None:
        """TypeScript: the public instance members of the class `qualifier` holds an instance of — an
        imported `export const focusManager = new FocusManager()`, or a variable constructed or
        annotated before the cursor (`const c = new QueryClient()`, `c: QueryClient`) — with its
        bases' (completion/context/classes.py); None when that is not a class of this repository
        or its members cannot all be known. (`focusManager.` had been completed `setOnline(true)`,
        a member of the other manager, and `mockReturnValue(true)`.) After a class itself — imported,
        or one of this file not shadowed by a variable — its static members (`_static_names`)."""
        if self.view.language not in classes.TS_LANGUAGES or qualifier == "super":
            return None
        if qualifier == "this":
            return self._this_names()
        imp = self.bindings.get(qualifier)
        if imp is not None:
            if imp.name in ("", "*", "default"):
                return None  # a module namespace or a default export: not an instance we can name
            imported = self.resolve_import(imp)
            if imported and imported[0][1].kind == "class":  # `QueryClient.`: the class object itself
                return self._static_names(*imported[0])
            if imported and imported[0][1].kind == "type":  # `Color.` of `enum Color { … }`
                return self._enum_names(*imported[0])
            found = [c for path, sym in imported for c in self.constructed_class(path, sym, new=True)]
            made = self.factory_object(*imported[0]) if imported and not found else None
            if made is not None:  # `export const notifyManager = createNotifyManager()`: the returned object's keys
                return frozenset({m.name for m in made[1]} | classes.OBJECT_MEMBERS)
        else:
            local = next((s for s in self.view.symbols if s.name == qualifier and s.kind in ("class", "type")
                          and not s.parent), None)
            if local is not None and not re.search(rf"\b(?:const|let|var)\s+{re.escape(qualifier)}\b", self.view.text):
                if local.kind == "type":
                    return self._enum_names(self.view.rel, local)
                # private statics too inside the class's own body (`return Notification.completeNotification`);
                # the saved copy's lines count too (error recovery around the cursor may cut the class short)
                line = self.view.line
                inside = any(c.start_line <= line <= c.end_line for c in (local, self._saved_class(self.view.rel, local)) if c)
                return self._static_names(self.view.rel, local, inside=inside)
            found = self.resolve_type_of(qualifier)
        found = [(path, sym) for path, sym in found[:1] if sym.kind == "class"]
        if not found:
            return None
        names = self._class_members(*found[0], depth=5)
        return frozenset(names | classes.OBJECT_MEMBERS) if names is not None else None

    def _this_names(self) -> frozenset[str] | None:
        """TypeScript `this.|` in an instance member of a class of this file: every member the class
        and its bases declare, private and protected ones too (TypeScript refuses `this.x` for an
        undeclared `x`, so — unlike Python's `self.` — even an assignment must name one of these).
        None in a static method (`this` is the class there)."""
        owner = self.enclosing_class()
        if owner is None or owner.kind != "class":
            return None
        line = self.view.line
        method = [s for s in self.view.symbols if s.parent == owner.name and s.kind == "method"
                  and s.start_line <= line <= s.end_line]
        if method and "static" in classes.modifiers(method[-1].signature):
            return self._static_names(self.view.rel, owner, inside=True)
        names = self._class_members(self.view.rel, owner, depth=5, inside=True)
        return frozenset(names | classes.OBJECT_MEMBERS) if names is not None else None

    def _enum_names(self, path: str, enum: Symbol) -> frozenset[str] | None:
        """A TS enum's members (`Color.Red`), unless a namespace of the same name merges more in."""
        names = classes.enum_members(enum.signature)
        lines = self._file_lines(path)
        if names is None or lines is None or _merges_namespace(lines, enum.name):
            return None
        return frozenset(names | classes.OBJECT_MEMBERS)

    def _static_names(self, path: str, cls: Symbol, inside: bool = False) -> frozenset[str] | None:
        """What a TS class object offers (`QueryClient.`, `this.` in a static method): its and its bases'
        static members, and a function's own (`name`, `bind`, …); None when they cannot all be known."""
        names = self._class_members(path, cls, depth=5, inside=inside, static=True)
        return frozenset(names | classes.FUNCTION_MEMBERS | classes.OBJECT_MEMBERS) if names is not None else None

    def _class_members(self, path: str, cls: Symbol, depth: int, inside: bool = False,
                       static: bool = False) -> set[str] | None:
        """A TS class's public instance member names and its bases' (`inside`: all of them, for `this.`;
        `static`: its static members instead), or None if any cannot be known. (Not cached across
        requests: a few indexed reads per base, ~1 ms.)"""
        mates = self._file_symbols(path)
        if any(s.name == cls.name and s.kind == "type" and _INTERFACE.match(s.signature) for s in mates):
            return None  # declaration merging: the interface adds members the class does not declare
        lines = self._file_lines(path)
        if static and (any(s.name == cls.name and not s.parent and s != cls for s in mates) or lines is None
                       or _merges_namespace(lines, cls.name)):
            return None  # a namespace of the same name adds static members
        body = lines[cls.start_line:cls.end_line + 1] if lines is not None else None
        if body is None or any(_INDEX_SIGNATURE.match(line) for line in body):
            return None  # `[key: string]: T`: any name is a member
        members = [s for s in mates if s.parent == cls.name]
        if path == self.view.rel:
            members += self._saved_members(path, cls)
        names = classes.static_members(members, inside) if static else classes.public_members(members, inside)
        base = classes.extends_of(cls.signature)
        if names is None or base is None or not base:
            return names
        found = self._base_class(path, base) if depth > 0 else None
        if found is None:
            return None  # a base outside the repository (or not a class we can read)
        inherited = self._class_members(*found, depth - 1, inside=inside, static=static)
        return None if inherited is None else names | inherited

    def _file_symbols(self, path: str) -> list[Symbol] | tuple[Symbol, ...]:
        """A file's symbols; the cursor's file from the live text (the index may hold an older version)."""
        return self.view.symbols if path == self.view.rel else self.symbols_of(path)

    def _file_imports(self, path: str) -> Sequence[Import]:
        """A file's imports; the cursor's file from the live text (as `_file_symbols`)."""
        return self.view.imports if path == self.view.rel else self.store.imports_of(path)

    def _file_lines(self, path: str) -> list[str] | None:
        if path != self.view.rel:
            return self.index.read_lines(path)
        if self._view_lines is None:
            self._view_lines = self.view.text.split("\n")
        return self._view_lines

    def _base_class(self, path: str, base: str) -> tuple[str, Symbol] | None:
        """The class a class header in `path` names as a base (`Base`, `mod.Base`): defined in the same
        file or imported into it; None when it is not a class of the repository."""
        if "." not in base:
            for s in self._file_symbols(path):
                if s.name == base and not s.parent and s.kind == "class":
                    return path, s
        head, _, rest = base.partition(".")
        if "." in rest:
            return None
        imports = self._file_imports(path)
        for imp in imports:
            if imp.local != head:
                continue
            if not rest and imp.name not in ("", "*"):
                found = self.find(self.module_files(imp.module, imp.name, current=path), imp.name)
            elif rest and imp.name == "":  # `import mod` … `mod.Base`
                found = self.find(self.module_files(imp.module, "", current=path), rest)
            elif rest:  # `from pkg import mod` … `mod.Base`
                found = self.find(self.submodule(imp, current=path), rest)
            else:
                found = []
            found = [(p, s) for p, s in found if s.kind == "class"]
            return found[0] if found else None
        return None

    # -- Python instances: what `self.` / `client.` offers (completion/context/pyclasses.py) ---------
    def python_instance_names(self, qualifier: str, lead: str) -> frozenset[str] | None:
        """The attributes of the object `qualifier` holds: `self` inside a class of this file, a variable
        constructed (`c = Client(...)`) or annotated (`c: Client`) in the enclosing function, or an
        imported instance (`manager = Manager()` in its module) — its class's, its bases' and, where
        the object may be a subclass's (`self`, an annotation), the repository's subclasses'. None where
        that cannot be known, where the completion may bind a new attribute (`self.` starting a
        statement), or after a chain (`a.client.`: `client` is not a name of this scope)."""
        if (pyclasses.may_bind(lead) and not self._continues_brackets()) or lead.endswith("."):
            return None
        extra: frozenset[str] = frozenset()
        inside = qualifier == "self"
        if qualifier == "self":
            owner = self.enclosing_class()
            if owner is None or owner.kind != "class":
                return None
            found, subclasses = (self.view.rel, owner), True
        elif (owner := self._classmethod_class(qualifier)) is not None:
            # `cls.` in a classmethod: the class or a subclass of it, read from inside.
            found, subclasses, inside = (self.view.rel, owner), True, True
            extra = pyclasses.CLASS_OBJECT_NAMES | pyclasses.CLASS_DUNDERS
        elif (cls := self._python_class_object(qualifier)) is not None:
            # `StringType.` (a class, not an instance): what its body and its bases' define. The
            # `self.x` names that come along are instance attributes: allowing them costs nothing.
            found, subclasses, extra = cls, False, pyclasses.CLASS_OBJECT_NAMES
        else:
            found, subclasses = self._python_instance_class(qualifier)
            if found is None:
                return None
        memo: dict[tuple[str, str, int], set[str] | None] = {}
        names = self._python_class_names(*found, memo, depth=6)
        if names is not None and subclasses:
            names = self._python_subclass_names(found[1].name, names, memo)
        if names is None:
            return None
        private_ok = inside or pyclasses.test_file(self.view.rel) or self._writes_underscore_member(qualifier)
        return pyclasses.offered(names | extra, private_ok)

    def _classmethod_class(self, qualifier: str) -> Symbol | None:
        """The class of this file whose classmethod (or `__new__`, `__init_subclass__`) the cursor is
        directly in, when `qualifier` is the parameter that receives the class and the body before
        the cursor does not rebind it."""
        owner, method = self.enclosing_class(), self._function()
        if owner is None or owner.kind != "class" or method is None or method.kind != "method" \
                or method.parent != owner.name or method.start_line <= owner.start_line:
            return None
        start = method.start_line
        lines = self._file_lines(self.view.rel) or []
        if pyclasses.classmethod_receiver(method.name, method.signature, lines[max(0, start - 8):start]) != qualifier:
            return None
        # the parameter list (it may span lines) binds the receiver; the body before the cursor must not
        _params, body = pyclasses.split_function(self._scope_text())
        return None if pyclasses.rebinds(body, qualifier) else owner

    # -- Java: what `Cls.` / `obj.` offers (completion/context/javaclasses.py) ---------------------
    def java_member_names(self, qualifier: str) -> frozenset[str] | None:
        """`Cls.`: the static members of the repository class `qualifier` names, with its bases'.
        `obj.` (a variable, parameter or field declared with a repository class) and `this.`: an
        instance's. None when that is not known (a library class, a generic or array type, a base
        whose members cannot all be known)."""
        found, instance = None, True
        if qualifier == "this":
            owner = self.enclosing_class()
            line = self.view.line
            around = [s for s in self.view.symbols if s.kind == "method" and s.start_line <= line <= s.end_line]
            if owner is None or owner.kind != "class" or len(around) != 1 or is_static(around[0].signature):
                return None  # a static method; or a method inside a method: an anonymous class's `this`
            found = (self.view.rel, owner)
        elif qualifier[:1].isupper() and (found := self._java_class(self.view.rel, qualifier)) is not None:
            instance = False
        elif (type_name := self._java_variable_type(qualifier)) is not None:
            found = self._java_class(self.view.rel, type_name)
        names = self._java_members(*found, depth=5, instance=instance) if found is not None else None
        return frozenset(names) if names is not None else None

    def _java_variable_type(self, variable: str) -> str | None:
        """The class `variable` was declared with: its last declaration in the method before the
        cursor (a parameter, a local, a for-each variable), else a field of the enclosing classes."""
        if self._function_start() is not None:
            found = javaclasses.declared_type(self._scope_text(), variable)
            if found is not None:
                return found
        line = self.view.line
        owners = {s.name for s in self.view.symbols if s.kind == "class" and s.start_line <= line <= s.end_line}
        fields = [s for s in self.view.symbols if s.kind == "field" and s.name == variable and s.parent in owners]
        return javaclasses.declared_type(fields[-1].signature, variable) if fields else None

    def _java_class(self, path: str, name: str) -> tuple[str, Symbol] | None:
        """The class a capitalized simple name means in `path`, as Java resolves it: a single-type
        import, a type of the file itself, one of the same package (folder), a wildcard import."""
        if not name[:1].isupper():
            return None
        single = self._single_import(path, name)
        if single is not None:
            return self._java_top(resolve.java_type(self.store, single.module, single.name), name)
        own = sorted((s for s in self._file_symbols(path) if s.name == name and s.kind == "class"),
                     key=lambda s: s.parent != "")
        if own:
            return path, own[0]
        folder = posixpath.dirname(path)
        found = self._java_top([posixpath.join(folder, f"{name}.java")], name)
        for imp in (i for i in self._file_imports(path) if i.name == "*" and found is None):
            found = self._java_top(resolve.java_type(self.store, imp.module, name), name)
            if found is None and not resolve.java_module(self.store, path, imp.module, "*"):
                return None  # `import org.lib.*;`: the name may come from a package outside the repository
        return found

    def _saved_class(self, path: str, cls: Symbol) -> Symbol | None:
        """`cls` as the indexed (saved) copy of the file has it. The text being edited rarely parses
        (`return Status.` then `}`), and error recovery can cut the class short or swallow the
        members below the cursor; the saved copy's lines and members only ever allow more names."""
        return next((s for s in self.symbols_of(path) if s.name == cls.name and s.kind == cls.kind
                     and s.parent == cls.parent), None)

    def _saved_members(self, path: str, cls: Symbol) -> list[Symbol]:
        """The members the saved copy of the cursor's file gives class `cls` (`_saved_class`)."""
        saved = self._saved_class(path, cls)
        return _members_of(self.symbols_of(path), saved) if saved is not None else []

    def _java_platform_type(self, path: str, base: str) -> str:
        """The simple name of a `java.*` type a header names (`java.io.Serializable`, or `Serializable`
        imported from java.io or, unimported, java.lang's); "" for anything else."""
        if "." in base:
            return base.rsplit(".", 1)[-1] if base.startswith("java.") else ""
        single = self._single_import(path, base)
        return base if single is None or single.module.startswith("java.") else ""

    def _single_import(self, path: str, name: str) -> Import | None:
        """The import in `path` that binds `name` itself (`import com.a.Status;`), not a module or `*`."""
        return next((i for i in self._file_imports(path) if i.local == name and i.name not in ("", "*")), None)

    def _java_top(self, files: Sequence[str], name: str) -> tuple[str, Symbol] | None:
        return next(((p, s) for p in files[:4] for s in self.symbols_of(p)
                     if s.name == name and s.kind == "class" and not s.parent), None)

    def _java_members(self, path: str, cls: Symbol, depth: int, instance: bool) -> set[str] | None:
        """The static members of `cls` and its bases — with `instance`, also the instance members
        (Java lets code reach a static through an instance, so those names are not refused)."""
        own_file = path == self.view.rel
        members = _members_of(self._file_symbols(path), cls)
        if own_file:
            members += self._saved_members(path, cls)
        names = javaclasses.static_members(cls, members, own_file)
        if instance:
            names |= javaclasses.instance_members(cls, members, own_file)
        for base in base_names(cls.signature, "java"):
            found = self._java_class(path, base) if depth > 0 and "." not in base else None
            if found is None:
                platform = self._java_platform_type(path, base)
                if not instance and platform in javaclasses.NO_STATICS:
                    continue
                if instance and platform in javaclasses.PLATFORM_INSTANCE:
                    names |= javaclasses.PLATFORM_INSTANCE[platform]
                    continue
                return None  # a library base (or a qualified name): what it brings is unknown
            inherited = self._java_members(*found, depth - 1, instance=instance)
            if inherited is None:
                return None
            names |= inherited
        return names

    def _continues_brackets(self) -> bool:
        """Is the cursor's line inside brackets opened above it (an argument on its own line, not a
        statement: `self._parse_string(\n    StringType.` binds nothing)? Read from the enclosing
        function's `def` line, or at module level from the nearest line at column 0 (whole lines: a
        bracket closed on an indented line is closed)."""
        line = self.view.line
        lines = self._file_lines(self.view.rel) or []
        start = self._function_start()
        if start is None:
            start = next((i for i in range(line - 1, -1, -1) if lines[i][:1] not in ("", " ", "\t")), 0)
        return bool(closers_for("\n".join(lines[start:line]) + "\n", "python"))

    def _python_class_object(self, name: str) -> tuple[str, Symbol] | None:
        """The class `name` is, when it names one: imported (`from tomlkit.items import StringType`) or
        defined at the top of this file and not rebound in the function at the cursor."""
        imp = self.bindings.get(name)
        if imp is not None:
            if imp.name in ("", "*"):
                return None
            found = self.resolve_import(imp)[:1]
        else:
            found = [(self.view.rel, s) for s in self.view.symbols
                     if s.name == name and s.kind == "class" and not s.parent][:1]
            if found and pyclasses.last_binding(self._scope_text(), name) is not None:
                return None  # rebound in this scope (`StringType = …` / a parameter annotated as it)
        return found[0] if found and found[0][1].kind == "class" else None

    def _python_instance_class(self, variable: str) -> tuple[tuple[str, Symbol] | None, bool]:
        """(the class `variable` holds an instance of, may it be a subclass's?): its last binding in the
        enclosing function (or at module level), which must be a construction or an annotation."""
        imp = self.bindings.get(variable)
        if imp is not None:
            if imp.name in ("", "*"):
                return None, False
            found = [c for path, sym in self.resolve_import(imp) for c in self.constructed_class(path, sym)]
            return (found[0] if found and found[0][1].kind == "class" else None), False
        if variable in self._local_names:
            return None, False
        binding = pyclasses.last_binding(self._scope_text(), variable)
        if binding is None:
            return None, False
        type_name, constructed = binding
        found = [(p, s) for p, s in self.resolve_dotted(type_name)[:1] if s.kind == "class"]
        return (found[0] if found else None), not constructed

    def _rebound_in_function(self, name: str) -> bool:
        """Does the function around the cursor bind `name` — a parameter, an assignment, a `for` or
        comprehension target, `as` — anywhere in it, below the cursor too? (A name bound anywhere in
        a function is local to all of it, and a comprehension's target shadows it inside.)"""
        function = self._function()
        if function is None:
            return False
        lines = self._file_lines(self.view.rel) or []
        params, body = pyclasses.split_function("\n".join(lines[function.start_line:function.end_line + 1]))
        return name in params or pyclasses.rebinds(body, name)

    def _function(self) -> Symbol | None:
        """The innermost function or method around the cursor, None at module level."""
        if self._innermost is None:
            line = self.view.line
            around = [s for s in self.view.symbols
                      if s.kind in ("function", "method") and s.start_line <= line <= s.end_line]
            self._innermost = (max(around, key=lambda s: (s.start_line, -s.end_line)) if around else None,)
        return self._innermost[0]

    def _function_start(self) -> int | None:
        """The `def` line of the innermost function around the cursor, None at module level."""
        function = self._function()
        return function.start_line if function is not None else None

    def _scope_text(self) -> str:
        """The text of the function around the cursor up to it (from its `def` line: parameters bind
        too), or the module-level lines before it. Built once per request (several rules read it)."""
        if self._scope is None:
            line, start = self.view.line, self._function_start()
            lines = self._file_lines(self.view.rel) or []
            if start is not None:
                head = "\n".join(lines[start:line])
                text = self.view.text
                self._scope = head + "\n" + text[text.rfind("\n", 0, self.view.offset) + 1: self.view.offset]
            else:
                self._scope = "\n".join(l for l in lines[:line] if l[:1] not in (" ", "\t"))
        return self._scope

    def _python_class_names(self, path: str, cls: Symbol, memo: dict, depth: int, skip: str = "") -> set[str] | None:
        """A Python class's attributes and its bases' (up to `object`), or None if any cannot be known.
        `skip`: a base not to walk (the class a subclass was found from: its names are already in)."""
        key = (path, cls.name, cls.start_line)
        if key in memo:
            return memo[key]
        memo[key] = None  # a cycle reads as unknown
        lines = self._file_lines(path)
        if lines is None:
            return None
        body = lines[cls.start_line: cls.end_line + 1]
        above = lines[max(0, cls.start_line - 8): cls.start_line]
        if pyclasses.makes_names(body) or not pyclasses.known_decorators(above) or not pyclasses.known_metaclass(cls.signature):
            return None
        names = {s.name for s in self._file_symbols(path) if s.parent == cls.name
                 and cls.start_line < s.start_line <= cls.end_line and not pyclasses.is_dunder(s.name)}
        names |= pyclasses.attribute_mentions(body)
        for base in base_names(cls.signature, "python"):
            if base == "object" or (skip and base.rsplit(".", 1)[-1] == skip):
                continue
            found = self._base_class(path, base) if depth > 0 else None
            inherited = self._python_class_names(*found, memo, depth - 1) if found is not None else None
            if inherited is None and found is None:
                inherited = pyclasses.builtin_base_names(base)
            if inherited is None:
                return None
            names |= inherited
        memo[key] = names
        return names

    def _python_subclass_names(self, name: str, names: set[str], memo: dict) -> set[str] | None:
        """`names` with the attributes of every repository class deriving from `name` (three levels);
        None when there are too many to read or one cannot be known."""
        frontier, seen, count = [name], {name}, 0
        for _level in range(3):
            following: list[str] = []
            for parent in frontier:
                stored = self.store.subclasses(parent, "python", SUBCLASSES + 1)
                if len(stored) > SUBCLASSES:
                    return None  # too many to read for one request
                # the cursor's file from its live text, the others as the index keyed them by base
                rows = [(p, s) for p, s in stored if p != self.view.rel]
                rows += [(self.view.rel, s) for s in self.view.symbols
                         if s.kind == "class" and parent in base_keys(s.signature, "python")]
                for path, sub in rows:
                    count += 1
                    sub_names = self._python_class_names(path, sub, memo, 6, skip=parent) if count <= SUBCLASSES else None
                    if sub_names is None:
                        return None
                    names |= sub_names
                    if sub.name not in seen:
                        seen.add(sub.name)
                        following.append(sub.name)
            frontier = following
            if not frontier:
                return names
        return None  # deeper subclasses were not read

    def member_pairs(self) -> list[tuple[str, str]]:
        """Every `qualifier.name` written before the cursor, scanned once per request (a 100 KB prefix
        takes a few ms; the listing and the candidates both count them)."""
        if self._pairs is None:
            self._pairs = _MEMBER.findall(self.view.text[: self.view.offset])
        return self._pairs

    def _writes_underscore_member(self, qualifier: str) -> bool:
        """Does the text before the cursor write `qualifier._…` outside an import line
        (`from pkg._x import y` writes no member of `pkg`)?"""
        text = self.view.text[: self.view.offset]
        for m in re.finditer(rf"\b{re.escape(qualifier)}\s*\.\s*_", text):
            if not _IMPORT_LINE.match(text, text.rfind("\n", 0, m.start()) + 1):
                return True
        return False

    def _inside_package(self, module_path: str) -> bool:
        """Is the cursor's file in the top-level package that holds `module_path`?"""
        folder = module_path.rsplit("/", 1)[0] if "/" in module_path else ""
        while folder:
            parent = folder.rsplit("/", 1)[0] if "/" in folder else ""
            if self.store.file(f"{parent}/__init__.py" if parent else "__init__.py") is None:
                break
            folder = parent
        return self.view.rel.startswith(f"{folder}/") if folder else True

    def _stamp(self, path: str) -> str:
        row = self.store.file(path)
        return row.hash if row is not None else ""

    def _module_names(self, path: str, names: set[str], star_hops: int, read: list[str]) -> bool:
        """Add the top-level names of a Python module file; False when the set cannot be known."""
        read.append(path)
        lines = self.index.read_lines(path)
        if lines is None:
            return False
        names.update(python_module_assignments(lines))
        for sym in self.symbols_of(path):
            if not sym.parent:
                if sym.name == "__getattr__":
                    return False  # PEP 562: any name may exist
                names.add(sym.name)
        for imp in self.store.imports_of(path):
            if imp.name == "*":
                targets = self.module_files(imp.module, "*", current=path)
                if star_hops <= 0 or not targets or not self._module_names(targets[0], names, star_hops - 1, read):
                    return False
            elif imp.local:
                names.add(imp.local.split(".")[0])
        return True

    def _exported(self, symbol: Symbol, es_names: frozenset[str] | None = None) -> bool:
        if symbol.parent or symbol.kind not in ("class", "function", "variable", "type") or symbol.name.startswith("_"):
            return False
        lang = self.view.language
        if lang == "go":
            return symbol.name[:1].isupper()
        if lang in ES_LANGUAGES:
            # The index's signature starts at the declaration (`class A`), not at its `export`: the
            # module's export statements say what it exports (a barrel's imports are not exports).
            return es_names is not None and symbol.name in es_names
        if lang == "rust":
            return symbol.signature.lstrip().startswith("pub")
        return True

    def exports(self, files: Sequence[str]) -> list[Symbol]:
        """The public top-level definitions of a module, following a package file's re-exports one step
        (`from ._models import *`, `from .core import Command as Command`, `export * from './x'`).

        Remembered across requests (with the namespaces) until a file read for it changes: a
        package's re-exports cost ~8 ms to follow on the dev benchmark's repositories, on the
        first `mod.` of every file."""
        key = ("exports", self.view.language, *files[:6])
        found, cached = self._recall(key)
        if found:
            return list(cached)
        out: list[Symbol] = []
        seen: set[str] = set()
        read: set[str] = set(files[:6])

        es_names = self._es_file_names(files[0]) if files and self.view.language in ES_LANGUAGES else None

        def take(symbols: Sequence[Symbol]) -> None:
            for sym in symbols:
                if self._exported(sym, es_names) and sym.name not in seen:
                    seen.add(sym.name)
                    out.append(sym)

        for path in files[:6]:
            take(self.symbols_of(path))
            if path.rsplit("/", 1)[-1] not in PACKAGE_FILES:
                continue
            for imp in self.store.imports_of(path):
                if len(out) >= 4 * LISTING_ENTRIES:
                    break
                if imp.name == "*":
                    for target in self.module_files(imp.module, "*", current=path)[:1]:
                        read.add(target)
                        take(self.symbols_of(target))
                elif imp.name not in ("", "default") and imp.local and not imp.local.startswith("_"):
                    targets = self.module_files(imp.module, imp.name, current=path)
                    read.update(targets[:8])
                    take([s for _, s in self.find(targets, imp.name, hops=0)[:1]])
        self._remember(key, tuple(out), sorted(read))
        return out

    def module_listing(self, imp: Import, qualifier: str, score: float) -> Candidate | None:
        """`mod.|`: the module's public definitions, one line each — the names the member can be. Names this
        file already takes from the module come first (they recur), then the module's own order."""
        files = [p for p in self.module_of(imp) if p != self.view.rel]
        if not files:
            return None
        entries = self.exports(files)
        if not entries:
            return None
        uses = Counter(n for q, n in self.member_pairs() if q == qualifier)
        entries.sort(key=lambda sym: -uses[sym.name])  # stable: the module's order among equals
        chosen: list[Symbol] = []
        size = 0
        for sym in entries[:LISTING_ENTRIES]:
            size += len(sym.signature) + 1
            if size > LISTING_CHARS and chosen:
                break
            chosen.append(sym)
        text = render_listing(chosen, self.view.language)
        return Candidate(key=f"mod|{files[0]}", kind="signature", path=files[0], text=text, score=round(score, 4),
                         source="module")

    def constructed_class(self, path: str, symbol: Symbol, new: bool = False) -> list[tuple[str, Symbol]]:
        """An imported instance (`export const onlineManager = new OnlineManager()`): its class, when the
        same file defines it (what `onlineManager.` offers are that class's members). `new`: only a
        construction with `new` counts (`x = Manager()` may be a factory returning anything)."""
        m = _CONSTRUCTED.search(symbol.signature)
        if symbol.kind != "variable" or m is None or (new and "new" not in m.group(0)):
            return []
        return [(path, s) for s in self.symbols_of(path) if s.name == m.group(1) and s.kind in CONTAINER_KINDS][:1]

    def factory_object(self, path: str, symbol: Symbol) -> tuple[Symbol, tuple[factories.ObjectMember, ...]] | None:
        """A JS/TS variable made by a factory of its own file (`const m = createManager()`): that function
        and the members of the object literal it returns (completion/context/factories.py), else None."""
        language = language_for(path)
        if symbol.kind != "variable" or symbol.parent or language not in factories.ES_LANGUAGES:
            return None
        name = factories.factory_name(symbol.signature)
        if name is None:
            return None
        fn = next((s for s in self.symbols_of(path) if s.name == name and s.kind == "function" and not s.parent), None)
        if fn is None:
            return None
        key, cacheable = ("factory", path, name), path != self.view.rel  # the cursor's buffer may be newer
        hit, members = self._recall(key) if cacheable else (False, None)
        if not hit:
            lines = self._file_lines(path)
            if lines is None:
                return None
            members = factories.returned_object("\n".join(lines[fn.start_line:fn.end_line + 1]), language)
            if cacheable:
                self._remember(key, members, [path])
        return (fn, members) if members else None

    # -- candidates ---------------------------------------------------------------------------
    def candidate(self, path: str, symbol: Symbol, score: float, source: str) -> Candidate:
        language = self.view.language
        made = self.factory_object(path, symbol) if symbol.kind == "variable" else None
        if symbol.kind in CONTAINER_KINDS:
            members = self.symbols_of(path, parent=symbol.name)
            text = render_skeleton(symbol, members, language)
        elif made is not None:
            text = factories.render_factory(made[0].signature, made[1], symbol.signature)
        else:
            text = render_symbol(symbol, language)
        return Candidate(key=f"sig|{path}|{symbol.parent}.{symbol.name}", kind="signature", path=path, text=text,
                         score=round(score, 4), source=source, start_line=symbol.start_line,
                         end_line=symbol.end_line + 1)

    def candidates(self, refs: Sequence[Ref], imported_score: float = IMPORTED_SCORE) -> list[Candidate]:
        out: dict[str, Candidate] = {}

        def keep(c: Candidate) -> None:
            if c.key not in out or out[c.key].score < c.score:
                out[c.key] = c

        def add(found: list[tuple[str, Symbol]], score: float, source: str) -> None:
            for path, symbol in found[:2]:
                keep(self.candidate(path, symbol, score, source))

        for ref in refs:
            if ref.qualifier:
                root = re.split(r"\.|::|->", ref.qualifier)[0]
                if root in ("self", "this") or ref.qualifier in ("self", "this"):
                    add(self.members_of("self"), ref.weight * 0.9, "self")
                    continue
                imp = self.bindings.get(ref.qualifier)
                if imp is not None and not ref.name:  # `mod.|`: which of the module's names comes next
                    listing = self.module_listing(imp, ref.qualifier, ref.weight * 0.9)
                    if listing is not None:
                        keep(listing)
                        continue
                if imp is not None and imp.name in ("", "*") and ref.name:
                    add(self.find(self.module_files(imp.module, imp.name), ref.name), ref.weight, "import")
                    continue
                if imp is not None and imp.name not in ("", "*") and ref.name:
                    sub = self.submodule(imp)  # `from pkg import mod` … `mod.name`
                    found = self.find(sub, ref.name) if sub else []
                    if found:
                        add(found, ref.weight, "import")
                        continue
                add(self.members_of(ref.qualifier), ref.weight * 0.9, "type")
            elif ref.name:
                add(self.resolve_name(ref.name), ref.weight, "name")
        # Names the file imports: likely to be called next even when not on screen.
        uses = self.view.text[: self.view.offset]
        counts = Counter(_NAME.findall(uses))
        imported = [i for i in self.view.imports if i.local and i.name not in ("", "*")]
        imported.sort(key=lambda i: -counts[i.local])
        for imp in imported[:MAX_IMPORTED]:
            n = counts[imp.local] - 1  # minus the import itself
            score = imported_score * (0.6 + 0.4 * min(n, 3) / 3)
            add(self.resolve_import(imp) or self._module_summary(imp), score, "import")
        # Modules the file uses as `mod.Name`: the names it takes from them most often.
        modules = {i.local: i for i in self.view.imports if i.name == "" and i.local}
        if modules:
            pairs = Counter((q, n) for q, n in self.member_pairs() if q in modules)
            for (qualifier, name), n in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[:6]:
                imp = modules[qualifier]
                score = imported_score * (0.6 + 0.4 * min(n, 3) / 3)
                add(self.find(self.module_files(imp.module, imp.name), name), score, "module")
        return list(out.values())

    def _module_summary(self, imp: Import) -> list[tuple[str, Symbol]]:
        """`from pkg import mod`: the module's top-level definitions stand in for it."""
        files = self.submodule(imp)
        if not files:
            return []
        tops = [s for s in self.symbols_of(files[0]) if not s.parent and s.kind in ("class", "function")]
        return [(files[0], s) for s in tops[:2]]


def _binding(imp: Import, language: str) -> Import:
    """What a local name refers to. Python's `import a.b` binds `a`, the package (`b` becomes its
    attribute), not `a.b`: `click.` in a file that also has `import click.utils` is the click package
    (it had been read as click/utils.py, whose namespace then refused `click.confirm`)."""
    if language == "python" and imp.name == "" and "." in imp.module and imp.local == imp.module.split(".", 1)[0]:
        return replace(imp, module=imp.local)
    return imp


@functools.lru_cache(maxsize=256)
def _namespace(name: str) -> re.Pattern[str]:
    return re.compile(_NAMESPACE.format(re.escape(name)))


def _merges_namespace(lines: Sequence[str], name: str) -> bool:
    """Does a TS `namespace Name {` (or `module Name`) line merge more names into class or enum `name`?"""
    pattern = _namespace(name)
    return any(pattern.match(line) for line in lines)


def _members_of(symbols: Sequence[Symbol], cls: Symbol) -> list[Symbol]:
    """The symbols directly inside class `cls` (by parent name, within its lines)."""
    return [s for s in symbols if s.parent == cls.name and s != cls and cls.start_line <= s.start_line <= cls.end_line]


def _private(name: str) -> bool:
    """`_helper`, `__mangled`; not a dunder (`__version__` is public by convention)."""
    return name.startswith("_") and not pyclasses.is_dunder(name)
