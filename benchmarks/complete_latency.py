"""Issue 2 figures: cold start and 20 completions through `tabstop serve` over stdio.

Cold start = process spawn → first completion returned. Then 20 invoked completions
at successive line ends of a real file (as a developer moving down a file), once with
KV prefix reuse and once without (`model.reusePrefix: false`), with the completion
cache off so every request reaches the model. Prints p50/p95 latency and prompt tokens
evaluated per request (from the server's `tabstop/engineHistory`).

    .venv/bin/python benchmarks/complete_latency.py [FILE] [--threads N]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types as t

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.lspclient import history_and_stop, invoked_at, start_server  # noqa: E402
from lsp.bench import pct  # noqa: E402


async def run(path: Path, reuse: bool, threads: int, n: int) -> dict:
    text = path.read_text()
    lines = text.split("\n")
    targets = [i for i, ln in enumerate(lines) if ln.strip() and not ln.strip().startswith("#") and i > 10][:: max(1, len(lines) // (n * 2))][:n]
    settings = {"model": {"reusePrefix": reuse, "nThreads": threads},
                "completion": {"cache": False, "deadlineMs": 120000, "latencyBudgetMs": 0, "prefetch": False}}
    t0 = time.perf_counter()
    served = await start_server(settings)
    client = served.client
    uri = path.as_uri()
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    latencies, cold = [], None
    for k, line in enumerate(targets):
        params = invoked_at(uri, line, len(lines[line]))
        s = time.perf_counter()
        await client.protocol.send_request_async(t.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=f"r{k}")
        latencies.append((time.perf_counter() - s) * 1000)
        if cold is None:
            cold = time.perf_counter() - t0
    history = await history_and_stop(served)
    evaluated = [h["evaluated"] for h in history if h.get("prompt_tokens")]
    total = [h["prompt_tokens"] for h in history if h.get("prompt_tokens")]
    return {"reuse": reuse, "cold_start_s": cold, "p50": pct(latencies[1:], 50), "p95": pct(latencies[1:], 95),
            "evaluated_mean": statistics.mean(evaluated), "prompt_mean": statistics.mean(total), "n": len(latencies)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="?", default=str(ROOT / "completion" / "engine.py"))
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("-n", type=int, default=20)
    args = ap.parse_args()
    print(f"file {args.file}, {args.n} completions, load average {os.getloadavg()[0]:.1f}")
    print("reuse | cold start s | p50 ms | p95 ms | prompt tokens (mean) | evaluated per request (mean)")
    for reuse in (True, False):
        r = asyncio.run(run(Path(args.file), reuse, args.threads, args.n))
        print(f"{r['reuse']} | {r['cold_start_s']:.1f} | {r['p50']:.0f} | {r['p95']:.0f} | {r['prompt_mean']:.0f} | {r['evaluated_mean']:.0f}")


if __name__ == "__main__":
    main()
