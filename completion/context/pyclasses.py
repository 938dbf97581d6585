"""What `self.` or an instance of a Python class offers, read from the class's text and the index.

The member rule (runtime/members.py) may only hold a completion to a set of names
that is complete: refusing a name that exists is worse than no rule. A Python
class's attributes are its body's definitions (methods, class-level assignments
and annotations, nested classes), whatever its code assigns or reads as
`self.name`, and the same of its bases, up to `object`. `cls.` in a classmethod
offers the same names (and `type`'s few that code reads, `cls.__name__`). That set can be known
when every base is a class of the repository or a built-in, and nothing in the
class makes names on the fly (`__getattr__`, `setattr(self, …)`, `self.__dict__`,
an unknown metaclass or class decorator). `self.` inside a class may also hold
an instance of a subclass, so the caller adds the repository's subclasses.

The rule is never applied where the completion may *bind* a new attribute:
`self.` at the start of a statement (`self.total = 0` in `__init__`) or in a
target list (`self.a, self.`). Reads — `return self.`, `f(self.`, `x = self.` —
are where a small model invents names (`self.get_items()` for `self.items`).

Pure functions over text; `SignatureResolver.python_instance_names` does the lookups.
"""
from __future__ import annotations

import builtins
import enum
import re
from typing import Sequence

from completion.context.brackets import split_list

# `self.name` anywhere in a class (reads count too: a name read must exist somewhere up or down the hierarchy).
_SELF_ATTRIBUTE = re.compile(r"(?<![\w.])self\s*\.\s*([A-Za-z_]\w*)")
# Ways a class can gain attributes no text names.
_DYNAMIC = re.compile(r"\bdef\s+__(?:getattr|getattribute)__\b|\bsetattr\s*\(\s*self\b|\bself\s*\.\s*__dict__\b"
                      r"|\bvars\s*\(\s*self\s*\)|\b__slots__\s*=\s*\(?\s*['\"]__dict__")
_DECORATOR = re.compile(r"\s*@\s*([\w.]+)")
# Class decorators that add only dunder or underscore attributes (the rule leaves those to what is written).
KNOWN_DECORATORS = frozenset({
    "dataclass", "dataclasses.dataclass", "total_ordering", "functools.total_ordering", "final", "typing.final",
    "runtime_checkable", "typing.runtime_checkable", "attr.s", "attr.attrs", "attrs.define", "attrs.frozen",
    "attr.define", "attr.frozen", "define", "frozen", "typing_extensions.final",
})
# Bases outside `builtins` that give instances no public attributes of their own.
_EMPTY_BASES = frozenset({"ABC", "abc.ABC", "Generic", "typing.Generic", "Protocol", "typing.Protocol",
                          "typing_extensions.Protocol"})
_NAMED_TUPLE = frozenset({"_asdict", "_replace", "_fields", "_field_defaults", "_make", "count", "index"})
# The standard library's enum bases (`class Color(Enum)`): their public attributes, read from the module.
# (`name` and `value` are descriptors dir() does not list.)
_ENUM_BASES = {name: frozenset({"name", "value"} | {n for n in dir(getattr(enum, name)) if not n.startswith("_")})
               for name in ("Enum", "IntEnum", "StrEnum", "Flag", "IntFlag") if hasattr(enum, name)}
# What a class object has beyond its own and its bases' attributes (`type`'s, less the dunders).
CLASS_OBJECT_NAMES = frozenset({"mro"})
# The dunders of `type` a classmethod reads on its `cls` (`f"{cls.__name__}…"`): allowed after `cls.`, where
# they are common, but not after an imported class's name, where the rule was measured without them.
CLASS_DUNDERS = frozenset({"__name__", "__qualname__", "__module__", "__doc__", "__mro__", "__bases__",
                           "__subclasses__", "__annotations__", "__init__", "__new__"})
# Methods whose first parameter is the class even without `@classmethod` (`__new__` is a static method
# that is passed the class).
_IMPLICIT_CLASSMETHODS = frozenset({"__new__", "__init_subclass__", "__class_getitem__"})
_DEF_OPEN = r"\s*(?:async\s+)?def\s+\w+\s*(?:\[[^\]]*\]\s*)?\("  # `def f[T](` up to its parameters
_FIRST_PARAMETER = re.compile(_DEF_OPEN + r"\s*([A-Za-z_]\w*)")
_METACLASS = re.compile(r"\bmetaclass\s*=\s*([\w.]+)")
_KNOWN_METACLASSES = frozenset({"ABCMeta", "abc.ABCMeta", "type"})
# `self.a, self.` / `a, self.`: the cursor may be in a target list (a binding), not a read.
_TARGET_LIST = re.compile(r"^[\w\s.,*\[\]]*,$")


def attribute_mentions(lines: Sequence[str]) -> set[str]:
    """Every `self.name` the class's text writes or reads."""
    return {m.group(1) for line in lines for m in _SELF_ATTRIBUTE.finditer(line)}


def makes_names(lines: Sequence[str]) -> bool:
    """Does the class create attributes no text names (`__getattr__`, `setattr(self, …)`, `self.__dict__`)?"""
    return any(_DYNAMIC.search(line) for line in lines)


def decorators(lines_above: Sequence[str]) -> list[str]:
    """The decorator names written directly above a class header (nearest last)."""
    out: list[str] = []
    for line in reversed(lines_above):
        if not line.strip():
            break
        m = _DECORATOR.match(line)
        if m is None:
            if line.strip().startswith((")", "]", "}")) or line.rstrip().endswith((",", "(")):
                continue  # inside a decorator's argument list
            break
        out.append(m.group(1))
    return out[::-1]


