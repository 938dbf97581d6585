"""How much time repository context adds to a request: gather() on a generated 2,000-file repository.

Generates a deterministic Python repository (packages of modules that import
each other, classes with methods, functions calling across modules), indexes it
(cold build, then a restart that reuses the index), and times
`RepositoryContext.gather` — the whole retrieval step the engine awaits — at
random cursor positions with the index warm, using the model's real tokenizer
for costs. Prints p50/p95/max in milliseconds; nothing is asserted.

    .venv/bin/python benchmarks/retrieval_latency.py [--files 2000] [--requests 300]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from completion.config import ContextSettings  # noqa: E402
from completion.context.provider import RepositoryContext  # noqa: E402
from completion.evaluation.metrics import percentile  # noqa: E402
from completion.types import Request  # noqa: E402

WORDS = ("account order invoice payment user session cache record report ledger stock price client server "
         "request response token queue worker batch schema field value index entry event handler config "
         "policy rule limit retry budget window buffer stream parser writer reader store").split()


def ident(rng: random.Random, parts: int = 2) -> str:
    return "_".join(rng.choice(WORDS) for _ in range(parts))


def camel(rng: random.Random) -> str:
    return "".join(w.capitalize() for w in (rng.choice(WORDS), rng.choice(WORDS)))


def generate(root: Path, files: int, seed: int = 0) -> list[Path]:
    """A repository of `files` modules in packages of 50; each imports from 3 others."""
    rng = random.Random(seed)
    per_package = 50
    modules = [(f"pkg{i // per_package:02d}", f"mod{i % per_package:02d}") for i in range(files)]
    exported: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for key in modules:
        exported[key] = (camel(rng), [ident(rng) for _ in range(3)])
    paths = []
    for key in modules:
        pkg, mod = key
        cls, funcs = exported[key]
        deps = rng.sample(modules, 3)
        lines = ['"""Generated module for the retrieval benchmark."""']
        for dpkg, dmod in deps:
            dcls, dfuncs = exported[(dpkg, dmod)]
            lines.append(f"from {dpkg}.{dmod} import {dcls}, {dfuncs[0]}")
        lines += ["", ""]
        lines += [f"class {cls}:", f'    """{rng.choice(WORDS).capitalize()} keeper."""', "",
                  "    def __init__(self, name: str, limit: int = 10) -> None:",
                  "        self.name = name", "        self.limit = limit", "        self.items = []", ""]
        for _ in range(rng.randint(4, 8)):
            m = ident(rng)
            a, b = rng.choice(WORDS), rng.choice(WORDS)
            lines += [f"    def {m}(self, {a}, {b}_id: int) -> bool:",
                      f'        """{m.replace("_", " ").capitalize()}."""',
                      f"        if {b}_id > self.limit:", "            return False",
                      f"        self.items.append(({a}, {b}_id))", "        return True", ""]
        for f in funcs:
            dcls, dfuncs = exported[rng.choice(deps)]
            lines += ["", f"def {f}(value, *, retries: int = 3):",
                      f"    keeper = {dcls}('{f}')",
                      f"    result = {dfuncs[0]}(value, retries=retries)",
                      "    for attempt in range(retries):",
                      f"        if keeper.{ident(rng)}(result, attempt):",
                      "            return result", "    return None"]
        path = root / pkg / f"{mod}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        (root / pkg / "__init__.py").write_text("# package\n")
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths


def count_tokens_fn(use_model: bool):
    if not use_model:
        return lambda text: max(1, len(text) // 3), "estimate (len/3)"
    from runtime.config import LocalModelSettings
    from runtime.llamacpp import LlamaCppBackend
    from runtime.registry import resolve

    backend = LlamaCppBackend(LocalModelSettings(name=str(resolve("default")[0]), n_threads=1))
    backend.load_blocking()
    return backend.count_tokens, "model tokenizer"


async def measure(ctx: RepositoryContext, paths: list[Path], requests: int, seed: int, count) -> list[float]:
    rng = random.Random(seed)
    times = []
    for _ in range(requests):
        path = rng.choice(paths)
        text = path.read_text()
        lines = text.split("\n")
        line = rng.randrange(8, len(lines) - 1)
        offset = sum(len(l) + 1 for l in lines[:line]) + len(lines[line]) // 2
        request = Request(uri=path.as_uri(), text=text[:offset] + text[offset:], offset=offset, language="python",
                          path=str(path), workspace_folders=(str(ctx_root(ctx)),))
        t0 = time.perf_counter()
        await ctx.gather(request, 512, count)
        times.append((time.perf_counter() - t0) * 1000)
    return times


async def measure_typing(ctx: RepositoryContext, paths: list[Path], files: int, keys: int, seed: int,
                         count) -> list[float]:
    """The common case: requests while typing a line in the same file (first request per file excluded)."""
    rng = random.Random(seed)
    times = []
    for path in rng.sample(paths, files):
        text = path.read_text()
        lines = text.split("\n")
        line = rng.randrange(8, len(lines) - 1)
        start = sum(len(l) + 1 for l in lines[:line])
        typed = "result = keeper.record_value(entry, attempt)"[:keys + 1]
        for k in range(len(typed) + 1):
            body = text[:start] + "    " + typed[:k] + "\n" + text[start:]
            offset = start + 4 + k
            request = Request(uri=path.as_uri(), text=body, offset=offset, language="python", path=str(path),
                              workspace_folders=(str(ctx_root(ctx)),))
            t0 = time.perf_counter()
            await ctx.gather(request, 512, count)
            if k:
                times.append((time.perf_counter() - t0) * 1000)
    return times


async def measure_member(ctx: RepositoryContext, paths: list[Path], requests: int, seed: int, count) -> list[float]:
    """First request right after `keeper.` (a local `keeper = Cls(...)`): the class skeleton on top of
    the rest. `keeper` appears in every generated file, the worst case for the usage search when
    `context.usages` is on (its FTS postings are all windows)."""
    rng = random.Random(seed)
    times = []
    for path in rng.sample(paths, min(requests, len(paths))):
        text = path.read_text()
        offset = text.index("if keeper.") + len("if keeper.")
        request = Request(uri=path.as_uri(), text=text, offset=offset, language="python", path=str(path),
                          workspace_folders=(str(ctx_root(ctx)),))
        t0 = time.perf_counter()
        await ctx.gather(request, 512, count)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def ctx_root(ctx: RepositoryContext) -> Path:
    return next(iter(ctx.indexes.values())).root


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--files", type=int, default=2000)
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-model", action="store_true", help="estimate token costs instead of the real tokenizer")
    p.add_argument("--keep", help="generate into this folder and keep it")
    args = p.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tabstop-latency-"))
    root, index_dir = work / "repo", work / "index"
    try:
        t0 = time.perf_counter()
        paths = generate(root, args.files, args.seed)
        lines = sum(p.read_text().count("\n") for p in paths)
        print(f"generated {len(paths)} files, {lines} lines in {time.perf_counter() - t0:.1f}s")
        count, how = count_tokens_fn(not args.no_model)
        settings = ContextSettings(index_dir=str(index_dir), max_files=args.files + 100)
        t0 = time.perf_counter()
        ctx = RepositoryContext(settings, [str(root)])
        ctx.wait_ready()
        index = next(iter(ctx.indexes.values()))
        print(f"cold index build: {time.perf_counter() - t0:.1f}s, {index.store.counts()}, "
              f"db {os.path.getsize(index.store.path) / 1e6:.1f} MB")
        ctx.close()
        t0 = time.perf_counter()
        ctx = RepositoryContext(settings, [str(root)])
        ctx.wait_ready()
        stats = next(iter(ctx.indexes.values())).last_scan
        print(f"restart (index reused): {time.perf_counter() - t0:.2f}s, {stats.parsed} parsed, "
              f"{stats.unchanged} unchanged")
        asyncio.run(measure(ctx, paths, 20, args.seed + 1, count))  # warm caches
        times = asyncio.run(measure(ctx, paths, args.requests, args.seed, count))
        typing = asyncio.run(measure_typing(ctx, paths, 20, 12, args.seed, count))
        member = asyncio.run(measure_member(ctx, paths, 100, args.seed + 2, count))
        ctx.close()
        print(f"gather(), first request in a random file ({args.requests} requests, {how}), warm index: "
              f"p50 {percentile(times, 50):.1f} ms, p95 {percentile(times, 95):.1f} ms, max {max(times):.1f} ms")
        print(f"gather() while typing a line (20 files x 12 keystrokes): p50 {percentile(typing, 50):.1f} ms, "
              f"p95 {percentile(typing, 95):.1f} ms, max {max(typing):.1f} ms")
        print(f"gather() at `keeper.` (100 files, first request): p50 {percentile(member, 50):.1f} ms, "
              f"p95 {percentile(member, 95):.1f} ms, max {max(member):.1f} ms")
        print(f"load average {os.getloadavg()} on {os.cpu_count()} CPUs")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
