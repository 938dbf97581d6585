"""Tree-sitter grammars and the one query file per language.

Grammars are loaded lazily (importing all eight costs ~50 ms and some memory
that a Python-only workspace never needs). A language without a grammar is
indexed as plain-text windows only.
"""
from __future__ import annotations

import functools
import importlib
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
