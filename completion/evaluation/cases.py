"""Build cross-file cases from a local repository, the CrossCodeEval way.

A case is a line that uses a name imported from another file of the same
repository; the cursor sits inside that line and the rest of the line is the
answer. The file is *masked*: the text the pipeline sees ends at the cursor, and
retrieval never reads the file's own copy from disk or the index, so the
answer cannot be looked up. Where the cursor goes is a *variant* (a function
registered in VARIANTS): `name-start` puts it at the start of the imported
name (the model must choose the name), `mid-identifier` puts it inside the
name, 1 to len-2 characters in, as while typing (the model sees a token split
it never saw in training: what token healing is for, docs/quality.md), and
`member` puts it right after `name.` (or `name::`): the member of the imported
module or class is the answer. `member` is CrossCodeEval's own completion
point — it replaces an import with an empty class and takes the places that
become undefined members — where in-file text alone cannot know the answer;
at `name-start` the file's import list already names the candidates.
"""
from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

from cache.index.indexer import RepoIndex
from completion.context.signatures import FileView, SignatureResolver
from completion.context.lexical import in_code

MIN_ANSWER, MAX_ANSWER = 4, 120
MIN_PREFIX_LINES = 4
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*)")


@dataclass(frozen=True)
class Case:
    id: str
    repo: str  # absolute path of the repository folder
    path: str  # file, relative to the repository
    language: str
    cursor_offset: int  # into the file's original text (the masked text is the text before it)
    answer: str  # the rest of the line after the cursor
    line: int  # zero-based line of the cursor
    variant: str = "name-start"
    name: str = ""  # the imported name the line uses
    defined_in: str = ""  # where that name comes from (relative path)

    def original(self) -> str:
        return (Path(self.repo) / self.path).read_text(encoding="utf-8")

    def masked(self, original: str | None = None) -> str:
        """What the editor would hold: everything up to the cursor, nothing after it."""
        text = self.original() if original is None else original
        return text[: self.cursor_offset]

    def edited(self, original: str | None = None) -> str:
        """What the editor holds while the line is being rewritten in existing code: the whole file but the
        answer (the rest of the cursor's line); the lines below are the prompt's suffix (`--whole-file`)."""
        text = self.original() if original is None else original
        line_end = text.find("\n", self.cursor_offset)
        return text[: self.cursor_offset] + (text[line_end:] if line_end >= 0 else "")


# A variant places the cursor: (line text, column of the name, name, a random generator seeded for this
# line) → column of the cursor, or None to skip the line.
Variant = Callable[[str, int, str, random.Random], "int | None"]
MIN_MID_NAME = 4  # a name must be this long for the cursor to sit inside it with 2+ characters still to type


def _name_start(line: str, column: int, name: str, rng: random.Random) -> int | None:
    return column


def _mid_identifier(line: str, column: int, name: str, rng: random.Random) -> int | None:
    """Inside the name: at least one character typed, at least two still to type (as benchmarks/cases.py)."""
    if len(name) < MIN_MID_NAME:
        return None
    return column + rng.randint(1, len(name) - 2)


_MEMBER_ACCESS = re.compile(r"\s*(?:\.|::)\s*(?=[A-Za-z_])")


def _member(line: str, column: int, name: str, rng: random.Random) -> int | None:
    """After `name.` / `name::`: the member (and the rest of the line) is the answer; no member, no case."""
    m = _MEMBER_ACCESS.match(line, column + len(name))
    return m.end() if m else None


VARIANTS: dict[str, Variant] = {"name-start": _name_start, "mid-identifier": _mid_identifier, "member": _member}


def line_rng(repo: str, rel: str, line: int, seed: int) -> random.Random:
    """A generator for one line, seeded by where the line is: the same case for the same seed in any run
    (string seeds hash with SHA-512, not Python's salted hash) and independent of which files came before."""
    return random.Random(f"{seed}:{repo}:{rel}:{line}")


def cross_file_names(index: RepoIndex, rel: str, text: str, language: str) -> dict[str, str]:
    """Local names the file imports from other files of the repository → the file they come from."""
    from cache.index.extract import extract

    parsed = extract(text, language)
    view = FileView(rel, language, text, len(text), parsed.symbols, parsed.imports)
    resolver = SignatureResolver(index, view)
    names: dict[str, str] = {}
    for imp in parsed.imports:
        if not imp.local:
            continue
        # `from pkg import mod`: the module itself when there is one, else the package that defines the name.
        files = resolver.submodule(imp) or resolver.module_files(imp.module, imp.name)
        files = [f for f in files if f != rel]
        if files:
            names[imp.local] = files[0]
    return names


