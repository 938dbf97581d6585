"""Pure parts of the TypeScript instance-member rule (completion/context/classes.py)."""
from __future__ import annotations

import pytest

from cache.index.model import Symbol
from completion.context.classes import extends_of, modifiers, parameter_properties, public_members


@pytest.mark.parametrize("header,base", [
    ("class FocusManager extends Subscribable<Listener>", "Subscribable"),
    ("class Subscribable<TListener extends Function>", ""),  # a type parameter's bound is not a base
    ("class A<T extends Map<string, X>> extends ns.Base<T> implements I, J", "ns.Base"),
    ("export default class extends Base {", "Base"),
    ("class Query implements Disposable", ""),
    ("class Logged extends withLogging(Base)", None),  # a mixin: what it adds is not declared
])
def test_the_base_a_class_header_names(header, base):
    assert extends_of(header) == base


def test_modifiers_are_the_leading_words():
    assert modifiers("protected async load(): Promise<void>") == {"protected", "async"}
    assert modifiers("get(key: string)") == set()  # a method named `get`
    assert modifiers("static readonly VERSION = 1") == {"static", "readonly"}


@pytest.mark.parametrize("signature,props", [
    ("constructor()", set()),
    ("constructor(public user: string, private token: string, readonly id = 1, plain: number)", {"user", "id"}),
    ("constructor(\n    @Inject(TOKEN) public readonly http: Http,\n    protected log: Log,\n  )", {"http"}),
    ("constructor(cb: (x: number) => void, public done = () => {})", {"done"}),
    ("constructor(public a: string,\n  public b: string,", None),  # cut off by the index's signature clip
])
def test_constructor_parameter_properties(signature, props):
    assert parameter_properties(signature) == props


def test_public_members_leave_out_what_outside_code_cannot_write():
    def member(name: str, signature: str, kind: str = "method") -> Symbol:
        return Symbol(name, kind, "C", signature, "", 1, 1)

    members = [member("constructor", "constructor(public user: string)"), member("close", "close(): void"),
               member("refresh", "protected refresh()"), member("drop", "private drop()"),
               member("create", "static create(): C"), member("id", "readonly id = 1", "field"),
               member("active", "get active(): boolean")]
    assert public_members(members) == {"user", "close", "id", "active"}
    assert public_members([member("constructor", "constructor(public a: string,")]) is None
