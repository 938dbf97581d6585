"""Dev benchmark for repository context (issue 3): four arms on real projects, numbers for docs/context.md.

Downloads the sdists of a few pure-Python projects from PyPI (`pip download
--no-deps --no-binary :all:`) and one TypeScript project from npm (`npm pack`)
into a work folder (never committed), then runs `tabstop eval` over them:
in-file only, +analogy, +signatures, +both. Deterministic (seeded cases,
temperature 0) and resumable (rerun the same command to continue).

    .venv/bin/python benchmarks/context_benchmark.py [--work DIR] [--cases-per-repo 12]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPI = ["click==8.1.7", "httpx==0.27.2", "marshmallow==3.21.3", "tomlkit==0.13.2"]
NPM = ["@tanstack/query-core@5.59.0"]


def _extract(archive: Path, dest: Path) -> Path:
    """Unpack an sdist/npm tarball into `dest` (refusing members that would escape it)."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    children = [p for p in dest.iterdir() if p.is_dir()]
    return children[0] if len(children) == 1 else dest


def fetch(work: Path) -> list[Path]:
    """The benchmark repositories (downloaded once, reused)."""
    downloads, sources = work / "downloads", work / "src"
    downloads.mkdir(parents=True, exist_ok=True)
    repos: list[Path] = []
    for spec in PYPI:
        name = spec.split("==")[0]
        dest = sources / name
        if not dest.exists():
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                            "--quiet", "-d", str(downloads), spec], check=True)
            version = spec.split("==")[1]
            archive = next(p for p in downloads.iterdir()
                           if p.name.lower().replace("_", "-").startswith(f"{name}-{version}") and p.name.endswith(".tar.gz"))
            _extract(archive, dest)
        repos.append(next(p for p in dest.iterdir() if p.is_dir()) if len(list(dest.iterdir())) == 1 else dest)
    for spec in NPM:
        name = spec.rsplit("@", 1)[0].strip("@").replace("/", "-")
        dest = sources / name
        if not dest.exists():
            subprocess.run(["npm", "pack", spec, "--silent", "--pack-destination", str(downloads)], check=True,
                           stdout=subprocess.DEVNULL)
            archive = next(p for p in downloads.iterdir() if p.name.startswith(name) and p.name.endswith(".tgz"))
            _extract(archive, dest)
        repos.append(dest / "package" if (dest / "package").is_dir() else dest)
    return repos


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", default=os.environ.get("TABSTOP_BENCH_DIR", str(Path.home() / ".cache/tabstop/bench")))
    p.add_argument("--out", help="results folder (default: WORK/run)")
    p.add_argument("--cases-per-repo", type=int, default=8)
    p.add_argument("--per-file", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-tokens", type=int, default=24)
    # The product's defaults (completion.prefixTokens, context.budgetTokens). Runs before
    # 2026-11-22 session 3 used 320/320, which made context look better than users see it.
    p.add_argument("--prefix-tokens", type=int, default=1024)
    p.add_argument("--budget", type=int, default=512)
    # One thread: on a shared, oversubscribed 2-core machine llama.cpp's two threads wait on each
    # other at every layer barrier; measured here, 1 thread evaluated a 447-token prompt in 19 s, 2 in 48 s.
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--deadline-ms", type=int, default=300000)
    p.add_argument("--model", default="")
    p.add_argument("--arms", default="")
    p.add_argument("--variant", default="name-start", help="name-start | member | mid-identifier (docs/context.md, docs/quality.md)")
    p.add_argument("--candidates", type=int, default=0, help="ranked candidates per request (0: the default, 1)")
    p.add_argument("--candidate-min-prob", type=float)
    p.add_argument("--generation-cache", help="replay generations of unchanged prompts (tabstop eval --generation-cache)")
    p.add_argument("--whole-file", action="store_true",
                   help="the editor holds the whole file but the answer (tabstop eval --whole-file)")
    args = p.parse_args()
    work = Path(args.work)
    repos = fetch(work)
    out = Path(args.out) if args.out else work / "run"
    cmd = [sys.executable, "-m", "lsp.cli", "--log-level", "info", "eval", *map(str, repos), "--out", str(out),
           "--cases", str(args.cases_per_repo), "--per-file", str(args.per_file), "--seed", str(args.seed),
           "--max-tokens", str(args.max_tokens), "--prefix-tokens", str(args.prefix_tokens),
           "--budget", str(args.budget), "--threads", str(args.threads), "--deadline-ms", str(args.deadline_ms)]
    if args.model:
        cmd += ["--model", args.model]
    if args.arms:
        cmd += ["--arms", args.arms]
    cmd += ["--variant", args.variant]
    if args.candidates:
        cmd += ["--candidates", str(args.candidates)]
    if args.generation_cache:
        cmd += ["--generation-cache", args.generation_cache]
    if args.candidate_min_prob is not None:
        cmd += ["--candidate-min-prob", str(args.candidate_min_prob)]
    if args.whole_file:
        cmd += ["--whole-file"]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               TABSTOP_INDEX_DIR=str(work / "index"))
    t0 = time.time()
    subprocess.run(cmd, check=True, env=env, cwd=ROOT)
    summary = json.loads((out / "summary.json").read_text())
    arms = summary["arms"]
    base = arms.get("in-file", {}).get("exact_match", 0.0)
    both = arms.get("+both", {}).get("exact_match", 0.0)
    analogy = arms.get("+analogy", {}).get("exact_match", 0.0)
    print(f"\n{summary['cases']} cases, {time.time() - t0:.0f} s wall; load: {os.getloadavg()}")
    if base and "+both" in arms:
        line = f"+both / in-file exact match: {both / base:.2f}x (target ≥ 1.5x)"
        if "+analogy" in arms:
            line += f"; +both - +analogy: {both - analogy:+.3f}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
