"""Signatures and class skeletons as source text the model recognises (no bodies)."""
from __future__ import annotations

import re
from typing import Sequence

from cache.index.model import Symbol

BRACE_LANGUAGES = {"javascript", "javascriptreact", "typescript", "typescriptreact", "java", "go", "rust", "c", "cpp"}
MAX_MEMBERS = 14  # methods in a skeleton: a big class would otherwise eat the whole budget
MAX_FIELDS = 10


def _public(symbol: Symbol) -> bool:
    """Private helpers (`_x`) are not what callers write; constructors are. JS `#private` members
    cannot be written outside their class at all."""
    name = symbol.name
    if name.startswith("#"):
        return False
    return not name.startswith("_") or name in ("__init__", "__call__", "__new__") or symbol.kind == "field"


def _indent_block(text: str, indent: str) -> str:
    lines = text.splitlines()
    if not lines:
        return ""
    first_indent = len(lines[0]) - len(lines[0].lstrip())
    out = []
    for line in lines:
        cut = min(first_indent, len(line) - len(line.lstrip()))
        out.append(indent + line[cut:])
    return "\n".join(out)


def _python_doc(doc: str, indent: str) -> str:
    doc = doc.replace('"""', "'''")
    return f'{indent}    """{doc}"""\n' if doc else ""


def render_symbol(symbol: Symbol, language: str) -> str:
    """One definition: its header, its docstring's first line, and an elided body."""
    sig = symbol.signature.rstrip()
    if language == "python":
        if symbol.kind in ("field", "variable"):
            return sig
        head = _indent_block(sig, "")
        return head + "\n" + _python_doc(symbol.doc, "") + "    ..."
    doc = f"// {symbol.doc}\n" if symbol.doc else ""
    if language in BRACE_LANGUAGES and symbol.kind in ("function", "method") and not sig.endswith((";", "}")):
        return doc + _indent_block(sig, "") + (" { ... }" if language != "python" else "")
    return doc + _indent_block(sig, "")


def render_skeleton(owner: Symbol, members: Sequence[Symbol], language: str) -> str:
    """A class (struct, trait, impl …) with its members' signatures and fields, bodies elided."""
    members = [m for m in members if (m.name != owner.name or m.kind != owner.kind) and _public(m)]
    fields = [m for m in members if m.kind == "field"][:MAX_FIELDS]
    methods = [m for m in members if m.kind != "field"][:MAX_MEMBERS]
    members = sorted(fields + methods, key=lambda m: m.start_line)
    if language == "python":
        out = [_indent_block(owner.signature.rstrip(), "")]
        if owner.doc:
            out.append(_python_doc(owner.doc, "").rstrip("\n"))
        fields = [m for m in members if m.kind == "field"]
        class_fields = [f for f in fields if not f.signature.lstrip().startswith("self.")]
        self_fields = [f for f in fields if f.signature.lstrip().startswith("self.")]
        out += ["    " + f.signature.strip() for f in class_fields]
        methods = [m for m in members if m.kind == "method"]
        for m in methods:
            out.append(_indent_block(m.signature.rstrip(), "    "))
            inits = [f for f in self_fields if m.start_line <= f.start_line <= m.end_line]
            if inits:
                out += ["        " + f.signature.strip() for f in inits]
            else:
                out.append("        ...")
        if len(out) == 1 + bool(owner.doc):
            out.append("    ...")
        return "\n".join(out)
    if owner.kind == "type" and "{" in owner.signature:
        head = _indent_block(owner.signature.rstrip(), "")  # a struct/interface shown whole
        methods = [m for m in members if m.kind in ("method", "function")]
        return "\n".join([head] + [render_symbol(m, language) for m in methods])
    head = _indent_block(owner.signature.rstrip(), "")
    body = []
    for m in members:
        if m.kind == "field":
            body.append("  " + m.signature.strip().rstrip(";") + ";" if language != "go" else "  " + m.signature.strip())
        else:
            body.append(_indent_block(render_symbol(m, language), "  "))
    doc = f"// {owner.doc}\n" if owner.doc else ""
    if not body:
        return doc + head + (" { ... }" if not head.endswith(";") else "")
    return doc + head + " {\n" + "\n".join(body) + "\n}"


MAX_LISTING_LINE = 110  # characters: a long parameter list is cut to its first parameters


def _shorten(head: str) -> str:
    """Cut a long parameter list after the last whole parameter that fits (the return type stays)."""
    opening = head.find("(")
    if len(head) <= MAX_LISTING_LINE or opening < 0:
        return head
    depth, commas, closing = 0, [], -1
    for i in range(opening, len(head)):
        ch = head[i]
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>" and not (ch == ">" and head[i - 1] == "-"):
            depth -= 1
            if depth == 0:
                closing = i
                break
        elif ch == "," and depth == 1:
            commas.append(i)
    if closing < 0:
        return head
    room = MAX_LISTING_LINE - (len(head) - closing)
    fitting = [c for c in commas if c < room]
    return head[: fitting[-1] if fitting else opening + 1] + ", ..." + head[closing:]


def flat(signature: str, language: str) -> str:
    """A multi-line header on one line, without comments or the spaces a line break left inside brackets."""
    if language == "python":
        signature = "\n".join(re.sub(r"\s+#.*$", "", line) for line in signature.splitlines())
    head = " ".join(signature.split())
    return re.sub(r"\s+([)\]])", r"\1", re.sub(r"([(\[])\s+", r"\1", head)).replace(",)", ")")


def one_line(symbol: Symbol, language: str) -> str:
    """A definition as one line with an elided body: an entry of a module listing."""
    head = flat(symbol.signature, language)
    if language == "python":
        head = _shorten(head.rstrip(":"))
        return head if symbol.kind in ("variable", "field") else head + ": ..."
    head = _shorten(head.rstrip("{ ").rstrip())
    if symbol.kind in ("function", "method", "class", "type", "impl") and not head.endswith((";", "}")):
        return head + (" { ... }" if language in BRACE_LANGUAGES else "")
    return head


def render_listing(symbols: Sequence[Symbol], language: str) -> str:
    """What a module offers, one definition per line (a stub of its public names, no bodies)."""
    return "\n".join(one_line(s, language) for s in symbols)

