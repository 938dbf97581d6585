"""Completion cases cut from real code, with the cursor placed as while typing.

Source: pure-Python packages installed in the virtual environment's
site-packages (code the model may have seen in training: read the numbers as
relative, variant against variant). Deterministic for a seed and a given set of
installed files. Each case removes the rest of the cursor's line from the
document — the user has not typed it yet — and that rest is the target.

Kinds:
- `mid-identifier`: the cursor is 1..n-2 characters into a name of 4+ characters;
- `after-dot`: the cursor is right after the `.` of an attribute access;
- `partial-operator`: the cursor is after the first character of a two-character
  operator (`==`, `<=`, `->`, `+=` …).
`tabstop eval --variant mid-identifier` (completion/evaluation/cases.py) uses the
same placement rule — 1 to len-2 characters into a name of 4+ — on the
imported names of cross-file cases; this module remains the wider sample (any
identifier, plus after-dot and partial-operator cursors).
"""
from __future__ import annotations

import random
import re
import site
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGES = (
    "attr", "click", "h11", "httpcore", "httpx", "jinja2", "pathspec", "platformdirs", "pygls", "sqlite_utils",
    "starlette", "uvicorn", "anyio", "packaging", "dateutil", "sortedcontainers", "pluggy", "filelock", "cattrs",
)
KINDS = ("mid-identifier", "after-dot", "partial-operator")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{3,}")
_DOT = re.compile(r"(?<=[\w)\]])\.(?=[A-Za-z_])")
_OPERATOR = re.compile(r"(?<= )(==|!=|<=|>=|->|\+=|-=|\*\*|//|\*=|\|=)(?= )")


@dataclass(frozen=True)
class Case:
    path: str  # relative to site-packages
    text: str  # the document as while typing (rest of the cursor's line removed)
    offset: int
    target: str  # what the user goes on to type on this line
    kind: str
    line: int

    @property
    def line_prefix(self) -> str:
        return self.text[self.text.rfind("\n", 0, self.offset) + 1 : self.offset]


def site_packages() -> Path:
    for p in site.getsitepackages() + [site.getusersitepackages()]:
        if (Path(p) / "httpx").is_dir():
            return Path(p)
    return Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"


def source_files(root: Path, packages: tuple[str, ...] = PACKAGES) -> list[Path]:
    files: list[Path] = []
    for name in packages:
        pkg = root / name
        if pkg.is_dir():
            files += sorted(p for p in pkg.rglob("*.py") if "test" not in p.as_posix().lower() and p.stat().st_size > 2000)
    return files


def _good_line(line: str) -> bool:
    s = line.strip()
    return (12 <= len(s) <= 90 and not s.startswith(("#", "@", "import ", "from ", '"', "'"))
            and '"""' not in s and "'''" not in s)


def _in_docstring(lines: list[str], index: int) -> bool:
    """Rough: an odd number of triple quotes above means we are inside a docstring."""
    text = "\n".join(lines[max(0, index - 200) : index])
    return (text.count('"""') + text.count("'''")) % 2 == 1


def _cursor(line: str, kind: str, rng: random.Random) -> int | None:
    """Column of the cursor in `line` for this kind, or None if the line has no such spot."""
    body = len(line) - len(line.lstrip())
    if kind == "mid-identifier":
        spots = [m for m in _IDENT.finditer(line) if m.start() > body]
        if not spots:
            return None
        m = rng.choice(spots)
        return m.start() + rng.randint(1, len(m.group(0)) - 2)
    if kind == "after-dot":
        spots = [m.end() for m in _DOT.finditer(line)]
    else:
        spots = [m.start() + 1 for m in _OPERATOR.finditer(line)]
    return rng.choice(spots) if spots else None


def collect(n: int, seed: int = 1, kinds: tuple[str, ...] = KINDS, weights: tuple[float, ...] = (0.7, 0.15, 0.15),
            root: Path | None = None) -> list[Case]:
    """`n` cases, drawn with `seed`: kinds in proportion to `weights`, at most two per file."""
    root = root or site_packages()
    files = source_files(root)
    rng = random.Random(seed)
    rng.shuffle(files)
    quota = {k: round(n * w) for k, w in zip(kinds, weights)}
    quota[kinds[0]] += n - sum(quota.values())
    cases: list[Case] = []
    for path in files:
        if sum(quota.values()) == 0:
            break
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        lines = source.split("\n")
        picks = 0
        for _ in range(20):
            open_kinds = [k for k in kinds if quota[k]]
            if not open_kinds or picks >= 2:
                break
            kind = rng.choice(open_kinds)
            i = rng.randrange(20, max(21, len(lines) - 5)) if len(lines) > 30 else None
            if i is None:
                break
            line = lines[i]
            if not _good_line(line) or _in_docstring(lines, i):
                continue
            col = _cursor(line, kind, rng)
            if col is None or not line[col:].strip():
                continue
            start = sum(len(x) + 1 for x in lines[:i])
            text = source[: start + col] + source[start + len(line):]
            cases.append(Case(str(path.relative_to(root)), text, start + col, line[col:].rstrip(), kind, i))
            quota[kind] -= 1
            picks += 1
    return cases
