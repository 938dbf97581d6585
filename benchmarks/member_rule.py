"""The member rule at `self.` and at Python instances: how often it applies, and what it changes.

Cases are read positions (`return self.`, `f(client.`, `x = self.`) in the Python projects of
the dev benchmark (benchmarks/context_benchmark.py downloads them) where the rule has a name set
(`context.memberRule`: the index knows every attribute the object has); the cursor is right after
the `.`, the answer is the rest of the line, and the editor holds the whole file (editing existing
code). Each case runs through the engine twice, `+both` with the rule and without it; printed: the
share of read positions the rule covers, the names it would have refused among those actually
written there (must be ~0), exact match with and without, and the rows that differ.

    .venv/bin/python benchmarks/member_rule.py [--work DIR] [--per-repo 12] [--threads 2] [--out DIR]
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.context_benchmark import PYPI, fetch  # noqa: E402
from cache.index.extract import extract  # noqa: E402
from completion.context import pyclasses  # noqa: E402
from completion.context.provider import RepositoryContext  # noqa: E402
from completion.evaluation.arms import select  # noqa: E402
from completion.evaluation.cases import Case  # noqa: E402
from completion.evaluation.runner import EvalRunner, format_table, summarize  # noqa: E402
from completion.types import Request  # noqa: E402
from lsp.cli import load_backend  # noqa: E402
from lsp.settings import Settings  # noqa: E402

_ACCESS = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\.([A-Za-z_]\w*)")
ARMS = ("+both", "+both:no-member-rule")


def read_positions(text: str) -> list[tuple[int, str, str, str]]:
    """(offset after `recv.`, receiver, member, rest of line) at every read position of a file."""
    out, offset = [], 0
    for line in text.split("\n"):
        stripped = line.lstrip()
        if not stripped.startswith(("#", "import ", "from ")):
            for m in _ACCESS.finditer(line):
                lead = line[: m.start(1)].strip()
                if len(m.group(1)) >= 2 and m.group(1) not in ("cls", "super") and not lead.endswith(".") \
                        and not pyclasses.may_bind(lead):
                    out.append((offset + m.start(2), m.group(1), m.group(2), line[m.start(2):].rstrip()))
        offset += len(line) + 1
    return out


def build(repos: list[Path], settings, per_repo: int, seed: int) -> tuple[list[Case], dict[str, int]]:
    stats = {"positions": 0, "covered": 0, "refused": 0, "self": 0, "instance": 0}
    cases: list[Case] = []
    for repo in repos:
        context = RepositoryContext(settings, [str(repo)])
        context.wait_ready()
        found: list[Case] = []
        for path in sorted(repo.rglob("*.py")):
            text = path.read_text(encoding="utf-8", errors="replace")
            rel = path.relative_to(repo).as_posix()
            # Every name the file's imports bind (the index's parser: `from x import (\n a,\n b)` too).
            imported = {i.local for i in extract(text, "python").imports if i.local}
            spots = read_positions(text)
            random.Random(f"{seed}:{rel}").shuffle(spots)
            for offset, receiver, member, answer in spots[:6]:
                request = Request(uri=path.as_uri(), text=text, offset=offset, language="python", path=str(path),
                                  workspace_folders=(str(repo),))
                result = asyncio.run(context.gather(request, settings.budget_tokens, lambda s: len(s) // 4))
                stats["positions"] += 1
                if not result.members or receiver in imported:
                    continue  # no rule, or a module's (the dev benchmark measures those)
                stats["covered"] += 1
                if member not in result.members:
                    stats["refused"] += 1
                    print(f"refused: {rel}:{text.count(chr(10), 0, offset) + 1} {receiver}.{member}", file=sys.stderr)
                    continue
                if len(answer) < 4:
                    continue
                kind = "self" if receiver == "self" else "instance"
                line = text.count("\n", 0, offset)
                digest = hashlib.sha1(f"{repo.name}:{rel}:{offset}".encode()).hexdigest()[:12]
                found.append(Case(id=digest, repo=str(repo), path=rel, language="python", cursor_offset=offset,
                                  answer=answer, line=line, variant=f"rule-{kind}", name=receiver))
        context.close()
        random.Random(seed).shuffle(found)
        cases += found[:per_repo]
    for case in cases:
        stats["self" if case.variant == "rule-self" else "instance"] += 1
    return cases, stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", default="/tmp/tabstop-bench")
    parser.add_argument("--out", default="")
    parser.add_argument("--per-repo", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    work = Path(args.work)
    repos = fetch(work)[: len(PYPI)]  # the Python projects
    settings = Settings()
    settings.context.index_dir = str(work / "index")
    settings.model.n_threads = args.threads
    settings.completion.max_tokens = 24
    settings.completion.deadline_ms = 60000  # one-shot, as `tabstop eval`: no keystroke to keep up with
    settings.completion.latency_budget_ms = 0
    arms = select(",".join(ARMS))
    out = Path(args.out or work / f"member-rule-{args.seed}")
    out.mkdir(parents=True, exist_ok=True)
    cases, stats = build(repos, arms[0].settings(settings.context), args.per_repo, args.seed)
    print(f"read positions {stats['positions']}, covered by a self/instance rule {stats['covered']}, "
          f"written name refused {stats['refused']}; cases {len(cases)} ({stats['self']} self, {stats['instance']} instance)")
    backend = load_backend(settings)
    if backend is None:
        return 3
    runner = EvalRunner(backend, settings.completion, settings.context, arms, out / "results.jsonl",
                        fim_family=settings.model.fim_family, whole_file=True)

    async def run():
        try:
            return await runner.run(cases)
        finally:
            await backend.close()

    try:
        results = asyncio.run(run())
    finally:
        runner.close()
    print(format_table(summarize(results, arms)))
    by = {(r.case_id, r.arm): r for r in results}
    for case in cases:
        on, off = by[case.id, ARMS[0]], by[case.id, ARMS[1]]
        if on.prediction != off.prediction:
            print(f"{case.variant:14} EM {on.metrics['exact_match']:.0f}/{off.metrics['exact_match']:.0f} "
                  f"{case.name}.{case.answer!r}: rule {on.prediction!r} | free {off.prediction!r}")
    (out / "summary.json").write_text(json.dumps({"stats": stats, "arms": summarize(results, arms)}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
