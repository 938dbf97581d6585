"""What the index stores about a file: symbols (definitions) and imports. Plain frozen dataclasses."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Symbol:
    """A definition. `signature` is its header (no body); `parent` the enclosing class, impl or type."""

    name: str
    kind: str  # class | function | method | field | variable | type | impl
    parent: str
    signature: str
    doc: str  # first line of the docstring or leading comment
    start_line: int  # zero-based, inclusive
    end_line: int  # zero-based, inclusive


@dataclass(frozen=True)
class Import:
    """One imported binding, as written. `local` is the name it binds in the file ("" for `*`).

    `module` is the language's own spelling: `pkg.mod` / `..rel` (Python), `./x` (JS/TS),
    `com.a` (Java), `github.com/x/y` (Go), `crate::a::b` (Rust), `x.h` (C/C++).
    `name` is the member taken from it ("" = the module itself, "*" = all of it).
    """

    module: str
    name: str
    local: str
    line: int


@dataclass(frozen=True)
class FileExtract:
    language: str
    symbols: tuple[Symbol, ...] = ()
    imports: tuple[Import, ...] = ()
    parsed: bool = False  # False: no grammar (plain-text windows only) or parse failure
    errors: int = 0  # tree-sitter ERROR/MISSING nodes
    extra: dict[str, str] = field(default_factory=dict)
