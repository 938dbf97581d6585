"""Quality at the cursor: token healing, the syntax gate and candidate ranking, measured on real code.

    .venv/bin/python -m benchmarks.quality --cases 60 --seed 1 [--out results.json]

For each case (benchmarks/cases.py: the cursor mid-identifier, after a dot or
inside a two-character operator, the rest of the line removed) the engine runs
twice on the real model:
  plain  — no healing, one candidate;
  full   — healing, `--candidates` candidates ranked.
The post-processing filters are pure, so the variants without the syntax gate
are recomputed from the same raw generations. Reported:
  exact match (the completion equals the rest of the line) per variant and kind,
  the share of completions the syntax gate changed (and whether that helped),
  how often the ranked first candidate beats / loses to plain greedy,
  and the latency of each step (p50/p95 ms), plus micro-timings of the
  healing constraint and the syntax gate.
It prints numbers; it asserts nothing (tests live in tests/).
"""
from __future__ import annotations

import argparse
import asyncio
import difflib
import json
import os
import re
import statistics
import time
from dataclasses import asdict, replace

import numpy as np

from benchmarks.cases import Case, collect, site_packages
from completion.analyze import analyze
from completion.config import CompletionSettings
from completion.candidates import near_cursor, post_context
from completion.engine import CompletionEngine
from completion.postprocess import postprocess, syntax_gate
from completion.prompt import cut_window
from completion.types import Request
from runtime.config import LocalModelSettings
from runtime.llamacpp import LlamaCppBackend

_FIRST = re.compile(r"\s*(\w+|[^\w\s]+)")


def first_token(text: str) -> str:
    m = _FIRST.match(text)
    return m.group(0) if m else ""


def exact(text: str, target: str) -> bool:
    return text.rstrip() == target.rstrip()


def similarity(text: str, target: str) -> float:
    return difflib.SequenceMatcher(None, text.rstrip(), target.rstrip(), autojunk=False).ratio()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def request_for(case: Case, root: str) -> Request:
    path = os.path.join(root, case.path)
    return Request(uri="file://" + path, text=case.text, offset=case.offset, language="python", path=path,
                   trigger="invoked", workspace_folders=(os.path.join(root, case.path.split("/")[0]),))


def without_gate(raw: str, request: Request, settings: CompletionSettings, backend) -> str:
    """The same raw generation post-processed with the syntax gate off."""
    s = replace(settings, syntax_gate=False)
    near_prefix, near_suffix = near_cursor(request)
    mode = analyze(request, healing=False, use_syntax=s.syntax_mode, prefix=near_prefix, suffix=near_suffix).mode
    window = cut_window(request.text, request.offset, s.prefix_tokens, s.suffix_tokens, backend.count_tokens)
    return postprocess(raw, post_context(request, window.prefix, window.suffix, mode, s))


