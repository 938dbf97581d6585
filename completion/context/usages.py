"""Usage context: how the name before the cursor's `.` is used elsewhere in the repository.

At `onlineManager.|` the most useful thing a model can read is other lines that
say `onlineManager.isOnline()` or `onlineManager.setOnline(false)`: they show
which members exist *and* how they are called (arguments, chaining), in fewer
tokens than a whole analogy window. Analogy windows find code that looks like
the cursor's surroundings; usage lines are the targeted form of that for member
access, the completion point CrossCodeEval measures (docs/context.md).

Pure functions here; the provider does the index lookups.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from cache.index.tokens import identifiers, jaccard
from completion.context.candidates import Candidate
from completion.context.lexical import in_code
from completion.context.pyclasses import may_bind

# `recv.`, `recv.par`, `recv::`, `recv::par` at the end of the text before the cursor.
_MEMBER_AT_CURSOR = re.compile(r"(?<![\w$])([A-Za-z_$][\w$]*)\s*(\.|::)\s*([A-Za-z_$][\w$]*)?$")
# Receivers whose usages elsewhere say nothing about this one.
SKIP_RECEIVERS = frozenset({"self", "this", "cls", "super", "Self"})
# The enclosing class's instance (or, `cls`, the class itself): the member rule knows their names.
OWN_RECEIVERS = frozenset({"self", "this", "cls"})
MAX_LINE_CHARS = 160
LINES_PER_FILE = 4
MAX_FILES = 6
CONTEXT_LINES = 3  # lines above a usage that, with it, are scored against the cursor's query
BASE_SCORE = 0.5  # a usage is relevant by construction; similarity to the cursor's code ranks it


@dataclass(frozen=True)
class MemberAccess:
    receiver: str
    accessor: str  # "." or "::"
    partial: str  # the member name typed so far ("" right after the accessor)
    lead: str = ""  # the cursor line before the receiver (`response = ` of `response = httpx.`)

    @property
    def key(self) -> str:
        """`httpx.`: what member-specific context is gathered for (the typed part left out); `self.=`
        where the receiver may be an assignment target (a statement's start): the member rule's names
        differ there (none for a Python object: a new attribute may be bound)."""
        return f"{self.receiver}{self.accessor}" + ("=" if may_bind(self.lead) else "")

    def pattern(self) -> re.Pattern[str]:
        """Matches `receiver<accessor>member` in other code; group 1 is the member."""
        return re.compile(rf"(?<![\w$]){re.escape(self.receiver)}\s*{re.escape(self.accessor)}\s*"
                          rf"({re.escape(self.partial)}[\w$]*)")


def member_access(line_prefix: str, *, with_self: bool = False) -> MemberAccess | None:
    """The receiver the cursor is completing a member of, or None (not a member access, or `self.`).
    `with_self`: `self.` / `this.` / `cls.` count too — for the member rule (its names come from the enclosing
    class), not for usage lines (`self.` elsewhere is another object)."""
    m = _MEMBER_AT_CURSOR.search(line_prefix)
    if m is None or len(m.group(1)) < 2 or (m.group(1) in SKIP_RECEIVERS and not (with_self and m.group(1) in OWN_RECEIVERS)):
        return None
    return MemberAccess(m.group(1), m.group(2), m.group(3) or "", line_prefix[: m.start()].strip())


def in_string(line_prefix: str) -> bool:
    """Is the end of `line_prefix` inside a one-line string literal (`"flubb.|`, a URL `"click.|`)?
    Escaped quotes and strings spanning lines are not seen."""
    text = line_prefix.replace("\\\\", "").replace('\\"', "").replace("\\'", "")
    return any(text.count(q) % 2 == 1 for q in ('"', "'", "`"))


_COMMENT_CONTINUATION = re.compile(r"\s*(?:/\*|\*(?:\s|/|$))")  # `/* …`, ` * …` (not C's `*out = …`)


def in_comment(line_prefix: str, language: str) -> bool:
    """Is the end of `line_prefix` inside a comment the line itself shows (`// see Foo.|`, `# Foo.|`,
    a ` * ` line of a block comment)? Prose names what it likes; the member rule stays out. A block
    comment's lines that start with neither `*` nor `/*` are not seen."""
    if language != "python" and _COMMENT_CONTINUATION.match(line_prefix):
        return True
    marker = "#" if language == "python" else "//"
    at = line_prefix.find(marker)
    while at >= 0:
        if not in_string(line_prefix[:at]):
            return True
        at = line_prefix.find(marker, at + 1)
    return False


_IMPORT_STATEMENT = re.compile(r"\s*(?:from|import)\s")


def on_import_line(line_prefix: str, language: str) -> bool:
    """`from click.|` / `import click.|` (Python): a module path is being written, where submodules —
    private ones too, `click._compat` — are what follows the dot, not the module's attributes."""
    return language == "python" and _IMPORT_STATEMENT.match(line_prefix) is not None


def rule_applies(text: str, offset: int, language: str) -> bool:
    """Is the cursor at `offset` where the member rule may constrain a member: code (not a string or
    a comment, one-line or spanning lines) and not a Python import line."""
    line_prefix = text[text.rfind("\n", 0, offset) + 1: offset]
    return not in_string(line_prefix) and not in_comment(line_prefix, language) \
        and not on_import_line(line_prefix, language) and in_code(text, offset, language)


def member_key(line_prefix: str) -> str:
    """`httpx.` at `response = httpx.Re|`: what member-specific context (usage lines, a module
    listing, the names the member rule allows) is gathered for; "" where the cursor is not completing
    a member."""
    access = member_access(line_prefix, with_self=True)
    return access.key if access is not None else ""


def lead_similarity(lead: str, other: str) -> float:
    """How alike two lines are up to the receiver: `response = httpx.` predicts what follows
    `response = httpx.` elsewhere far better than the surrounding code does."""
    if not lead:
        return 0.0
    if lead == other:
        return 1.0
    return jaccard(set(identifiers(lead)), set(identifiers(other)))


@dataclass(frozen=True)
class Usage:
    path: str
    line: int
    text: str  # the line, stripped of trailing space
    score: float


def find_usages(path: str, lines: Sequence[str], starts: Iterable[tuple[int, int]], access: MemberAccess,
                score: Callable[[set[str]], float]) -> list[Usage]:
    """Usages of `access` in the given line ranges of one file, each scored with the lines above it."""
    pattern = access.pattern()
    seen: set[int] = set()
    out: list[Usage] = []
    for start, end in starts:
        for i in range(max(0, start), min(len(lines), end)):
            if i in seen:
                continue
            seen.add(i)
            line = lines[i]
            m = pattern.search(line) if len(line) <= MAX_LINE_CHARS else None
            if m is None:
                continue
            around = "\n".join(lines[max(0, i - CONTEXT_LINES): i + 1])
            tokens = {t.lower() for t in identifiers(around)}
            lead = lead_similarity(access.lead, line[: m.start()].strip())
            out.append(Usage(path, i, line.rstrip(), (score(tokens) + lead) / 2))
    return out


def _dedent(lines: Sequence[str]) -> list[str]:
    indent = min((len(ln) - len(ln.lstrip()) for ln in lines if ln.strip()), default=0)
    return [ln[indent:] for ln in lines]


def usage_candidates(usages: Iterable[Usage], access: MemberAccess, *, per_file: int = LINES_PER_FILE,
                     max_files: int = MAX_FILES) -> list[Candidate]:
    """One candidate per file: its best usage lines (identical lines elsewhere dropped), in file order.

    Several files rather than one pseudo-file: each block keeps its real path, which is what
    Qwen's repository format expects, and packing can drop the weakest file as a whole.
    """
    seen_text: set[str] = set()
    by_file: dict[str, list[Usage]] = {}
    for u in sorted(usages, key=lambda u: (-u.score, u.path, u.line)):
        key = u.text.strip()
        if key in seen_text:
            continue
        chosen = by_file.setdefault(u.path, [])
        if len(chosen) >= per_file:
            continue
        seen_text.add(key)
        chosen.append(u)
    ranked = sorted(by_file.items(), key=lambda kv: (-kv[1][0].score, kv[0]))[:max_files]
    out = []
    for path, chosen in ranked:
        chosen.sort(key=lambda u: u.line)
        text = "\n".join(_dedent([u.text for u in chosen]))
        best = max(u.score for u in chosen)
        out.append(Candidate(key=f"use|{path}|{access.key}", kind="usage", path=path,
                             text=text, score=round(min(1.0, BASE_SCORE + (1 - BASE_SCORE) * best), 4),
                             source="usage", start_line=chosen[0].line, end_line=chosen[-1].line + 1))
    return out