def known_decorators(lines_above: Sequence[str]) -> bool:
    return all(d in KNOWN_DECORATORS for d in decorators(lines_above))


def known_metaclass(header: str) -> bool:
    m = _METACLASS.search(header)
    return m is None or m.group(1) in _KNOWN_METACLASSES


def builtin_base_names(base: str) -> frozenset[str] | None:
    """The public attributes instances of a built-in, typing or enum base have (`Exception` → args,
    with_traceback, add_note; `Enum` → name, value); None when `base` is not one of those (the caller
    must find it in the repository first: a repository's own `Enum` wins)."""
    if base in _EMPTY_BASES:
        return frozenset()
    if base in ("NamedTuple", "typing.NamedTuple"):
        return _NAMED_TUPLE
    if base.removeprefix("enum.") in _ENUM_BASES:
        return _ENUM_BASES[base.removeprefix("enum.")]
    name = base.removeprefix("builtins.")
    cls = getattr(builtins, name, None)
    if "." in name or not isinstance(cls, type):
        return None
    return frozenset(n for n in dir(cls) if not n.startswith("_"))


def may_bind(lead: str) -> bool:
    """Could the receiver at the cursor be an assignment target? `lead` is the cursor line before it,
    stripped: "" (statement start) or a target list (`self.a, `)."""
    return lead == "" or _TARGET_LIST.match(lead) is not None and "=" not in lead


def is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def test_file(rel: str) -> bool:
    """Tests read private attributes of the objects they test (`client._transport_for_url(…)`)."""
    name = rel.rsplit("/", 1)[-1]
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py" \
        or any(part in ("tests", "test") for part in rel.split("/")[:-1])


def offered(names: set[str], private_ok: bool) -> frozenset[str]:
    """What the rule lets the completion write: `_private` names only where `private_ok` (inside the
    class itself, in a test, or where the file already writes one on this receiver): a small model's
    `._` token carries every private name's mass, and it outweighed the member meant (the lesson of
    the module rule, signatures.py `member_names`). Dunder methods are left out by the caller unless
    the text writes them (`attribute_mentions`)."""
    return frozenset(n for n in names if private_ok or not n.startswith("_"))


_TYPE = r"([A-Za-z_][\w.]*)"


def _binding_patterns(variable: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The ways a scope binds `variable`, each with its kind: an annotation of a plain type, an
    assignment (the value in group 1), or any other binding (`for`, `as`, a tuple target, …)."""
    v = re.escape(variable)
    return (
        ("annotation", re.compile(rf"(?<![\w.'\"]){v}\s*:\s*{_TYPE}\s*(?=[,)=\n]|$)")),
        ("other", re.compile(rf"(?<![\w.'\"]){v}\s*:(?!=)")),  # annotations of other shapes
        ("assign", re.compile(rf"(?<![\w.]){v}\s*(?::=|=(?!=))\s*(.*)")),
        ("other", re.compile(rf"\b(?:as|for|global|nonlocal|import)\s+(?:[\w\s,()]*,\s*)?{v}\b")),
        ("other", re.compile(rf"(?<![\w.]){v}\s*,[^=\n]*=(?!=)|,\s*{v}\s*[,)]?\s*=(?!=)")),  # tuple targets
    )


def rebinds(body: str, variable: str) -> bool:
    """Does `body` (a function's statements, not its parameter list) bind `variable` anywhere?"""
    return any(pattern.search(body) for _kind, pattern in _binding_patterns(variable))


def split_function(function_text: str) -> tuple[set[str], str]:
    """(parameter names, body) of the `def` that `function_text` starts with: `def f(a, b: int = 1,
    *args) -> R:` gives {a, b, args} and the text after the header's line (the return annotation and
    the defaults are neither bindings nor body)."""
    m = re.match(_DEF_OPEN, function_text)
    if m is None:
        return set(), function_text
    items, end = split_list(function_text, m.end())
    names = {p.group(1) for item in items if (p := re.match(r"\s*\*{0,2}\s*([A-Za-z_]\w*)", item))}
    if end < 0:
        return names, ""
    nl = function_text.find("\n", end)
    return names, function_text[nl + 1:] if nl >= 0 else ""


def classmethod_receiver(name: str, signature: str, lines_above: Sequence[str]) -> str | None:
    """The parameter that holds the class itself in a method (`cls` of a `@classmethod`, of
    `__new__`, `__init_subclass__`, `__class_getitem__`), from its header and the decorator lines
    above it; None for an instance or static method."""
    m = _FIRST_PARAMETER.match(signature)
    if m is None:
        return None
    if name not in _IMPLICIT_CLASSMETHODS and "classmethod" not in decorators(lines_above):
        return None
    return m.group(1)


def last_binding(scope: str, variable: str) -> tuple[str, bool] | None:
    """(class name, constructed?) from the last place `scope` binds `variable`: `v = Cls(...)`
    (constructed: exactly that class — the caller checks that the callee is a class, not a factory)
    or `v: Cls` (a parameter or annotated variable: the class or a subclass). None when the last
    binding is anything else (`v = x.y`, `for v in`, `as v`, `v: Cls | None`): the class is unknown."""
    last: tuple[int, str, re.Match[str]] | None = None
    for kind, pattern in _binding_patterns(variable):
        for m in pattern.finditer(scope):
            if last is None or m.start() > last[0] or (m.start() == last[0] and kind == "annotation"):
                last = (m.start(), kind, m)
    if last is None or last[1] == "other":
        return None
    _, kind, m = last
    if kind == "annotation":
        return m.group(1), False
    value = re.match(rf"{_TYPE}\s*\(", m.group(1))
    return (value.group(1), True) if value else None
