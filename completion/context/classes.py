"""What an instance of a TypeScript class offers after `x.`, read from the index's symbols.

The member rule (runtime/members.py) may only hold a completion to a set of names
that is complete: refusing a name that exists would be worse than no rule. A
TypeScript class declares every instance member it has — methods, accessors,
fields, constructor parameter properties — and inherits the rest through one
`extends` chain, so its public instance members can be known from its declaration
and its bases' (JavaScript classes cannot: fields appear by assignment anywhere).
What is left out is what code outside the class cannot write: `private`,
`protected`, `#private` members and `static` ones (those belong to the class
object, not to its instances). After the class itself (`QueryClient.`, or `this.`
in a static method) it is the other way round: its static members and its bases'
(a subclass inherits statics), and what every function has.

Pure functions over signatures; `SignatureResolver.instance_names` walks the bases.
"""
from __future__ import annotations

import re
from typing import Sequence

from cache.index.model import Symbol
from completion.context.brackets import split_list

TS_LANGUAGES = ("typescript", "typescriptreact")
# Every object has these (Object.prototype): valid after any `x.`, so the rule must not refuse them.
OBJECT_MEMBERS = frozenset({"toString", "toLocaleString", "valueOf", "hasOwnProperty", "isPrototypeOf",
                            "propertyIsEnumerable"})
# A class object is a function: these are valid after `Cls.` besides its static members.
FUNCTION_MEMBERS = frozenset({"name", "length", "prototype", "apply", "call", "bind"})
_MODIFIERS = ("public", "private", "protected", "static", "readonly", "abstract", "async", "override",
              "declare", "accessor")
_LEADING = re.compile(rf"\s*((?:(?:{'|'.join(_MODIFIERS)})\s+)*)")
_GENERIC = re.compile(r"<[^<>]*>")
_EXTENDS = re.compile(r"\bextends\s+([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*(\(|\{|$|\bimplements\b)?")
_PARAMETER_PROPERTY = re.compile(r"(?:^|[(,])\s*(?:@\w+(?:\([^)]*\))?\s+)*((?:(?:public|private|protected|readonly|override)\s+)+)"
                                 r"([A-Za-z_$][\w$]*)")


def modifiers(signature: str) -> set[str]:
    """The modifier words a member's signature starts with (`protected async load()` → {protected, async})."""
    m = _LEADING.match(signature)
    return set(m.group(1).split()) if m else set()


def extends_of(signature: str) -> str | None:
    """The base a class header names after `extends` (`Subscribable` in `class A<T extends X> extends
    Subscribable<Listener> implements B`); "" when there is no base; None when the base is not a plain
    name (`extends Mixin(Base)`, `extends (cond ? A : B)`): the members cannot be known then."""
    text = " ".join(signature.split())
    while _GENERIC.search(text):  # type parameters and arguments, innermost first (`<T extends X>` is not a base)
        text = _GENERIC.sub("", text)
    if re.search(r"\bextends\b", text) is None:
        return ""
    m = _EXTENDS.search(text)
    if m is None or m.group(2) == "(":
        return None
    return m.group(1)


def parameter_properties(constructor: str, inside: bool = False) -> set[str] | None:
    """Public fields a constructor declares in its parameters (`constructor(public id: string, private x)` →
    {id}); None when the parameter list is cut off (a long signature is clipped in the index)."""
    start = constructor.find("(")
    if start < 0:
        return set()
    depth = 0
    for i, ch in enumerate(constructor[start:], start):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0:
            params = constructor[start:i + 1]
            break
    else:
        return None
    out = set()
    for m in _PARAMETER_PROPERTY.finditer(params):
        words = set(m.group(1).split())
        if inside or not words & {"private", "protected"}:
            out.add(m.group(2))
    return out


def public_members(members: Sequence[Symbol], inside: bool = False) -> set[str] | None:
    """The names code outside a class may write after an instance of it, from the class's own member
    symbols (its bases are the caller's); None when they cannot be known. `inside`: the names `this.`
    may take in the class's own code — private, protected and `#private` ones too."""
    hidden = {"static"} if inside else {"static", "private", "protected"}
    out: set[str] = set()
    for sym in members:
        words = modifiers(sym.signature)
        if sym.name == "constructor":
            props = parameter_properties(sym.signature, inside)
            if props is None:
                return None
            out |= props
            continue
        if words & hidden or sym.kind not in ("method", "field", "function") or (sym.name[:1] == "#" and not inside):
            continue
        out.add(sym.name)
    return out


def static_members(members: Sequence[Symbol], inside: bool = False) -> set[str]:
    """The static member names of a class, from its own member symbols (bases are the caller's);
    `inside`: private, protected and `#private` ones too (the class's own code)."""
    out: set[str] = set()
    for sym in members:
        words = modifiers(sym.signature)
        if "static" not in words or sym.kind not in ("method", "field", "function"):
            continue
        if inside or not (words & {"private", "protected"} or sym.name[:1] == "#"):
            out.add(sym.name)
    return out


_ENUM_HEADER = re.compile(r"\s*(?:export\s+)?(?:declare\s+)?(?:const\s+)?enum\s+[A-Za-z_$][\w$]*\s*\{")
_ENUM_MEMBER = re.compile(r"\s*([A-Za-z_$][\w$]*)\s*(?:=|$)")


def enum_members(signature: str) -> set[str] | None:
    """The member names of a TypeScript `enum` from its stored declaration (`enum Color { Red = "r",
    Green }` → {Red, Green}); None when it is not an enum or the declaration was clipped (`...`)."""
    m = _ENUM_HEADER.match(signature)
    if m is None or not signature.rstrip().endswith("}"):
        return None
    body = re.sub(r"//[^\n]*|/\*.*?\*/", "", signature[m.end():], flags=re.S)
    names: set[str] = set()
    for part in split_list(body, 0)[0]:  # initializers may hold calls: split at the body's own commas
        member = _ENUM_MEMBER.match(part)
        if member is not None:
            names.add(member.group(1))
        elif part.strip() and not part.strip().startswith(("'", '"')):
            return None  # a shape not read: the set may be incomplete
    return names
