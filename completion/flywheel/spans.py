"""Fill-in-the-middle spans chosen on the syntax tree (tree-sitter).

Random character spans teach a model to stop mid-token; spans that are whole
syntactic units — statements, blocks, call arguments, function bodies — teach
it to produce what an editor asks for. (A Java team reported +44% on their
business FIM benchmark from this recipe.) Each span becomes prefix / middle /
suffix by cutting the file at the node's boundaries.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

log = logging.getLogger(__name__)

BLOCK_TYPES = {"block", "statement_block", "compound_statement", "declaration_list", "class_body"}
ARG_TYPES = {"argument_list", "arguments"}
FUNCTION_TYPES = {"function_definition", "function_declaration", "method_declaration", "function_item",
                  "method_definition", "arrow_function", "function_expression", "constructor_declaration",
                  "func_literal", "lambda_expression"}
STATEMENT_EXTRA = {"local_variable_declaration", "let_declaration", "lexical_declaration", "variable_declaration",
                   "short_var_declaration", "assignment", "field_declaration"}
KINDS = ("statement", "block", "call_args", "function_body")


@dataclass(frozen=True)
class Span:
    kind: str  # statement | block | call_args | function_body
    node_type: str
    start: int  # character offsets into the text
    end: int


def _grammar(language: str):
    """The tree-sitter language capsule for an LSP language id, or None."""
    try:
        if language == "python":
            import tree_sitter_python as m
            return m.language()
        if language in ("javascript", "javascriptreact"):
            import tree_sitter_javascript as m
            return m.language()
        if language == "typescript":
            import tree_sitter_typescript as m
            return m.language_typescript()
        if language == "typescriptreact":
            import tree_sitter_typescript as m
            return m.language_tsx()
        if language == "java":
            import tree_sitter_java as m
            return m.language()
        if language == "go":
            import tree_sitter_go as m
            return m.language()
        if language == "rust":
            import tree_sitter_rust as m
            return m.language()
        if language == "c":
            import tree_sitter_c as m
            return m.language()
        if language == "cpp":
            import tree_sitter_cpp as m
            return m.language()
    except ImportError as exc:
        log.info("no tree-sitter grammar for %s: %s", language, exc)
    return None


@lru_cache(maxsize=None)
def parser_for(language: str):
    from tree_sitter import Language, Parser

    capsule = _grammar(language)
    return Parser(Language(capsule)) if capsule is not None else None


def supported(language: str) -> bool:
    return parser_for(language) is not None


def _kind(node, parent) -> str | None:
    t = node.type
    if parent is not None and parent.type in FUNCTION_TYPES and parent.child_by_field_name("body") == node:
        return "function_body"
    if t in ARG_TYPES:
        return "call_args"
    if t in BLOCK_TYPES:
        return "block"
    if t.endswith("_statement") or t in STATEMENT_EXTRA:
        return "statement"
    return None


def _walk(node, parent=None) -> Iterator[tuple[object, object]]:
    stack = [(node, parent)]
    while stack:
        n, p = stack.pop()
        yield n, p
        for child in reversed(n.children):
            stack.append((child, n))


def find_spans(text: str, language: str, *, max_chars: int = 1200, max_lines: int = 30) -> list[Span]:
    """Every candidate span in `text`, in document order. Bracketed nodes contribute their inside."""
    parser = parser_for(language)
    if parser is None:
        return []
    data = text.encode("utf-8")
    tree = parser.parse(data)
    # byte offset -> character offset (tree-sitter speaks bytes)
    char_at = _byte_to_char(text)
    spans: list[Span] = []
    seen: set[tuple[int, int]] = set()
    for node, parent in _walk(tree.root_node):
        if not node.is_named or node.has_error:
            continue
        kind = _kind(node, parent)
        if kind is None:
            continue
        start_b, end_b = node.start_byte, node.end_byte
        raw = data[start_b:end_b]
        if raw[:1] in (b"(", b"{", b"[") and raw[-1:] in (b")", b"}", b"]") and len(raw) >= 2:
            start_b, end_b = start_b + 1, end_b - 1  # the inside: the editor already has the brackets
        start, end = char_at(start_b), char_at(end_b)
        middle = text[start:end]
        if not middle.strip() or len(middle) > max_chars or middle.count("\n") >= max_lines:
            continue
        if (start, end) in seen:  # e.g. Python's expression_statement around an assignment
            continue
        seen.add((start, end))
        spans.append(Span(kind, node.type, start, end))
    spans.sort(key=lambda s: (s.start, s.end))
    return spans


def _byte_to_char(text: str):
    if text.isascii():
        return lambda b: b
    offsets: list[int] = []  # offsets[b]: the character that byte b belongs to
    for i, ch in enumerate(text):
        offsets.extend([i] * len(ch.encode("utf-8")))
    offsets.append(len(text))
    return lambda b: offsets[b] if b < len(offsets) else len(text)


def choose_spans(spans: list[Span], per_file: int, rng: random.Random) -> list[Span]:
    """Up to `per_file` spans, balanced across kinds (round robin), reproducible with `rng`."""
    by_kind: dict[str, list[Span]] = {k: [s for s in spans if s.kind == k] for k in KINDS}
    for items in by_kind.values():
        rng.shuffle(items)
    chosen: list[Span] = []
    while len(chosen) < per_file and any(by_kind.values()):
        for kind in KINDS:
            if by_kind[kind] and len(chosen) < per_file:
                chosen.append(by_kind[kind].pop())
    return sorted(chosen, key=lambda s: s.start)
