"""Parse one file with tree-sitter and pull out its symbols and imports.

Capture names used by the query files (cache/index/queries/*.scm):
`@definition.<kind>` on a definition node with `@name` on its name, and
`@import` on an import statement. Everything else (signature without body,
docstring first line, enclosing class) is derived here the same way for every
language, so a new language is one query file and, at most, an import parser.
"""
from __future__ import annotations

import bisect
import logging
import re
from dataclasses import dataclass

import tree_sitter as ts

from cache.index import languages
from cache.index.imports import PARSERS
from cache.index.model import FileExtract, Import, Symbol
from cache.index.windows import common_prefix_len

log = logging.getLogger(__name__)

CONTAINERS = ("class", "impl", "type")  # kinds whose members are listed in a skeleton
MAX_SIGNATURE_LINES = 6
MAX_TYPE_LINES = 24  # structs, interfaces, type aliases are shown whole up to this
_BODY_TYPES = {"block", "statement_block", "class_body", "compound_statement", "field_declaration_list",
               "declaration_list", "interface_body", "enum_body", "function_body", "body"}
_FUNCTION_TYPES = {"function_definition", "function_declaration", "method_definition", "method_declaration",
                   "function_item", "arrow_function", "function_expression", "constructor_declaration",
                   "generator_function_declaration"}
_DECLARATION_TYPES = {"function_definition", "declaration", "field_declaration"}
MAX_PARTS = 20_000  # top-level nodes above which a file is extracted whole, with no per-node reuse
_PRIORITY = {"class": 0, "function": 1, "method": 1, "type": 2, "impl": 3, "field": 4, "variable": 5}
_STRING_OPEN = re.compile(r"^[rbuRBU]*(\"\"\"|\'\'\'|\"|\')")
_WRAPPERS = ("export_statement", "decorated_definition", "type_declaration", "template_declaration")
_ANNOTATION = re.compile(r"@[\w.]+(?:\s*\((?:[^()]|\([^()]*\))*\))?")
_STATIC = re.compile(r"\bstatic\b")
_ANNOTATION_LINE = re.compile(r"\s*@[\w.]+(?:\s*\(.*\))?\s*$")  # a line that is one annotation or decorator
_COMMENT = re.compile(r"^\s*(?:/\*\*?|\*/?|///?|#|--)\s?")


def _text(source: bytes, start: int, end: int) -> str:
    return source[start:end].decode("utf-8", "replace")


def _body(node: ts.Node) -> ts.Node | None:
    body = node.child_by_field_name("body")
    if body is not None:
        return body
    for child in node.named_children:
        if child.type == "variable_declarator":
            value = child.child_by_field_name("value")
            if value is not None and value.child_by_field_name("body") is not None:
                return value.child_by_field_name("body")
    return None


def _widen(node: ts.Node) -> ts.Node:
    """A C/C++ `function_declarator` → its whole definition or prototype."""
    if node.type != "function_declarator":
        return node
    current = node
    while current.parent is not None and current.parent.type not in ("translation_unit", "declaration_list",
                                                                         "field_declaration_list"):
        current = current.parent
        if current.type in _DECLARATION_TYPES:
            return current
    return current


def _clip(lines: list[str], limit: int) -> str:
    if len(lines) <= limit:
        return "\n".join(lines)
    return "\n".join(lines[:limit] + [lines[0][: len(lines[0]) - len(lines[0].lstrip())] + "    ..."])


