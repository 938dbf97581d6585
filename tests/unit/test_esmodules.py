"""Pure parsing of a JS/TS module's export statements (completion/context/esmodules.py)."""
from __future__ import annotations

from completion.context.esmodules import es_exports


def test_every_export_shape_names_what_it_exports():
    text = """import { x } from './x'
export const isServer = typeof window === 'undefined'
export function* ids() {}
export async function load(): Promise<void> {}
export abstract class Base {}
export interface Options { a: number }
export type Updater<T> = (old: T) => T
export const enum Mode { A }
export default function main() {}
export {
  helper,
  internal as publicName,
  type Shape,
}
export { a as b } from './other'
export * as tools from './tools'
export * from './more'
export import Alias = Space.Thing
"""
    e = es_exports(text)
    assert e is not None
    assert e.names == {"isServer", "ids", "load", "Base", "Options", "Updater", "Mode", "default", "helper",
                       "publicName", "Shape", "b", "tools", "Alias"}
    assert e.star_from == ["./more"]


def test_modules_whose_namespace_cannot_be_read_give_none():
    assert es_exports("const a = 1;\nmodule.exports = { a };\n") is None  # CommonJS
    assert es_exports("function f() {}\nexport = f;\n") is None
    assert es_exports("export const { a, b } = make();\n") is None  # a destructuring export: not read
    assert es_exports("const a = 1;\n") is None  # no export statement: not a module we can vouch for


def test_every_declarator_of_an_exported_declaration_is_a_name():
    e = es_exports("export const a = f(1, 2), b = { x: 1, y: 'p,q' }, c\nconst d = 1, e = 2\n")
    assert e is not None and e.names == {"a", "b", "c"}


def test_a_large_module_gives_every_name():
    text = "".join(f"export const value{i} = compute({i}, 'x'), other{i} = [{i}]\n" for i in range(20_000))
    e = es_exports(text)
    assert e is not None and len(e.names) == 40_000 and {"value0", "other19999"} <= e.names
