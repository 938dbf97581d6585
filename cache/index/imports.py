"""Per-language import statements → `Import` records.

The tree-sitter query only finds the import statements; decomposing them is a
few lines per language over the statement's text, which is simpler and sturdier
across grammar versions than a query per import shape.
"""
from __future__ import annotations

import re
from typing import Callable

from cache.index.model import Import

_WS = re.compile(r"\s+")


def _clean(text: str) -> str:
    text = re.sub(r"#.*", "", text) if text.lstrip().startswith(("from", "import")) else text
    return _WS.sub(" ", text.replace("\\\n", " ")).strip()


def python_imports(text: str, line: int) -> list[Import]:
    """`import a.b as c, d` and `from ..x import (y as z, w)`."""
    text = _clean(text)
    out: list[Import] = []
    m = re.match(r"from\s+(\.*[\w.]*)\s+import\s+(.*)$", text)
    if m:
        module, names = m.group(1), m.group(2).strip().strip("()")
        for part in names.split(","):
            part = part.strip()
            if not part:
                continue
            if part == "*":
                out.append(Import(module, "*", "", line))
                continue
            name, _, alias = part.partition(" as ")
            out.append(Import(module, name.strip(), (alias or name).strip(), line))
        return out
    m = re.match(r"import\s+(.*)$", text)
    if m:
        for part in m.group(1).split(","):
            name, _, alias = part.strip().partition(" as ")
            name = name.strip()
            if name:
                out.append(Import(name, "", alias.strip() or name.split(".")[0], line))
    return out


_JS_FROM = re.compile(r"""(?:import|export)\s+(?:type\s+)?(.*?)\s*from\s*['"]([^'"]+)['"]""", re.S)


def js_imports(text: str, line: int) -> list[Import]:
    """`import D, { a, b as c } from './x'`, `import * as ns from './x'`; re-exports (`export {a} from`, `export *
    from`) too, so a name can be followed through an index file. Side-effect imports bind nothing."""
    m = _JS_FROM.search(text)
    if not m:
        return []
    clause, module = m.group(1).strip(), m.group(2)
    out: list[Import] = []
    braces = re.search(r"\{(.*)\}", clause, re.S)
    if braces:
        for part in braces.group(1).split(","):
            part = _WS.sub(" ", part).strip()
            if part.startswith("type "):
                part = part[5:]
            if not part:
                continue
            name, _, alias = part.partition(" as ")
            out.append(Import(module, name.strip(), (alias or name).strip(), line))
        clause = clause[: braces.start()] + clause[braces.end():]
    for part in clause.split(","):
        part = part.strip()
        if not part:
            continue
        ns = re.match(r"\*\s+as\s+(\w+)", part)
        if part == "*":  # `export * from './x'`: a re-export of everything
            out.append(Import(module, "*", "", line))
        elif ns:
            out.append(Import(module, "", ns.group(1), line))
        elif re.fullmatch(r"[\w$]+", part):
            out.append(Import(module, "default", part, line))
    return out


def java_imports(text: str, line: int) -> list[Import]:
    """`import a.b.C;`, `import static a.b.C.m;`, `import a.b.*;`"""
    m = re.match(r"import\s+(static\s+)?([\w.]+?)(\.\*)?\s*;", _clean(text))
    if not m:
        return []
    path, star = m.group(2), m.group(3)
    if star:
        return [Import(path, "*", "", line)]
    module, _, name = path.rpartition(".")
    return [Import(module, name, name, line)]


_GO_SPEC = re.compile(r"""(?:([\w.]+)\s+)?"([^"]+)\"""")


def go_imports(text: str, line: int) -> list[Import]:
    """`import "a/b"`, `import x "a/b"`, grouped imports; the default binding is the last path element."""
    out: list[Import] = []
    text = re.sub(r"^\s*import\b", "", text)
    for m in _GO_SPEC.finditer(text):
        alias, path = m.group(1), m.group(2)
        if alias == "_":
            continue
        if alias == ".":
            out.append(Import(path, "*", "", line))
            continue
        out.append(Import(path, "", alias or path.rsplit("/", 1)[-1], line))
    return out


def _rust_tree(prefix: str, tree: str, line: int, out: list[Import]) -> None:
    tree = tree.strip()
    if tree.endswith("}") and "{" in tree:
        head, body = tree[: tree.index("{")], tree[tree.index("{") + 1: -1]
        base = (prefix + "::" if prefix else "") + head.rstrip(":").rstrip(":")
        base = base.rstrip(":")
        depth, start = 0, 0
        for i, ch in enumerate(body + ","):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                if body[start:i].strip():
                    _rust_tree(base, body[start:i], line, out)
                start = i + 1
        return
    path, _, alias = tree.partition(" as ")
    full = (prefix + "::" if prefix else "") + path.strip()
    module, _, name = full.rpartition("::")
    if name == "*":
        out.append(Import(module, "*", "", line))
    elif name == "self":
        out.append(Import(module, "", alias.strip() or module.rsplit("::", 1)[-1], line))
    elif name:
        out.append(Import(module, name, alias.strip() or name, line))


def rust_imports(text: str, line: int) -> list[Import]:
    """`use crate::a::b::{C, d::E as F, self};`"""
    m = re.match(r"(?:pub(?:\([^)]*\))?\s+)?use\s+(.*?);?\s*$", _WS.sub(" ", text).strip())
    if not m:
        return []
    out: list[Import] = []
    _rust_tree("", m.group(1), line, out)
    return out


def c_imports(text: str, line: int) -> list[Import]:
    """`#include "x.h"` (system headers `<...>` are not in the repository)."""
    m = re.search(r'#\s*include\s*"([^"]+)"', text)
    return [Import(m.group(1), "*", "", line)] if m else []


PARSERS: dict[str, Callable[[str, int], list[Import]]] = {
    "python": python_imports,
    "javascript": js_imports, "javascriptreact": js_imports,
    "typescript": js_imports, "typescriptreact": js_imports,
    "java": java_imports,
    "go": go_imports,
    "rust": rust_imports,
    "c": c_imports, "cpp": c_imports,
}