def _signature(source: bytes, node: ts.Node, kind: str) -> str:
    body = _body(node)
    if kind in ("type", "field", "variable") or body is None:
        text = _text(source, node.start_byte, node.end_byte)
        limit = MAX_TYPE_LINES if kind == "type" else MAX_SIGNATURE_LINES
        if kind in ("field", "variable"):
            # The declaration's first line, after annotation lines (`@SuppressWarnings("removal")` /
            # `static final boolean ENABLED = …`: the annotation alone says nothing of the field).
            lines = text.splitlines() or [""]
            text = next((line for line in lines if not _ANNOTATION_LINE.match(line)), lines[0]).strip()
            return text[:160]
        return _clip(text.splitlines(), limit)
    head = _text(source, node.start_byte, body.start_byte).rstrip()
    if head.endswith("{"):
        head = head[:-1].rstrip()
    return _clip(head.splitlines(), MAX_SIGNATURE_LINES)


def _python_doc(source: bytes, node: ts.Node) -> str:
    body = node.child_by_field_name("body")
    if body is None or not body.named_children:
        return ""
    first = body.named_children[0]
    if first.type == "expression_statement" and first.named_children and first.named_children[0].type == "string":
        raw = _STRING_OPEN.sub("", _text(source, first.start_byte, first.end_byte))
        lines = [line.strip() for line in raw.strip().strip("\"'").splitlines() if line.strip()]
        return lines[0][:160] if lines else ""
    return ""


def _comment_doc(source: bytes, node: ts.Node) -> str:
    while node.parent is not None and node.parent.type in _WRAPPERS:
        node = node.parent
    prev = node.prev_named_sibling
    if prev is None or "comment" not in prev.type or node.start_point[0] - prev.end_point[0] > 1:
        return ""
    for line in _text(source, prev.start_byte, prev.end_byte).splitlines():
        cleaned = _COMMENT.sub("", line).strip().rstrip("*/").strip()
        if cleaned and not cleaned.startswith("@"):
            return cleaned[:160]
    return ""


def _go_receiver(source: bytes, node: ts.Node) -> str:
    receiver = node.child_by_field_name("receiver")
    if receiver is None:
        return ""
    names = re.findall(r"[A-Za-z_]\w*", _text(source, receiver.start_byte, receiver.end_byte))
    return names[-1] if names else ""


def _parent(node: ts.Node, containers: dict[tuple[int, int], str], kind: str) -> tuple[str, bool]:
    """(enclosing container name, inside a function body?) for a definition node."""
    current = node.parent
    in_function = False
    while current is not None:
        key = (current.start_byte, current.end_byte)
        if key in containers and current.id != node.id:
            return containers[key], in_function
        if current.type in _FUNCTION_TYPES:
            in_function = True
        current = current.parent
    return "", in_function


@dataclass(frozen=True)
class _Record:
    """A definition found under one top-level node, before the file-wide de-duplication: what a
    later parse of an edited text reuses, shifted, when that node did not change."""
    kind: str
    parent: str
    name: str
    signature: str
    doc: str
    start_line: int
    end_line: int
    span: tuple[int, int]  # byte span of the definition node (several variables may share one)

    def shifted(self, lines: int, nbytes: int) -> "_Record":
        if not lines and not nbytes:
            return self
        return _Record(self.kind, self.parent, self.name, self.signature, self.doc, self.start_line + lines,
                       self.end_line + lines, (self.span[0] + nbytes, self.span[1] + nbytes))


@dataclass(frozen=True)
class _Part:
    """What one top-level node of a file gives: its definitions and imports, in document order."""
    records: tuple[_Record, ...]
    imports: tuple[Import, ...]

    def shifted(self, lines: int, nbytes: int) -> "_Part":
        if not lines and not nbytes:
            return self
        return _Part(tuple(r.shifted(lines, nbytes) for r in self.records),
                     tuple(Import(i.module, i.name, i.local, i.line + lines) for i in self.imports))


@dataclass(frozen=True)
class Parsed:
    """A text and its tree, kept by a caller that will parse an edited version of the same document:
    tree-sitter then re-parses only around the edit, and the top-level nodes the edit did not touch
    keep what they gave (`parts`, keyed by byte span) instead of being queried again (`extract_edited`)."""
    text: str
    tree: ts.Tree
    language: str
    parts: dict[tuple[int, int], _Part] | None = None