def candidates_in_file(index: RepoIndex, rel: str, language: str, variant: str = "name-start",
                       seed: int = 0) -> list[Case]:
    place = VARIANTS[variant]
    try:
        text = (index.root / rel).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    names = cross_file_names(index, rel, text, language)
    if not names:
        return []
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")\b")
    import_lines = {i.line for i in index.store.imports_of(rel)}
    last_import = max(import_lines) if import_lines else -1
    out: list[Case] = []
    offset = 0
    for number, line in enumerate(text.split("\n")):
        start_of_line = offset
        offset += len(line) + 1
        if number <= last_import + 1 or number < MIN_PREFIX_LINES or _COMMENT.match(line):
            continue
        stripped = line.strip()
        if stripped.startswith(("import ", "from ", "#include", "use ", "package ", "def ", "class ", "@")):
            continue
        m = pattern.search(line)
        if m is None:
            continue
        if _inside_string(line[: m.start()]):
            continue  # a name in a string (`__all__`, messages) is not a use
        column = place(line, m.start(), m.group(1), line_rng(index.root.name, rel, number, seed))
        if column is None:
            continue
        answer = line[column:].rstrip()
        if not (MIN_ANSWER <= len(answer.strip()) <= MAX_ANSWER):
            continue
        cursor = start_of_line + column
        digest = hashlib.sha1(f"{index.root.name}:{rel}:{number}:{column}:{variant}".encode()).hexdigest()[:12]
        out.append(Case(id=digest, repo=str(index.root), path=rel, language=language, cursor_offset=cursor,
                        answer=answer, line=number, variant=variant, name=m.group(1), defined_in=names[m.group(1)]))
    return out


def copyable_cases(index: RepoIndex, cases: Sequence[Case]) -> set[str]:
    """Ids of the cases whose answer appears verbatim in another indexed file of the repository.

    An upper bound on what copying can supply: analogy retrieval can only hand the model text
    that exists somewhere else, so a case whose answer appears nowhere else must be decided by
    the model (or by signatures), and no retriever can lift it to an exact match by copying.
    The docs report exact match on this subset beside the whole benchmark. Each file is read
    once for all cases."""
    waiting = {c.id: (c.path, c.answer.strip()) for c in cases}
    found: set[str] = set()
    for rel in index.store.iter_paths():
        if not waiting:
            break
        lines = index.read_lines(rel)
        if lines is None:
            continue
        text = "\n".join(lines)
        hits = {cid for cid, (path, needle) in waiting.items() if path != rel and needle in text}
        found |= hits
        for cid in hits:
            del waiting[cid]
    return found


def _inside_string(before: str) -> bool:
    return before.count('"') % 2 == 1 or before.count("'") % 2 == 1 or before.count("`") % 2 == 1


def build_cases(index: RepoIndex, count: int, seed: int = 0, per_file: int = 2, variant: str = "name-start",
                languages: tuple[str, ...] = ("python", "typescript", "typescriptreact", "javascript", "java",
                                              "go", "rust", "c", "cpp")) -> list[Case]:
    """Up to `count` cases, at most `per_file` per file, chosen by a seeded shuffle (deterministic)."""
    rows = index.store.conn().execute("SELECT path, language FROM files ORDER BY path").fetchall()
    rng = random.Random(seed)
    files = [(p, lang) for p, lang in rows if lang in languages and not _is_test_fixture(p)]
    rng.shuffle(files)
    chosen: list[Case] = []
    for rel, language in files:
        found = candidates_in_file(index, rel, language, variant, seed)
        rng.shuffle(found)
        # Prose is dropped after the shuffle, which then draws as before for every file (the case
        # sets of earlier runs stay the same where they held no prose).
        chosen += sorted(_in_code(index, found[:per_file]), key=lambda c: c.line)
        if len(chosen) >= count:
            break
    return chosen[:count]


def _in_code(index: RepoIndex, cases: list[Case]) -> list[Case]:
    """The cases whose cursor is in code: a line of a docstring or a block comment that names an
    imported module (`:param click.Context ctx:`) is prose, not a completion CrossCodeEval measures."""
    if not cases:
        return cases
    text = (index.root / cases[0].path).read_text(encoding="utf-8")
    return [c for c in cases if in_code(text, c.cursor_offset, c.language)]


def _is_test_fixture(rel: str) -> bool:
    return "/fixtures/" in rel or "/testdata/" in rel


def save_cases(cases: list[Case], path: Path) -> None:
    path.write_text(json.dumps([asdict(c) for c in cases], indent=1))


def load_cases(path: Path) -> list[Case]:
    return [Case(**row) for row in json.loads(path.read_text())]