async def run(args: argparse.Namespace) -> dict:
    root = str(site_packages())
    cases = collect(args.cases, seed=args.seed)
    backend = LlamaCppBackend(LocalModelSettings(name=args.model, n_ctx=4096, n_threads=args.threads))
    t0 = time.perf_counter()
    backend.load_blocking()
    load_s = time.perf_counter() - t0
    common = dict(prefix_tokens=args.prefix_tokens, suffix_tokens=args.suffix_tokens, max_tokens=args.max_tokens,
                  deadline_ms=600_000, candidate_budget_ms=args.candidate_budget_ms, candidate_min_prob=args.min_prob)
    plain_s = CompletionSettings(token_healing=False, candidates=1, **common)
    full_s = CompletionSettings(token_healing=True, candidates=args.candidates, **common)
    plain, full = CompletionEngine(backend, plain_s), CompletionEngine(backend, full_s)
    rows = []
    for i, case in enumerate(cases, 1):
        request = request_for(case, root)
        r1 = await plain.complete(request)
        r2 = await full.complete(request)
        row = {
            "kind": case.kind, "path": case.path, "line": case.line, "prefix": case.line_prefix[-60:],
            "target": case.target, "heal": r2.info.heal, "mode": r2.info.mode,
            "plain_nogate": without_gate(r1.info.raw_text, request, plain_s, backend),
            "plain": r1.items[0].text if r1.items else "",
            "healed_nogate": without_gate(r2.info.raw_text, request, full_s, backend),
            "healed": r2.info.greedy_text,
            "ranked": r2.items[0].text if r2.items else "",
            "ranked_source": "greedy" if not r2.items or r2.items[0].text == r2.info.greedy_text else "branch",
            "items": [it.text for it in r2.items],
            "candidates": r2.info.candidates,
            "candidate_list": r2.info.candidate_list,
            "rank_context": {"line_prefix": request.line_prefix, "prefix": near_cursor(request)[0][-3000:],
                             "suffix": near_cursor(request)[1][:1500]},
            "plain_info": {k: v for k, v in asdict(r1.info).items() if k not in ("prompt_text", "context_report")},
            "full_info": {k: v for k, v in asdict(r2.info).items()
                          if k not in ("prompt_text", "context_report", "candidate_list")},
        }
        rows.append(row)
        if args.out:  # partial results survive an interrupted run
            with open(args.out + ".partial", "w") as fh:
                json.dump({"rows": rows}, fh, default=str)
        if args.verbose:
            print(f"[{i}/{len(cases)}] {case.kind:16} {case.line_prefix[-30:]!r:34} target {case.target[:30]!r:32} "
                  f"plain {row['plain'][:24]!r:26} healed {row['healed'][:24]!r:26} ranked {row['ranked'][:24]!r}",
                  flush=True)
    micro = micro_timings(backend, cases, root, full_s)
    await backend.close()
    return {"rows": rows, "micro": micro, "load_s": load_s, "args": vars(args), "loadavg": os.getloadavg()}


def refilter(result: dict) -> dict:
    """Recompute every post-processed variant from the saved raw generations with the current filters and ranking.

    Post-processing and ranking are pure, so changing them needs no model
    calls: only a tokenizer (vocabulary-only load) to cut the same windows.
    """
    from llama_cpp import Llama

    from completion.postprocess.pipeline import run_filters
    from completion.rank import Candidate, RankContext, rank
    from runtime import registry

    a = result["args"]
    path, _ = registry.resolve(a["model"])
    vocab = Llama(model_path=str(path), vocab_only=True, verbose=False)

    def count(text: str) -> int:
        return len(vocab.tokenize(text.encode("utf-8", "replace"), add_bos=False, special=False))

    root = str(site_packages())
    cases = collect(a["cases"], seed=a["seed"])
    s = CompletionSettings(prefix_tokens=a["prefix_tokens"], suffix_tokens=a["suffix_tokens"])
    for case, row in zip(cases, result["rows"]):
        if case.target != row["target"]:
            raise SystemExit(f"cases differ from the saved run at {case.path}:{case.line}; installed files changed?")
        request = request_for(case, root)
        near_prefix, near_suffix = near_cursor(request)
        mode = analyze(request, healing=False, prefix=near_prefix, suffix=near_suffix).mode
        window = cut_window(request.text, request.offset, s.prefix_tokens, s.suffix_tokens, count)
        on = post_context(request, window.prefix, window.suffix, mode, s)
        off = post_context(request, window.prefix, window.suffix, mode, replace(s, syntax_gate=False))
        row["plain_nogate"] = postprocess(row["plain_info"]["raw_text"], off)
        row["plain"] = postprocess(row["plain_info"]["raw_text"], on)
        row["healed_nogate"] = postprocess(row["full_info"]["raw_text"], off)
        row["healed"] = postprocess(row["full_info"]["raw_text"], on)
        cands = []
        for c in row["candidate_list"]:
            done = run_filters(c["raw"], on)
            cands.append(Candidate(done.text, c["mean_logprob"], c["source"], raw=c["raw"], tokens=c["tokens"],
                                   changed=tuple(done.changed), first_prob=c["first_prob"]))
        ranked = rank(cands, RankContext(line_prefix=request.line_prefix, prefix=window.prefix, suffix=window.suffix))
        row["items"] = [c.text for c in ranked]
        row["ranked"] = ranked[0].text if ranked else ""
    return result


