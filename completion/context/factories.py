"""What `x.` offers when `x` holds the object a factory function returns (JavaScript/TypeScript).

`export const notifyManager = createNotifyManager()` is how many libraries make a
singleton without a class: the factory ends with `return { batch: …, schedule, … }`.
The index only knows the declaration line, which says nothing about `notifyManager.`:
on the dev benchmark the 0.5B model completed it `notify({` (no such member) where
the code says `batch(() => {`. When every `return` of the factory (not of functions
nested in it) gives an object literal without spreads or computed keys, that
object's keys are all its own members; the factory's skeleton (each property with
its parameters, bodies elided) is then the signature to show, and the keys are what
the member rule may allow.

Pure functions over source text (tree-sitter); `SignatureResolver` does the lookups.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from completion import syntax
from completion.context.render import flat

ES_LANGUAGES = ("javascript", "javascriptreact", "typescript", "typescriptreact")
# `= createX(…)` / `= makeStore<T>(…)`: a plain call (a `new X()` is a class, handled by the class rule).
FACTORY_CALL = re.compile(r"=\s*(?!new\b)([A-Za-z_$][\w$]*)\s*(?:<[^()]*>)?\s*\(")
_FUNCTION_NODES = frozenset({"function_declaration", "generator_function_declaration", "function_expression",
                             "arrow_function", "function", "generator_function"})
_FUNCTIONS = _FUNCTION_NODES | {"method_definition", "class_declaration", "class"}  # bodies a `return` may be in
_WRAPPERS = frozenset({"parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression"})
MAX_VALUE_CHARS = 40  # a property's non-function value is shown when it is this short


@dataclass(frozen=True)
class ObjectMember:
    """One property of the returned object: its name and how it reads with its body elided."""

    name: str
    text: str  # `batch: <T>(callback: () => T): T => { ... }`, `schedule`, `retries: 3`


def factory_name(signature: str) -> str | None:
    """The function a variable declaration calls for its value (`createNotifyManager`), or None."""
    m = FACTORY_CALL.search(signature)
    return m.group(1) if m else None


def returned_object(source: str, language: str) -> tuple[ObjectMember, ...] | None:
    """The members of the object literal the first function in `source` returns, or None when that
    is not known completely (a return of something else, a spread, a computed key, no return)."""
    tree = syntax.parse(language, source)
    if tree is None:
        return None
    function = _first_function(tree.root_node)
    if function is None:
        return None
    body = function.child_by_field_name("body")
    if body is None:
        return None
    objects = [_unwrap(body)] if body.type != "statement_block" else [_unwrap(r) for r in _returns(body)]
    if not objects or any(o is None or o.type != "object" for o in objects):
        return None
    members: dict[str, ObjectMember] = {}
    for obj in objects:
        for child in obj.named_children:
            member = _member(child)
            if member is None and child.type != "comment":
                return None
            if member is not None:
                members.setdefault(member.name, member)
    return tuple(members.values())


def render_factory(function_signature: str, members: tuple[ObjectMember, ...], declaration: str) -> str:
    """The factory as a skeleton returning its object, then the declaration that calls it."""
    head = function_signature.rstrip().rstrip("{").rstrip()
    lines = [head + " {", "  return {"] + [f"    {m.text}," for m in members] + ["  }", "}", declaration.strip()]
    return "\n".join(lines)


def _first_function(node):
    if node.type in _FUNCTION_NODES:
        return node
    for child in node.named_children:
        found = _first_function(child)
        if found is not None:
            return found
    return None


def _returns(node):
    """Return statements of this function body, not of the functions nested in it."""
    for child in node.named_children:
        if child.type in _FUNCTIONS:
            continue
        if child.type == "return_statement":
            value = child.named_children[0] if child.named_children else None
            yield value
            continue
        yield from _returns(child)


def _unwrap(node):
    while node is not None and node.type in _WRAPPERS:
        node = node.named_children[0] if node.named_children else None
    return node


def _text(node) -> str:
    return node.text.decode("utf-8", "replace")


def _key(node) -> str | None:
    if node is None:
        return None
    if node.type in ("property_identifier", "private_property_identifier"):
        return _text(node)
    if node.type == "string":
        return _text(node)[1:-1]
    return None  # computed (`[k]: v`) or numeric: not a name `x.` can take


def _member(node) -> ObjectMember | None:
    if node.type == "shorthand_property_identifier":
        name = _text(node)
        return ObjectMember(name, name)
    if node.type == "method_definition":
        name = _key(node.child_by_field_name("name"))
        body = node.child_by_field_name("body")
        if name is None or body is None:
            return None
        return ObjectMember(name, flat(_text(node)[: body.start_byte - node.start_byte], "typescript") + " { ... }")
    if node.type == "pair":
        name = _key(node.child_by_field_name("key"))
        value = node.child_by_field_name("value")
        if name is None or value is None:
            return None
        if value.type in ("arrow_function", "function_expression", "function"):
            body = value.child_by_field_name("body")
            head = _text(value)[: body.start_byte - value.start_byte] if body is not None else _text(value)
            elided = " { ... }" if body is not None and body.type == "statement_block" else " ..."
            return ObjectMember(name, f"{name}: {flat(head, 'typescript')}{elided}")
        shown = flat(_text(value), "typescript")
        return ObjectMember(name, f"{name}: {shown}" if len(shown) <= MAX_VALUE_CHARS else f"{name}: ...")
    return None  # spread_element and anything else: the keys cannot all be known
