"""`tabstop flywheel export`: fill-in-the-middle training data as JSONL.

Two sources: (a) completions the user accepted (only when `telemetry.storeCode`
was on; the stored text is already redacted) whose text survived, and (b) the
user's own repository, cut at syntax-tree spans (spans.py). Each line carries
the prompt rendered with the model family's FIM tokens plus the middle and the
end-of-text token — ready for a fine-tuning script — and the raw parts.
Deduplicated on the whitespace-normalised middle; a span whose middle contains
a secret is dropped, secrets in prefix/suffix are masked.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import re
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from cache.telemetry.redact import has_secret, redact
from completion.flywheel.dataset import CompletionRecord
from completion.flywheel.spans import choose_spans, find_spans, supported
from completion.languages import language_for
from completion.prompt.templates import get_template
from completion.secrets import SECRET_FILE_PATTERNS, is_secret_path

log = logging.getLogger(__name__)
SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", "dist", "build", "target",
             "vendor", ".tox", ".mypy_cache", ".pytest_cache", "site-packages"}


@dataclass(frozen=True)
class FimExample:
    prefix: str
    middle: str
    suffix: str
    source: str  # repo | accepted
    kind: str  # statement | block | call_args | function_body | accepted
    language: str = ""
    path: str = ""


@dataclass
class ExportReport:
    written: int = 0
    duplicates: int = 0
    secrets_dropped: int = 0
    files: int = 0
    by_source: Counter = field(default_factory=Counter)
    by_kind: Counter = field(default_factory=Counter)


def repo_files(root: Path, *, max_kb: int = 512, exclude: Sequence[str] = SECRET_FILE_PATTERNS) -> list[Path]:
    """Source files of the repository: `git ls-files` when it is a git checkout (honours .gitignore)."""
    root = root.resolve()
    names: list[str] | None = None
    try:
        # core.fsmonitor off: a repository's own config must not make us run its commands.
        out = subprocess.run(["git", "-c", "core.fsmonitor=false", "-C", str(root), "ls-files", "--cached", "--others",
                              "--exclude-standard", "-z"],
                             capture_output=True, check=True, timeout=60)
        names = [n for n in out.stdout.decode("utf-8", "replace").split("\0") if n] or None
    except (OSError, subprocess.SubprocessError):
        names = None
    if names is None:  # not a git checkout (or one that ignores this folder): walk it
        names = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
            rel = os.path.relpath(dirpath, root)
            names += [os.path.normpath(os.path.join(rel, f)) for f in sorted(filenames)]
        names = [n.replace(os.sep, "/") for n in names]
        names = _apply_gitignore(root, names)
    files = []
    for name in sorted(names):
        parts = name.split("/")
        if any(p in SKIP_DIRS for p in parts[:-1]) or is_secret_path(name, exclude):
            continue
        path = root / name
        try:
            if not path.is_file() or path.stat().st_size > max_kb * 1024:
                continue
        except OSError:
            continue
        if supported(language_for(name)):
            files.append(path)
    return files


def _apply_gitignore(root: Path, names: list[str]) -> list[str]:
    ignore = root / ".gitignore"
    if not ignore.is_file():
        return names
    import pathspec

    spec = pathspec.PathSpec.from_lines("gitwildmatch", ignore.read_text(errors="replace").splitlines())
    return [n for n in names if not spec.match_file(n)]


def _cut_prefix(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[-limit:]
    nl = cut.find("\n")
    return cut[nl + 1:] if 0 <= nl < len(cut) - 1 else cut


def _cut_suffix(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    nl = cut.rfind("\n")
    return cut[: nl + 1] if nl > 0 else cut


def repo_examples(root: Path, *, per_file: int = 8, prefix_chars: int = 3000, suffix_chars: int = 1000,
                  seed: int = 0, report: ExportReport | None = None) -> Iterator[FimExample]:
    rng = random.Random(seed)
    root = root.resolve()
    for path in repo_files(root):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if report is not None:
            report.files += 1
        language = language_for(str(path))
        rel = path.relative_to(root).as_posix()
        for span in choose_spans(find_spans(text, language), per_file, rng):
            yield FimExample(
                prefix=_cut_prefix(text[: span.start], prefix_chars), middle=text[span.start: span.end],
                suffix=_cut_suffix(text[span.end:], suffix_chars), source="repo", kind=span.kind,
                language=language, path=rel,
            )


def accepted_examples(records: Iterable[CompletionRecord], *, min_survival: float = 0.5) -> Iterator[FimExample]:
    """Accepted (or partially accepted) completions stored with their code, if enough of them survived."""
    for r in records:
        if r.outcome not in ("accepted", "partial") or r.completion is None or r.prefix is None:
            continue
        if r.survival is not None and r.survival < min_survival:
            continue
        middle = r.completion[: r.accepted_chars] if r.outcome == "partial" else r.completion
        if not middle.strip():
            continue
        yield FimExample(prefix=r.prefix, middle=middle, suffix=r.suffix or "", source="accepted", kind="accepted",
                         language=str(r.get("language", "")))


def _key(middle: str) -> str:
    return hashlib.sha1(re.sub(r"\s+", " ", middle.strip()).encode("utf-8")).hexdigest()


def write_jsonl(examples: Iterable[FimExample], out: Path, *, family: str = "qwen", repo: str = "",
                report: ExportReport | None = None) -> ExportReport:
    """Deduplicate, drop secrets, render with the family's FIM tokens, write one JSON object per line."""
    report = report or ExportReport()
    template = get_template(family)
    eos = template.stop[0] if template.stop else ""
    seen: set[str] = set()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for ex in examples:
            if has_secret(ex.middle):
                report.secrets_dropped += 1
                continue
            key = _key(ex.middle)
            if key in seen:
                report.duplicates += 1
                continue
            seen.add(key)
            prefix, suffix = redact(ex.prefix) or "", redact(ex.suffix) or ""
            prompt = template.render(prefix, suffix, path=ex.path, repo=repo, language=ex.language)
            fh.write(json.dumps({
                "text": prompt + ex.middle + eos, "prompt": prompt, "completion": ex.middle + eos,
                "prefix": prefix, "middle": ex.middle, "suffix": suffix, "source": ex.source, "kind": ex.kind,
                "language": ex.language, "path": ex.path, "fim_family": family,
            }, ensure_ascii=False) + "\n")
            report.written += 1
            report.by_source[ex.source] += 1
            report.by_kind[ex.kind] += 1
    tmp.replace(out)
    return report