def micro_timings(backend, cases: list[Case], root: str, settings: CompletionSettings) -> dict:
    """CPU cost of the healing constraint per token and of the syntax gate per candidate (no model calls)."""
    rng = np.random.default_rng(0)
    logits = rng.standard_normal(backend._llm.n_vocab()).astype(np.float32)
    free, constrained = [], []
    for case in cases:
        request = request_for(case, root)
        heal = analyze(request, prefix=near_cursor(request)[0], suffix=near_cursor(request)[1]).heal
        if not heal:
            continue
        for need, timings in ((b"", free), (heal.encode(), constrained)):
            t0 = time.perf_counter()
            backend._pick(logits, b"", need, 0.0, rng)
            timings.append((time.perf_counter() - t0) * 1000)
    gate = []
    for case in cases:
        request = request_for(case, root)
        window = cut_window(request.text, request.offset, settings.prefix_tokens, settings.suffix_tokens,
                            backend.count_tokens)
        ctx = post_context(request, window.prefix, window.suffix, "line", settings)
        for text in (case.target, case.target + ")", "(" + case.target):
            syntax_gate._base_errors.cache_clear()
            t0 = time.perf_counter()
            syntax_gate.check(text, ctx)
            gate.append((time.perf_counter() - t0) * 1000)
    big = "".join(f"def f{i}(x):\n    y = x * {i}\n    return y\n\n" for i in range(3000))  # 12k lines
    request = Request(uri="file:///big.py", text=big + "def g(a):\n    return a.", offset=len(big) + 23,
                      language="python")
    t0 = time.perf_counter()
    for _ in range(20):
        analyze(request, prefix=near_cursor(request)[0], suffix=near_cursor(request)[1])
    analyze_big = (time.perf_counter() - t0) * 1000 / 20
    return {"pick_free_ms": free, "pick_constrained_ms": constrained, "gate_ms": gate,
            "analyze_12k_lines_ms": analyze_big}


