"""What a Java class offers after `Cls.` (its static members) or an instance of it after `obj.`,
read from the index's symbols.

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

After `obj.` — a variable, parameter or field whose declared type is a repository class
(`Account acct`, `var acct = new Account()`), or `this.` — the instance members: methods and
fields that are not static, a record's component accessors, an enum's `name`/`ordinal`…, what
every object has (`equals`, `getClass`…), and the bases' (a few `java.lang` bases' instance
methods are listed; any other library base leaves the set unknown).

Pure functions over symbols; `SignatureResolver.java_member_names` walks the bases.
"""
from __future__ import annotations

import re
from typing import Sequence

from cache.index.extract import declaration_head
from cache.index.model import Symbol
from completion.context.brackets import split_list

# Bases outside the repository that give a subclass no static members (java.lang, java.io; `Enum`'s
# static `valueOf` every enum has anyway).
NO_STATICS = frozenset({
    "Object", "Exception", "RuntimeException", "Error", "Throwable", "IllegalArgumentException",
    "IllegalStateException", "UnsupportedOperationException", "Comparable", "Serializable", "Cloneable",
    "Runnable", "AutoCloseable", "Closeable", "Iterable", "Record", "Enum",
})
OBJECT_METHODS = frozenset({"equals", "hashCode", "toString", "getClass", "notify", "notifyAll", "wait"})
_THROWABLE = frozenset({"getMessage", "getLocalizedMessage", "getCause", "initCause", "printStackTrace",
                        "getStackTrace", "setStackTrace", "addSuppressed", "getSuppressed", "fillInStackTrace"})
# The instance methods platform bases give a subclass (beyond OBJECT_METHODS); a base not listed here
# or in the repository leaves an instance's names unknown.
PLATFORM_INSTANCE = {
    "Object": frozenset(), "Serializable": frozenset(), "Cloneable": frozenset(), "Record": frozenset(),
    "Throwable": _THROWABLE, "Exception": _THROWABLE, "RuntimeException": _THROWABLE, "Error": _THROWABLE,
    "IllegalArgumentException": _THROWABLE, "IllegalStateException": _THROWABLE,
    "UnsupportedOperationException": _THROWABLE, "Comparable": frozenset({"compareTo"}),
    "Runnable": frozenset({"run"}), "AutoCloseable": frozenset({"close"}), "Closeable": frozenset({"close"}),
    "Iterable": frozenset({"iterator", "forEach", "spliterator"}),
    "Enum": frozenset({"name", "ordinal", "compareTo", "getDeclaringClass", "describeConstable"}),
}
ALWAYS = frozenset({"class", "this", "super"})  # `Cls.class`, `Outer.this`, `Iface.super.m()`
ENUM_NAMES = frozenset({"values", "valueOf"})
_KIND = re.compile(r"\b(class|interface|enum|record)\b")
_STATIC = re.compile(r"\bstatic\b")
_PRIVATE = re.compile(r"\bprivate\b")


def type_kind(header: str) -> str:
    """`class`, `interface`, `enum` or `record` from a type's header (`public enum Color implements N`)."""
    m = _KIND.search(header)
    return m.group(1) if m else "class"


def _enum_constant(field: Symbol) -> bool:
    """An enum's field whose declaration starts with its name (`RED("r")`), not a typed field."""
    return re.match(rf"{re.escape(field.name)}\b", field.signature) is not None


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
        elif sym.kind == "field" and (kind == "interface" or _STATIC.search(head) or (kind == "enum" and _enum_constant(sym))):
            names.add(sym.name)  # a static field, an interface's constant or an enum constant (`RED("r")`)
        elif sym.kind == "method" and _STATIC.search(head):
            names.add(sym.name)
    return names


def instance_members(cls: Symbol, members: Sequence[Symbol], own_file: bool) -> set[str]:
    """The names `obj.` may take from the class's own members, for an instance of `cls` (its bases
    are the caller's): non-static methods and fields, a record's components, an enum's own methods."""
    kind = type_kind(cls.signature)
    names = set(OBJECT_METHODS) | (PLATFORM_INSTANCE["Enum"] if kind == "enum" else set())
    if kind == "record":
        names |= record_components(cls.signature)
    for sym in members:
        head = declaration_head(sym.signature)
        if (_PRIVATE.search(head) and not own_file) or _STATIC.search(head) or sym.kind not in ("method", "field"):
            continue
        if sym.name == cls.name and sym.kind == "method":
            continue  # a constructor
        if kind == "enum" and sym.kind == "field" and _enum_constant(sym):
            continue  # an enum constant is the class's, not an instance's
        names.add(sym.name)
    return names


def record_components(header: str) -> set[str]:
    """`record Point(int x, List<String> tags)` → {x, tags}: each component has an accessor method."""
    m = re.search(r"\brecord\s+\w+\s*(?:<[^()]*>)?\s*\(", header)
    if m is None:
        return set()
    names = set()
    for item in split_list(header, m.end(), opens="(<", closes=")>")[0]:
        words = re.findall(r"[A-Za-z_$][\w$]*", re.sub(r"@\w+(?:\([^)]*\))?", "", item))
        if words:
            names.add(words[-1])
    return names


# Type arguments, balanced to three levels (`Map<String, List<Set<X>>>`): a `<[^>]*>` reached across
# `Spliterator<T> spliterator, Sink<T> sink` and read `sink` as a Spliterator.
_ARGS = r"<(?:[^<>;{{}}()=]|<(?:[^<>;{{}}()=]|<[^<>;{{}}()=]*>)*>)*>"
_DECLARED = r"(?<![\w.])([A-Z][\w$]*)(?:\s*" + _ARGS + r")?\s+{}\s*(?=[=;,):]|$)"
_VAR_NEW = r"\bvar\s+{}\s*=\s*new\s+([A-Z][\w$]*)\s*[(<]"


def declared_type(scope: str, variable: str) -> str | None:
    """The class a variable was last declared with in `scope` (`Account acct = …`, a parameter
    `Account acct`, `for (Account acct : all)`, `var acct = new Account()`); None when it was not
    (a generic or array type, a lambda parameter, a name declared nowhere here)."""
    v = re.escape(variable)
    found = [(m.start(), m.group(1)) for m in re.finditer(_DECLARED.format(v), scope, re.M)]
    found += [(m.start(), m.group(1)) for m in re.finditer(_VAR_NEW.format(v), scope)]
    return max(found)[1] if found else None