def _point(text: str, index: int) -> tuple[tuple[int, int], int]:
    """((row, byte column), byte offset) of character `index` of `text`, as tree-sitter counts them."""
    row = text.count("\n", 0, index)
    line_start = text.rfind("\n", 0, index) + 1
    before = len(text[:line_start].encode("utf-8", "replace"))
    column = len(text[line_start:index].encode("utf-8", "replace"))
    return (row, column), before + column


def text_edit(old: str, new: str) -> dict[str, object]:
    """The single edit that turns `old` into `new` (common prefix and suffix kept), as `Tree.edit` wants it."""
    start = common_prefix_len(old, new)
    limit = min(len(old), len(new)) - start
    suffix = common_prefix_len(old[::-1][:limit], new[::-1][:limit]) if limit > 0 else 0
    start_point, start_byte = _point(old, start)
    old_end_point, old_end_byte = _point(old, len(old) - suffix)
    new_end_point, new_end_byte = _point(new, len(new) - suffix)
    return dict(start_byte=start_byte, old_end_byte=old_end_byte, new_end_byte=new_end_byte,
                start_point=start_point, old_end_point=old_end_point, new_end_point=new_end_point)


def extract(text: str, language: str) -> FileExtract:
    """Symbols and imports of one file; a language without a grammar gives an empty, unparsed extract."""
    return extract_edited(text, language, None)[0]


def extract_edited(text: str, language: str, previous: Parsed | None) -> tuple[FileExtract, Parsed | None]:
    """`extract`, re-parsing incrementally from `previous` (the same document before an edit) when given;
    also returns this text's `Parsed` for the next edit. Typing Enter in a 2,000-line file changes every
    line below the cursor's position in the text, but tree-sitter then re-parses only the edited region,
    and only the top-level nodes around the edit are queried again (the query and the work on its
    matches were most of the cost: 7 of 9 ms on click's core.py)."""
    query = languages.query(language)
    parser = languages.parser(language)
    if query is None or parser is None:
        return FileExtract(language), None
    source = text.encode("utf-8", "replace")
    reuse: _Reuse | None = None
    if previous is not None and previous.language == language and previous.text != text:
        edit = text_edit(previous.text, text)
        old_tree = previous.tree.copy()
        old_tree.edit(**edit)
        tree = parser.parse(source, old_tree)
        if previous.parts is not None:
            reuse = _Reuse(previous.parts, edit, old_tree.changed_ranges(tree))
    else:
        tree = parser.parse(source)
    extract_, parts = _extract_tree(source, tree, language, query, reuse)
    return extract_, Parsed(text, tree, language, parts)


@dataclass(frozen=True)
class _Reuse:
    parts: dict[tuple[int, int], _Part]  # the previous text's, keyed by byte span there
    edit: dict[str, object]
    changed: list  # tree-sitter ranges whose structure changed (new tree's bytes)

    def part(self, node: ts.Node) -> _Part | None:
        """The previous part of a top-level node the edit did not touch (shifted to where it is now)."""
        e = self.edit
        start, old_end, new_end = e["start_byte"], e["old_end_byte"], e["new_end_byte"]
        if node.end_byte < start:
            old_span, lines, nbytes = (node.start_byte, node.end_byte), 0, 0
        elif node.start_byte > new_end:
            nbytes = new_end - old_end
            lines = e["new_end_point"][0] - e["old_end_point"][0]
            old_span = (node.start_byte - nbytes, node.end_byte - nbytes)
        else:
            return None  # the edit touches it (or its end: typing there may extend it)
        if any(r.start_byte < node.end_byte and node.start_byte < r.end_byte for r in self.changed):
            return None
        part = self.parts.get(old_span)
        return part.shifted(lines, nbytes) if part is not None else None