def summarize(result: dict) -> str:
    rows = result["rows"]
    out: list[str] = []
    n = len(rows)
    out.append(f"{n} cases, model {result['args']['model']}, load average {tuple(round(x, 1) for x in result['loadavg'])}")
    variants = ("plain_nogate", "plain", "healed_nogate", "healed", "ranked")
    kinds = sorted({r["kind"] for r in rows})
    out.append("\nexact match (rest of line)        " + "  ".join(f"{k:>16}" for k in kinds) + f"  {'all':>8}")
    for v in variants:
        cells = []
        for k in kinds:
            sub = [r for r in rows if r["kind"] == k]
            cells.append(f"{sum(exact(r[v], r['target']) for r in sub) / max(1, len(sub)):>16.3f}")
        total = sum(exact(r[v], r["target"]) for r in rows) / max(1, n)
        out.append(f"  {v:32}" + "  ".join(cells) + f"  {total:>8.3f}")
    out.append("\nfirst token right / mean edit similarity")
    for v in variants:
        ft = sum(first_token(r[v]) == first_token(r["target"]) for r in rows) / max(1, n)
        sim = statistics.mean(similarity(r[v], r["target"]) for r in rows) if rows else 0.0
        out.append(f"  {v:32} {ft:.3f} / {sim:.3f}")

    for label, a, b in (("plain", "plain_nogate", "plain"), ("healed", "healed_nogate", "healed")):
        changed = [r for r in rows if r[a] != r[b]]
        helped = sum(exact(r[b], r["target"]) and not exact(r[a], r["target"]) for r in changed)
        hurt = sum(exact(r[a], r["target"]) and not exact(r[b], r["target"]) for r in changed)
        dropped = sum(not r[b] for r in changed)
        out.append(f"\nsyntax gate changed {len(changed)}/{n} ({len(changed) / max(1, n):.1%}) {label} completions: "
                   f"{helped} became exact, {hurt} stopped being exact, {dropped} dropped")
        for r in changed[:6]:
            out.append(f"    {r['prefix'][-30:]!r} + {r[a][:40]!r} -> {r[b][:40]!r} (target {r['target'][:30]!r})")

    differ = [r for r in rows if r["ranked"] != r["healed"]]
    win_x = sum(exact(r["ranked"], r["target"]) and not exact(r["healed"], r["target"]) for r in rows)
    lose_x = sum(exact(r["healed"], r["target"]) and not exact(r["ranked"], r["target"]) for r in rows)
    win_s = sum(similarity(r["ranked"], r["target"]) > similarity(r["healed"], r["target"]) for r in differ)
    lose_s = sum(similarity(r["ranked"], r["target"]) < similarity(r["healed"], r["target"]) for r in differ)
    in_list = sum(any(exact(t, r["target"]) for t in r["items"]) for r in rows)
    out.append(f"\nranking: first candidate differs from greedy in {len(differ)}/{n}; by exact match it wins {win_x}, "
               f"loses {lose_x}; by edit similarity wins {win_s}, loses {lose_s}. "
               f"Some item exact: {in_list}/{n} (greedy alone {sum(exact(r['healed'], r['target']) for r in rows)}). "
               f"Mean candidates generated {statistics.mean(r['candidates'] for r in rows) if rows else 0:.2f}")

    def col(info: str, key: str, sub: str | None = None) -> list[float]:
        vals = []
        for r in rows:
            v = r[info][key]
            vals.append(v.get(sub, 0.0) if sub else v)
        return [float(v) for v in vals]

    out.append("\nlatency (ms)                       p50      p95   (shared machine: see load average)")
    series = {
        "plain: prompt (cold)": col("plain_info", "prompt_ms"),
        "plain: generate": col("plain_info", "generate_ms"),
        "full: prompt (warm, healed cut)": col("full_info", "prompt_ms"),
        "full: generate greedy (healed)": [g - a for g, a in zip(col("full_info", "generate_ms"),
                                                                  col("full_info", "step_ms", "alternatives"))],
        "full: alternatives": col("full_info", "step_ms", "alternatives"),
        "full: analyze (tree-sitter)": col("full_info", "step_ms", "analyze"),
        "full: postprocess all candidates": col("full_info", "step_ms", "postprocess"),
        "full: syntax gate (in postprocess)": col("full_info", "step_ms", "syntax_gate"),
        "full: rank": col("full_info", "step_ms", "rank"),
        "plain: total": col("plain_info", "total_ms"),
        "full: total": col("full_info", "total_ms"),
    }
    for name, vals in series.items():
        out.append(f"  {name:32} {pct(vals, 0.5):8.1f} {pct(vals, 0.95):8.1f}")
    toks = (statistics.mean(col("plain_info", "generated_tokens")), statistics.mean(col("full_info", "generated_tokens")))
    ev = (statistics.mean(col("plain_info", "prompt_tokens_evaluated")), statistics.mean(col("full_info", "prompt_tokens_evaluated")))
    out.append(f"  mean tokens generated (greedy): plain {toks[0]:.1f}, healed {toks[1]:.1f}; "
               f"prompt tokens evaluated: plain {ev[0]:.0f} (cold), full {ev[1]:.1f} (after plain)")
    m = result["micro"]
    out.append(f"\nmicro: token pick free {pct(m['pick_free_ms'], .5):.2f} ms, constrained {pct(m['pick_constrained_ms'], .5):.2f} ms "
               f"(p95 {pct(m['pick_constrained_ms'], .95):.2f}); syntax gate per candidate p50 {pct(m['gate_ms'], .5):.2f} "
               f"p95 {pct(m['gate_ms'], .95):.2f} ms; analyze in a 12k-line file {m['analyze_12k_lines_ms']:.2f} ms")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--model", default="default")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--prefix-tokens", type=int, default=384)
    parser.add_argument("--suffix-tokens", type=int, default=64)
    parser.add_argument("--max-tokens", type=int, default=24)
    parser.add_argument("--candidates", type=int, default=3)
    parser.add_argument("--candidate-budget-ms", type=int, default=600_000)
    parser.add_argument("--min-prob", type=float, default=CompletionSettings.candidate_min_prob,
                        help="first-token probability an extra candidate needs")
    parser.add_argument("--out", default="")
    parser.add_argument("--summarize", default="", help="print the summary of a saved --out file and exit")
    parser.add_argument("--refilter", action="store_true",
                        help="with --summarize: recompute post-processing and ranking with the current code first")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    if args.summarize:
        with open(args.summarize) as fh:
            saved = json.load(fh)
        print(summarize(refilter(saved) if args.refilter else saved))
        return
    result = asyncio.run(run(args))
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(result, fh, indent=1, default=str)
    print(summarize(result))


if __name__ == "__main__":
    main()
