"""Imports → files of the workspace, per language (the rules each toolchain uses, simplified).

Only files inside the indexed folder can resolve; a third-party or standard
library import resolves to nothing and costs nothing. Lookups go through the
index by basename, so no directory is walked on the request path.
"""
from __future__ import annotations

import posixpath
from typing import Protocol, Sequence

JS_EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs")


class PathLookup(Protocol):
    def paths_named(self, name: str) -> list[str]: ...
    def paths_under(self, rel_dir: str, limit: int = 200) -> list[str]: ...
    def folders_with(self, language: str) -> list[str]: ...


def _with_suffix(paths: Sequence[str], suffix: str) -> list[str]:
    """Paths equal to `suffix` or ending with `/suffix`, shortest first (nearest the root)."""
    hits = [p for p in paths if p == suffix or p.endswith("/" + suffix)]
    return sorted(hits, key=lambda p: (p.count("/"), p))


def _by_suffix(lookup: PathLookup, suffix: str) -> list[str]:
    return _with_suffix(lookup.paths_named(suffix.rsplit("/", 1)[-1]), suffix)


def _exact(lookup: PathLookup, rel: str) -> list[str]:
    rel = posixpath.normpath(rel)
    if rel.startswith("../"):
        return []
    return [p for p in lookup.paths_named(rel.rsplit("/", 1)[-1]) if p == rel]


def python_module(lookup: PathLookup, current: str, module: str) -> list[str]:
    """`pkg.mod` → pkg/mod.py or pkg/mod/__init__.py (anywhere: src/ layouts); `..mod` relative to `current`."""
    if module.startswith("."):
        dots = len(module) - len(module.lstrip("."))
        base = posixpath.dirname(current)
        for _ in range(dots - 1):
            base = posixpath.dirname(base)
        rest = module[dots:].replace(".", "/")
        stem = posixpath.join(base, rest) if rest else base
        return _exact(lookup, stem + ".py") or _exact(lookup, posixpath.join(stem, "__init__.py"))
    stem = module.replace(".", "/")
    for suffix in (stem + ".py", stem + "/__init__.py"):
        # An absolute import names a module from an import root: `import warnings` is not
        # `marshmallow/warnings.py`, whose folder is a package (only `marshmallow.warnings` reaches it).
        hits = [p for p in _by_suffix(lookup, suffix) if not _in_package(lookup, p[: len(p) - len(suffix)])]
        if hits:
            return hits
    return []


def _in_package(lookup: PathLookup, root: str) -> bool:
    """Is the folder `root` ("" or ending in "/") a Python package (holds an __init__.py)?"""
    return bool(root) and bool(_exact(lookup, root + "__init__.py"))


def js_module(lookup: PathLookup, current: str, spec: str) -> list[str]:
    """Relative specifiers with the usual extension and index probing; `@/x`, `~/x` aliases by suffix."""
    if spec.startswith("."):
        stem = posixpath.normpath(posixpath.join(posixpath.dirname(current), spec))
        if stem.startswith(".."):
            return []
        base, ext = posixpath.splitext(stem)
        probes = [stem] if ext in JS_EXTENSIONS else []
        if ext in (".js", ".jsx", ".mjs"):
            probes += [base + e for e in (".ts", ".tsx")]  # TypeScript ESM imports name the .js output
        probes += [stem + e for e in JS_EXTENSIONS] + [stem + "/index" + e for e in JS_EXTENSIONS]
        for probe in probes:
            hit = _exact(lookup, probe)
            if hit:
                return hit
        return []
    if spec.startswith(("@/", "~/", "#")):
        tail = spec.split("/", 1)[-1]
        for e in JS_EXTENSIONS:
            hit = _by_suffix(lookup, tail + e) or _by_suffix(lookup, tail + "/index" + e)
            if hit:
                return hit[:1]
    return []


def java_type(lookup: PathLookup, module: str, name: str) -> list[str]:
    """`com.a` + `B` → the files ending com/a/B.java, under whatever source root — and nothing else
    (`java_module` falls back to any B.java, a guess fit for context but not for the member rule)."""
    return _by_suffix(lookup, f"{module.replace('.', '/')}/{name}.java")


def java_module(lookup: PathLookup, current: str, module: str, name: str) -> list[str]:
    """`com.a` + `B` → com/a/B.java; `com.a` + `*` → the files of com/a/."""
    if name == "*":
        folder = _folder(lookup.folders_with("java"), module.replace(".", "/"))
        return [p for p in lookup.paths_under(folder) if p.endswith(".java")] if folder is not None else []
    return _by_suffix(lookup, f"{module.replace('.', '/')}/{name}.java") or _by_suffix(lookup, f"{name}.java")[:1]


def _folder(folders: Sequence[str], suffix: str) -> str | None:
    """The shortest folder whose path ends with `suffix`."""
    for d in sorted(folders, key=len):
        if d == suffix or d.endswith("/" + suffix):
            return d
    return None


def go_package(lookup: PathLookup, import_path: str) -> list[str]:
    """The .go files of the folder whose path ends with the longest suffix of the import path."""
    parts = import_path.split("/")
    folders = lookup.folders_with("go")
    for k in range(len(parts), 0, -1):
        d = _folder(folders, "/".join(parts[-k:]))
        if d is not None:
            return [p for p in lookup.paths_under(d) if p.endswith(".go") and not p.endswith("_test.go")]
    return []


def rust_module(lookup: PathLookup, current: str, module: str) -> list[str]:
    """`crate::a::b` → src/a/b.rs | src/a/b/mod.rs | src/a.rs (b an item of a); `self::`/`super::` relative."""
    parts = module.split("::")
    if not parts or parts[0] not in ("crate", "self", "super"):
        return []  # another crate
    name = posixpath.basename(current)
    own_dir = posixpath.dirname(current)
    module_dir = own_dir if name in ("mod.rs", "lib.rs", "main.rs") else posixpath.join(own_dir, name[:-3])
    if parts[0] == "crate":
        base, rest = None, parts[1:]
    else:
        base, rest = module_dir, parts[1:]
        if parts[0] == "super":
            base = posixpath.dirname(base)
        while rest and rest[0] == "super":
            base, rest = posixpath.dirname(base), rest[1:]
    for k in range(len(rest), 0, -1):
        stem = "/".join(rest[:k])
        for probe in (stem + ".rs", stem + "/mod.rs"):
            hit = _by_suffix(lookup, probe) if base is None else _exact(lookup, posixpath.join(base, probe))
            if hit:
                return hit[:1]
    if base is None:
        return _by_suffix(lookup, "lib.rs")[:1] or _by_suffix(lookup, "main.rs")[:1]
    return _exact(lookup, posixpath.join(base, "mod.rs")) or _exact(lookup, base + ".rs")


def c_include(lookup: PathLookup, current: str, header: str) -> list[str]:
    """`#include "x.h"`: next to the including file first, then anywhere by path suffix."""
    return _exact(lookup, posixpath.join(posixpath.dirname(current), header)) or _by_suffix(lookup, header)[:1]