def _extract_tree(source: bytes, tree: ts.Tree, language: str, query: ts.Query,
                  reuse: _Reuse | None = None) -> tuple[FileExtract, dict[tuple[int, int], _Part] | None]:
    root = tree.root_node
    if root.child_count > MAX_PARTS:
        # A generated file of a million statements: one part for the whole tree and nothing kept for
        # reuse (a Python object per top-level node, shifted after every edit, cost more than the query).
        whole = _query_parts(source, root, [root], language, query)[(root.start_byte, root.end_byte)]
        return FileExtract(language, _dedupe(list(whole.records), language), whole.imports, True,
                           _count_errors(root)), None
    parts: dict[tuple[int, int], _Part] = {}
    records: list[_Record] = []
    imports: list[Import] = []
    # A node's doc may be the comment above it (`_comment_doc`: the previous sibling, on the line
    # above): the node after a changed one is queried again too. (A node that only borders the edit
    # counts as changed, so blank lines coming or going between a comment and its definition do.)
    dirty_before = False
    children = root.children
    reused: list[_Part | None] = []
    for child in children:
        part = reuse.part(child) if reuse is not None else None
        changed = part is None
        reused.append(None if dirty_before else part)
        dirty_before = changed and reuse is not None
    queried = _query_parts(source, root, [c for c, part in zip(children, reused) if part is None], language, query)
    for child, part in zip(children, reused):
        span = (child.start_byte, child.end_byte)
        part = part if part is not None else queried.get(span, _Part((), ()))
        parts[span] = part
        records.extend(part.records)
        imports.extend(part.imports)
    return FileExtract(language, _dedupe(records, language), tuple(imports), True, _count_errors(root)), parts


def _query_parts(source: bytes, root: ts.Node, tops: list[ts.Node], language: str,
                 query: ts.Query) -> dict[tuple[int, int], _Part]:
    """The definitions and imports under each of `tops` (top-level nodes, in order), keyed by span.
    One query runs from the root over the bytes they span (some patterns are anchored at the root,
    `(module (expression_statement …))`; a query per node walked the root's children each time:
    quadratic in a file of 3,000 functions), and each match goes to the node its capture starts in."""
    if not tops:
        return {}
    starts = [t.start_byte for t in tops]
    defs: dict[int, list[tuple[str, ts.Node, str, str]]] = {}
    imports: dict[int, list[Import]] = {}
    parse_import = PARSERS.get(language)
    cursor = ts.QueryCursor(query)
    whole = tops[0] == root
    if not whole:
        cursor.set_byte_range(tops[0].start_byte, tops[-1].end_byte)

    def owner(node: ts.Node) -> int | None:
        """The index of the node of `tops` that `node` lies in, if any."""
        if whole:
            return 0
        i = bisect.bisect_right(starts, node.start_byte) - 1
        if i < 0:
            return None
        return i if node.start_byte < tops[i].end_byte or node == tops[i] else None

    for _pattern, caps in cursor.matches(root):
        if "import" in caps:
            if parse_import is not None:
                for node in caps["import"]:
                    i = owner(node)
                    if i is not None:
                        imports.setdefault(i, []).extend(
                            parse_import(_text(source, node.start_byte, node.end_byte), node.start_point[0]))
            continue
        kind = next((k.split(".", 1)[1] for k in caps if k.startswith("definition.")), None)
        if kind is None or not caps.get("name"):
            continue
        node = _widen(caps[f"definition.{kind}"][0])
        i = owner(node)
        if i is None:
            continue  # a node not queried again (its part is reused), touching the range
        # One name per definition, except a declaration of several variables (`const a = 1, b = 2`,
        # Go's `const X, Y = 1, 2`): each is a name of the module.
        for name_node in caps["name"] if kind == "variable" else caps["name"][:1]:
            raw_name = _text(source, name_node.start_byte, name_node.end_byte)
            qualifier, _, name = raw_name.rpartition("::")
            if kind == "impl":
                name = re.sub(r"<.*", "", raw_name).strip()
                qualifier = ""
            defs.setdefault(i, []).append((kind, node, name, qualifier.rsplit("::", 1)[-1]))
    return {(t.start_byte, t.end_byte): _records(source, defs.get(i, []), imports.get(i, []), language)
            for i, t in enumerate(tops)}


