"""Tree-sitter grammars and the one query file per language.

Grammars are loaded lazily (importing all eight costs ~50 ms and some memory
that a Python-only workspace never needs). A language without a grammar is
indexed as plain-text windows only.
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.metadata
import logging
from pathlib import Path

import tree_sitter as ts

log = logging.getLogger(__name__)
QUERIES = Path(__file__).with_name("queries")

# LSP language id → (grammar module, attribute returning the language pointer, query file stem)
GRAMMARS: dict[str, tuple[str, str, str]] = {
    "python": ("tree_sitter_python", "language", "python"),
    "javascript": ("tree_sitter_javascript", "language", "javascript"),
    "javascriptreact": ("tree_sitter_javascript", "language", "javascript"),
    "typescript": ("tree_sitter_typescript", "language_typescript", "typescript"),
    "typescriptreact": ("tree_sitter_typescript", "language_tsx", "typescript"),
    "java": ("tree_sitter_java", "language", "java"),
    "go": ("tree_sitter_go", "language", "go"),
    "rust": ("tree_sitter_rust", "language", "rust"),
    "c": ("tree_sitter_c", "language", "c"),
    "cpp": ("tree_sitter_cpp", "language", "cpp"),
}


# The code that decides what a file's rows hold (symbols, imports, windows): when any of it changes, rows
# written by the old code are stale even though the file is not (see `extraction_version`).
EXTRACTION_SOURCES = ("extract.py", "imports.py", "windows.py", "tokens.py", "languages.py", "bases.py")


@functools.lru_cache(maxsize=1)
def extraction_version() -> str:
    """A digest of the extraction code, the query files and the grammar versions.

    The index reuses a file's rows while the file's size/mtime/hash are unchanged; without
    this, an index built by an older Tabstop would keep its old symbols and imports forever
    (a re-export query added later never reached files that did not change). Digesting the
    sources rather than keeping a hand-bumped number means no change can forget to bump it.
    """
    here = Path(__file__).parent
    h = hashlib.sha256()
    for path in [*(here / name for name in EXTRACTION_SOURCES), *sorted(QUERIES.glob("*.scm"))]:
        h.update(path.name.encode() + b"\0")
        try:
            h.update(path.read_bytes())
        except OSError:  # (an installed copy without one of them: still a stable digest)
            h.update(b"missing")
    for dist in sorted({"tree-sitter", *(m.replace("_", "-") for m, _, _ in GRAMMARS.values())}):
        try:
            h.update(f"{dist}={importlib.metadata.version(dist)}".encode())
        except importlib.metadata.PackageNotFoundError:
            h.update(f"{dist}=none".encode())
    return h.hexdigest()[:16]


def supported(language: str) -> bool:
    return language in GRAMMARS


@functools.lru_cache(maxsize=None)
def grammar(language: str) -> ts.Language | None:
    spec = GRAMMARS.get(language)
    if spec is None:
        return None
    module, attr, _ = spec
    try:
        return ts.Language(getattr(importlib.import_module(module), attr)())
    except (ImportError, AttributeError, ValueError) as exc:
        log.warning("tree-sitter grammar for %s unavailable (%s): plain-text indexing", language, exc)
        return None


@functools.lru_cache(maxsize=None)
def query(language: str) -> ts.Query | None:
    lang = grammar(language)
    if lang is None:
        return None
    stem = GRAMMARS[language][2]
    return ts.Query(lang, (QUERIES / f"{stem}.scm").read_text())


def parser(language: str) -> ts.Parser | None:
    """A new parser (parsers are cheap and not shared between threads)."""
    lang = grammar(language)
    return ts.Parser(lang) if lang is not None else None
