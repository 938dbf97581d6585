"""How often the member rule applies at real `name.x` reads, and whether it ever refuses the name written.

No model: for every `receiver.member` of a source tree (up to `--per-file` per file, comments and
import lines skipped), the editor's document is the whole file with the rest of that line removed,
the cursor right after the dot, and the rule's names come from the real index of the tree
(`SignatureResolver.member_names`, as the context provider asks). Printed: positions, how many get
a rule, how many of those refuse the member actually written (the rule must never do that: it is
only worth having at 0), the refusals themselves, and the rule's lookup time.

    .venv/bin/python benchmarks/rule_coverage.py TREE --language java [--receivers classes] [--per-file 6]

`--receivers`: `classes` (capitalized names: Java `Status.`, TS `QueryClient.`), `cls` (Python
classmethods), `all`. The Java figures in docs/context.md are the JDK 17 sources
(`apt-get download openjdk-17-source`, or `$JAVA_HOME/lib/src.zip`) unpacked as three trees:
java/util + java/time, java/io + nio + net + text + math, java/lang + java/security.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cache.index.extract import extract  # noqa: E402
from completion.context.provider import RepositoryContext  # noqa: E402
from completion.context.signatures import FileView, SignatureResolver  # noqa: E402
from completion.context.usages import member_access, rule_applies  # noqa: E402
from lsp.settings import parse_settings  # noqa: E402

EXTENSIONS = {"java": (".java",), "python": (".py",), "typescript": (".ts",), "typescriptreact": (".tsx",)}
RECEIVERS = {
    "classes": r"[A-Z][\w$]*",
    "cls": r"cls",
    "all": r"[A-Za-z_$][\w$]*",
}


def positions(text: str, pattern: re.Pattern[str], language: str, per_file: int):
    """(offset after the dot, member written, line prefix) of the reads worth asking about."""
    found = 0
    for m in pattern.finditer(text):
        offset = m.end(1) + 1
        line_prefix = text[text.rfind("\n", 0, offset) + 1: offset]
        stripped = line_prefix.lstrip()
        if not rule_applies(text, offset, language) or stripped.startswith(("import ", "package ", "@")):
            continue  # where the context provider gives no rule
        found += 1
        if found > per_file:
            return
        yield offset, m.group(2), line_prefix


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("tree")
    p.add_argument("--language", default="java", choices=sorted(EXTENSIONS))
    p.add_argument("--receivers", default="classes", choices=sorted(RECEIVERS))
    p.add_argument("--per-file", type=int, default=6)
    args = p.parse_args()
    tree = Path(args.tree).resolve()
    pattern = re.compile(rf"(?<![\w.$])({RECEIVERS[args.receivers]})\.([A-Za-z_$#][\w$]*)")
    context = RepositoryContext(parse_settings({})[0].context, [str(tree)])
    context.wait_ready()
    index = next(iter(context.indexes.values()))
    stats: Counter[str] = Counter()
    refusals: list[str] = []
    times: list[float] = []
    files = sorted(f for f in tree.rglob("*") if f.suffix in EXTENSIONS[args.language] and "node_modules" not in f.parts)
    for f in files:
        text = f.read_text(errors="replace")
        rel = f.relative_to(tree).as_posix()
        for offset, member, line_prefix in positions(text, pattern, args.language, args.per_file):
            access = member_access(line_prefix, with_self=True)
            if access is None:
                continue
            end = text.find("\n", offset)
            document = text[:offset] + (text[end:] if end >= 0 else "")
            parsed = extract(document, args.language)
            view = FileView(rel, args.language, document, offset, parsed.symbols, parsed.imports)
            t0 = time.perf_counter()
            names = SignatureResolver(index, view).member_names(access.receiver, access.lead)
            times.append((time.perf_counter() - t0) * 1000)
            stats["positions"] += 1
            if names is None:
                continue
            stats["rule"] += 1
            if member not in names:
                stats["refused"] += 1
                refusals.append(f"{rel}:{document.count(chr(10), 0, offset) + 1}: {line_prefix.strip()}{member}")
    context.close()
    times.sort()
    print(f"{len(files)} files; {stats['positions']} positions; {stats['rule']} get a rule; "
          f"{stats['refused']} refuse the member written")
    if times:
        print(f"rule lookup ms: p50 {times[len(times) // 2]:.2f}, p95 {times[int(len(times) * 0.95)]:.2f}")
    for line in refusals[:40]:
        print("  refused:", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