def _records(source: bytes, defs: list[tuple[str, ts.Node, str, str]], imports: list[Import], language: str) -> _Part:
    """One top-level node's definitions as records (containers, docs, signatures), in document order."""
    # One symbol per node: a function beats the generic variable pattern that also matched it.
    defs.sort(key=lambda d: (d[1].start_byte, -d[1].end_byte, _PRIORITY.get(d[0], 9)))
    containers = {(n.start_byte, n.end_byte): name for kind, n, name, _q in defs if kind in CONTAINERS}
    records: list[_Record] = []
    seen: set[tuple[str, str, str]] = set()  # what `_dedupe` would drop anyway, dropped before the work on it
    for kind, node, name, qualifier in defs:
        parent, in_function = _parent(node, containers, kind)
        if language == "go" and kind == "method":
            parent = _go_receiver(source, node)
        elif qualifier and not parent:
            parent = qualifier  # C++ `int Widget::height() const { ... }`
        if in_function and kind != "field":
            continue  # local definitions are not part of a file's interface
        if kind == "function" and parent:
            kind = "method"
        if language != "java":  # (Java keeps a static and an instance member of one name: its key needs the signature)
            if (kind, parent, name) in seen:
                continue
            seen.add((kind, parent, name))
        if kind == "field" and language == "python":
            signature = _text(source, node.start_byte, node.end_byte).splitlines()[0][:160]
        else:
            signature = _signature(source, node, kind)
            if node.type in ("type_spec", "type_alias"):
                signature = "type " + signature
        doc = _python_doc(source, node) if language == "python" else _comment_doc(source, node)
        records.append(_Record(kind, parent, name, signature, doc, node.start_point[0], node.end_point[0],
                               (node.start_byte, node.end_byte)))
    return _Part(tuple(records), tuple(imports))


def declaration_head(signature: str) -> str:
    """What comes before a member's parameter list or initializer — its modifiers, type and name —
    without annotations (`@SuppressWarnings("unchecked") public static <T> T[] copyOf(` → `public
    static <T> T[] copyOf`)."""
    return re.split(r"[(=]", _ANNOTATION.sub(" ", signature), maxsplit=1)[0]


def is_static(signature: str) -> bool:
    """Does a member's declaration say `static` (Java, C#, TS: the word among its modifiers)?"""
    return _STATIC.search(declaration_head(signature)) is not None


def _dedupe(records: list[_Record], language: str) -> tuple[Symbol, ...]:
    """The file's symbols: the first definition of each (kind, parent, name), one symbol per node.
    In Java a static and an instance member of one name are both kept (`readUTF()` and `static
    readUTF(DataInput)`): what `Cls.` may call depends on it (completion/context/javaclasses.py)."""
    symbols: list[Symbol] = []
    seen: set[tuple[str, str, str, bool]] = set()
    seen_nodes: set[tuple[int, int, str]] = set()  # (span, name): several variables may share a declaration
    for r in records:
        static = language == "java" and is_static(r.signature)
        key = (r.kind, r.parent, r.name, static)
        span = (*r.span, r.name)
        if key in seen or (r.kind != "field" and span in seen_nodes):
            continue
        seen.add(key)
        seen_nodes.add(span)
        symbols.append(Symbol(r.name, r.kind, r.parent, r.signature, r.doc, r.start_line, r.end_line))
    return tuple(symbols)


def _count_errors(root: ts.Node) -> int:
    if not root.has_error:
        return 0
    count, stack = 0, [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            count += 1
        stack.extend(c for c in node.children if c.has_error or c.is_missing)
    return count
