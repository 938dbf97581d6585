"""Switching between files: saved KV states (`model.kvStates`) on vs off, through `tabstop serve`.

A developer works in three files in turn, a couple of lines further down each time.
Every request is an invoked completion at a line end (completion cache off so each one
reaches the model). With one KV cache, every switch re-evaluates the other file's prompt;
with saved states it is restored. Prints p50/p95 latency and prompt tokens evaluated per
request, first round (cold) excluded, from the server's `tabstop/engineHistory`.

    .venv/bin/python benchmarks/kv_switch.py [--rounds 4] [--threads N]
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

FILES = ("completion/engine.py", "runtime/llamacpp.py", "lsp/server.py")


def targets(lines: list[str], rounds: int) -> list[int]:
    """Line ends about two-thirds down the file, a few lines apart, skipping blank lines."""
    start = len(lines) * 2 // 3
    found = [i for i in range(start, len(lines)) if lines[i].strip() and not lines[i].strip().startswith("#")]
    return found[: rounds * 3 : 3]


async def run(kv_states: int, rounds: int, threads: int) -> dict:
    settings = {"model": {"kvStates": kv_states, "nThreads": threads},
                "completion": {"cache": False, "deadlineMs": 120000, "latencyBudgetMs": 0, "prefetch": False}}
    served = await start_server(settings)
    client = served.client
    docs = []
    for name in FILES:
        path = ROOT / name
        text = path.read_text()
        lines = text.split("\n")
        client.text_document_did_open(t.DidOpenTextDocumentParams(
            t.TextDocumentItem(uri=path.as_uri(), language_id="python", version=1, text=text)))
        docs.append((path.as_uri(), lines, targets(lines, rounds)))
    latencies: list[float] = []
    k = 0
    for r in range(rounds):
        for uri, lines, lines_at in docs:
            line = lines_at[r]
            params = invoked_at(uri, line, len(lines[line]))
            s = time.perf_counter()
            await client.protocol.send_request_async(t.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=f"r{k}")
            k += 1
            if r > 0:
                latencies.append((time.perf_counter() - s) * 1000)
    history = await history_and_stop(served)
    later = [h for h in history if h.get("prompt_tokens")][len(FILES):]
    return {"kv_states": kv_states, "p50": pct(latencies, 50), "p95": pct(latencies, 95), "n": len(latencies),
            "prompt_mean": statistics.mean(h["prompt_tokens"] for h in later),
            "evaluated_mean": statistics.mean(h["evaluated"] for h in later)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    print(f"files {', '.join(FILES)}; {args.rounds} rounds; load average {os.getloadavg()[0]:.1f}")
    print("kvStates | requests | p50 ms | p95 ms | prompt tokens (mean) | evaluated per request (mean)")
    for kv in (4, 0):
        r = asyncio.run(run(kv, args.rounds, args.threads))
        print(f"{r['kv_states']:8d} | {r['n']:8d} | {r['p50']:6.0f} | {r['p95']:6.0f} | {r['prompt_mean']:20.0f} | "
              f"{r['evaluated_mean']:.0f}")


if __name__ == "__main__":
    main()
