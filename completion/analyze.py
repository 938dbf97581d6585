"""Step 1: should we complete here, and a line or a block?

Pure functions over the request. Copilot-like rules: do not interrupt when the
cursor sits before real text on the same line (automatic trigger only); after a
block opener or on an empty line, offer a block; otherwise finish the line.

Where a tree-sitter grammar exists the decision comes from the syntax tree
around the cursor (completion/syntax.py), which text alone gets wrong: a blank
line inside a multi-line argument list is "rest of the argument", not a block;
`lambda x:` and `{'a':` end with a colon but open no block; a `{` opens a block
after `if (…)` but not inside a template substitution. Without a grammar (or
when the tree is too broken to say) the text heuristics decide.

The partial token before the cursor becomes the token-healing text (completion/heal.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from completion import syntax
from completion.heal import HealRules, heal_text
from completion.types import Request

_CLOSERS_ONLY = re.compile(r"[\s)\]}>'\"`;:,.]*")
_BLOCK_OPENERS = (":", "{", "(", "[", "=>", "->")
_CASE_LABEL = re.compile(r"^\s*(?:case\b|default\s*:)")
_PY_COMPOUND = re.compile(r"^\s*(?:async\s+)?(?:def|class|if|elif|else|for|while|with|try|except|finally|match|case)\b")

# Bracketed lists whose inside is "the rest of this argument", never a block.
LINE_CONTAINERS = frozenset({
    "argument_list", "arguments", "parameters", "formal_parameters", "parameter_list", "lambda_parameters",
    "parenthesized_expression", "subscript", "subscript_expression", "index_expression", "type_arguments",
    "type_parameters", "template_substitution", "generator_expression", "call_expression_arguments",
})
# Nodes that hold statements: an argument list outside them is not the cursor's business.
STATEMENT_HOLDERS = frozenset({
    "module", "program", "source_file", "translation_unit", "block", "statement_block", "class_body",
    "compound_statement", "declaration_list", "field_declaration_list", "statement_list", "interface_body",
    "enum_body", "switch_body", "expression_switch_statement", "constructor_body",
})
# The parent of a `:` or `{` at the end of the line that does *not* open a block of statements.
NO_BLOCK_OPENER_PARENTS = frozenset({
    "pair", "lambda", "slice", "template_substitution", "dictionary", "subscript", "type", "keyword_argument",
    "conditional_expression",
})


@dataclass(frozen=True)
class Analysis:
    should_complete: bool
    reason: str
    mode: str  # line | block
    indent: str  # indentation of the cursor's line
    heal: str  # partial token before the cursor that the completion must extend
    mode_source: str = "text"  # text | syntax: what decided the mode


def indentation(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def text_mode(line_prefix: str, line_suffix: str) -> str:
    """The grammar-free rule: block on an empty line or after an opener that ends the line."""
    stripped = line_prefix.rstrip()
    if not stripped:
        return "block"
    if stripped.endswith(_BLOCK_OPENERS) and line_prefix == stripped and not line_suffix.strip():
        return "block"
    return "line"


def syntax_mode(language: str, prefix: str, suffix: str) -> str | None:
    """Line or block from the syntax tree around the cursor; None when the tree cannot tell.

    `prefix`/`suffix` are the document text before/after the cursor (windows are fine).
    """
    if not syntax.supported(language):
        return None
    win = syntax.window(prefix, suffix)
    tree = syntax.parse(language, win.text())
    if tree is None:
        return None
    cursor = len(win.head.encode("utf-8"))
    line_prefix = prefix[prefix.rfind("\n") + 1 :]
    nl = suffix.find("\n")
    line_suffix = suffix if nl < 0 else suffix[:nl]

    node = tree.root_node.descendant_for_byte_range(cursor, cursor)
    while node is not None and node.type not in STATEMENT_HOLDERS:
        if node.type in LINE_CONTAINERS and node.start_byte < cursor and (cursor < node.end_byte or _unclosed(node)):
            return "line"
        node = node.parent

    stripped = line_prefix.rstrip()
    if not stripped:
        return "block" if not line_suffix.strip() else "line"
    if line_suffix.strip() or line_prefix != stripped:
        return "line"
    last = stripped[-1]
    if last == "(":
        return "line"  # `foo(` at the end of a line: the arguments, not a block
    if last not in ":{":
        return None if stripped.endswith(("=>", "->", "[")) else "line"
    leaf = tree.root_node.descendant_for_byte_range(cursor - 1, cursor)
    parent = leaf.parent if leaf is not None else None
    if parent is None or parent.type == "ERROR" or parent.has_error and parent.type not in STATEMENT_HOLDERS:
        if last == ":":
            opener = _PY_COMPOUND if language == "python" else _CASE_LABEL
            return "block" if opener.match(stripped) else "line"
        return None
    if parent.type in NO_BLOCK_OPENER_PARENTS:
        return "line"
    return "block"


def _unclosed(node) -> bool:
    """A bracketed node whose closing bracket is missing (still being typed)."""
    last = node.child(node.child_count - 1) if node.child_count else None
    return last is not None and last.is_missing


def analyze(
    request: Request,
    *,
    single_line_mid_line: bool = True,
    healing: bool = True,
    use_syntax: bool = True,
    heal_rules: HealRules = HealRules(),
    prefix: str | None = None,
    suffix: str | None = None,
) -> Analysis:
    """`prefix`/`suffix` may be the engine's windows (cheaper to parse than the whole text)."""
    line_prefix, line_suffix = request.line_prefix, request.line_suffix
    indent = indentation(line_prefix)
    if request.trigger == "automatic" and not _CLOSERS_ONLY.fullmatch(line_suffix):
        return Analysis(False, "text after the cursor", "line", indent, "")
    mode, source = None, "text"
    if use_syntax:
        mode = syntax_mode(request.language, request.prefix if prefix is None else prefix,
                           request.suffix if suffix is None else suffix)
        source = "syntax" if mode else "text"
    if mode is None:
        mode = text_mode(line_prefix, line_suffix)
    if mode == "line" and not single_line_mid_line:
        mode = "block"
    heal = heal_text(line_prefix, heal_rules) if healing and mode == "line" else ""
    return Analysis(True, "", mode, indent, heal, source)
