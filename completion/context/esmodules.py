"""What `ns.` offers after `import * as ns from './mod'`: the module's export statements.

An ES module namespace object has exactly the names the module exports, and every
export is a statement of its own, so reading the statements gives the complete set
(what the member rule needs, runtime/members.py): `export const/function/class/…`,
`export default`, `export { a, b as c }` with or without `from`, `export * as ns
from`, and `export * from './x'` (that module's names, which the caller follows).
A module that assigns `export =` or `module.exports`, or has an export statement
this does not recognise, gives None: its namespace is not known.

Pure function over the file's text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_STATEMENT = 20_000  # characters one exported declaration is read for more declarators
_EXPORT = re.compile(r"^[ \t]*export\b", re.M)
_DECLARATION = re.compile(
    r"export\s+(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?"
    r"(?:const\s+enum|const|let|var|function\s*\*?|class|interface|type|enum|namespace|module)\s+([A-Za-z_$][\w$]*)")
_LIST = re.compile(r"export\s+(?:type\s+)?\{([^}]*)\}(\s*from\s*['\"]([^'\"]+)['\"])?")
_STAR = re.compile(r"export\s+(?:type\s+)?\*\s*(?:as\s+([A-Za-z_$][\w$]*)\s+)?from\s*['\"]([^'\"]+)['\"]")
_DEFAULT = re.compile(r"export\s+default\b")
_NEXT_NAME = re.compile(r"\s*([A-Za-z_$][\w$]*)")
_IMPORT_ALIAS = re.compile(r"export\s+import\s+([A-Za-z_$][\w$]*)\s*=")
_COMMONJS = re.compile(r"^[ \t]*export\s*=|\bmodule\.exports\b|^[ \t]*exports\.\w+\s*=", re.M)


@dataclass
class ModuleExports:
    names: set[str] = field(default_factory=set)
    star_from: list[str] = field(default_factory=list)  # `export * from '<spec>'`: that module's names too


def _more_declarators(text: str, start: int) -> set[str]:
    """The names after the first in `const a = 1, b = f(x, y), c` (`text` from after `a`): split at the
    commas outside brackets and strings, up to the statement's end (`;` or a line end outside
    brackets). A comma in a type argument (`Map<K, V>`) adds a name too many, never one too few."""
    names: set[str] = set()
    depth, quote = 0, ""
    for i in range(start, min(len(text), start + MAX_STATEMENT)):
        ch = text[i]
        if quote:
            if ch == quote and text[i - 1] != "\\":
                quote = ""
            continue
        if ch in "'\"`":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth < 0:
                break
        elif depth == 0 and ch in ";\n":
            break
        elif depth == 0 and ch == ",":
            m = _NEXT_NAME.match(text, i + 1)
            if m:
                names.add(m.group(1))
    return names


def es_exports(text: str) -> ModuleExports | None:
    """The names a module's export statements give its namespace; None when they cannot all be read."""
    if _COMMONJS.search(text):
        return None
    out = ModuleExports()
    found = False
    for m in _EXPORT.finditer(text):
        found = True
        at = m.end() - len("export")  # matched in place: slicing the rest of a large file per export is quadratic
        if _DEFAULT.match(text, at):
            out.names.add("default")
        elif (d := _DECLARATION.match(text, at)) is not None:
            out.names.add(d.group(1))
            if d.group(0).split()[-2] in ("const", "let", "var"):  # `export const a = 1, b = 2`
                out.names |= _more_declarators(text, d.end())
        elif (s := _STAR.match(text, at)) is not None:
            if s.group(1):
                out.names.add(s.group(1))
            else:
                out.star_from.append(s.group(2))
        elif (lst := _LIST.match(text, at)) is not None:
            for part in lst.group(1).split(","):
                part = " ".join(part.split())
                if part.startswith("type "):
                    part = part[5:]
                if not part:
                    continue
                name, _, alias = part.partition(" as ")
                out.names.add((alias or name).strip())
        elif (a := _IMPORT_ALIAS.match(text, at)) is not None:
            out.names.add(a.group(1))
        else:
            return None  # `export const { a, b } = …` and other shapes: not read, so not claimed
    return out if found else None
