"""What a Java class offers after `Cls.`: its static members, read from the index's symbols.

The member rule (runtime/members.py) may only hold a completion to a set of names that
is complete: refusing a name that exists is worse than no rule. After a class name,
Java allows its static methods and fields, its nested types, an enum's constants (and
`values`/`valueOf`), an interface's fields (implicitly static) and what it inherits from
its superclass and superinterfaces — all declared in source, so the set is known when
every base is a class of the repository (or a `java.lang`/`java.io` type that brings no
static members). Plus the class literal, qualified `this` and `super` (`Cls.class`, `Cls.this`, `Iface.super`).
`private` members only from the class's own file.

Where it matters: a 0.5B model invents enum constants and static helpers
(`Status.ENABLED` for `Status.ACTIVE`) as readily as it writes real ones.

Pure functions over symbols; `SignatureResolver.java_static_names` walks the bases.
"""
from __future__ import annotations

import re
from typing import Sequence

from cache.index.extract import declaration_head
from cache.index.model import Symbol

# Bases outside the repository that give a subclass no static members (java.lang, java.io; `Enum`'s
# static `valueOf` every enum has anyway).
NO_STATICS = frozenset({
    "Object", "Exception", "RuntimeException", "Error", "Throwable", "IllegalArgumentException",
    "IllegalStateException", "UnsupportedOperationException", "Comparable", "Serializable", "Cloneable",
    "Runnable", "AutoCloseable", "Closeable", "Iterable", "Record", "Enum",
})
ALWAYS = frozenset({"class", "this", "super"})  # `Cls.class`, `Outer.this`, `Iface.super.m()`
ENUM_NAMES = frozenset({"values", "valueOf"})
_KIND = re.compile(r"\b(class|interface|enum|record)\b")
_STATIC = re.compile(r"\bstatic\b")
_PRIVATE = re.compile(r"\bprivate\b")


def type_kind(header: str) -> str:
    """`class`, `interface`, `enum` or `record` from a type's header (`public enum Color implements N`)."""
    m = _KIND.search(header)
    return m.group(1) if m else "class"


def static_members(cls: Symbol, members: Sequence[Symbol], own_file: bool) -> set[str]:
    """The names `Cls.` may take from the class's own members (its bases are the caller's)."""
    kind = type_kind(cls.signature)
    names = set(ALWAYS) | (ENUM_NAMES if kind == "enum" else set())
    for sym in members:
        head = declaration_head(sym.signature)
        if _PRIVATE.search(head) and not own_file:
            continue
        if sym.kind == "class":
            names.add(sym.name)  # a nested type (`Outer.Inner`)
        elif sym.kind == "field" and (kind == "interface" or _STATIC.search(head)
                                      or (kind == "enum" and re.match(rf"{re.escape(sym.name)}\b", sym.signature))):
            names.add(sym.name)  # a static field, an interface's constant or an enum constant (`RED("r")`)
        elif sym.kind == "method" and _STATIC.search(head):
            names.add(sym.name)
    return names
