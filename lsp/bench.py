"""`tabstop bench`: replay editing traces through the language server over stdio, as an editor would.

The simulated developer re-types real lines of real files character by
character at a realistic pace (with pauses at some word boundaries and at the
end of each line), sending `didChange` + an automatic `inlineCompletion` on
every keystroke and cancelling the previous request if it is still pending
(what VS Code does). Two configurations run in the same process: Tabstop as
configured, and a naive pipeline (no cache, no KV reuse, no typed-middle
layout, no debounce, no latency budget). Per-request facts (cache hit, tokens
evaluated) come from the server's `tabstop/engineHistory` request.
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types as t
from pygls.lsp.client import LanguageClient

from completion.languages import language_for

from lsp.console import say

# The naive pipeline: full prompt every time, nothing reused, and no deadline to cut it short
# (with the configured 4 s deadline a cold ~1,500-token prompt never answers on 2 cores, and a
# latency that is never measured gives no ratio).
NAIVE = {
    "completion": {"cache": False, "typedMiddle": False, "debounce": False, "latencyBudgetMs": 0, "prefetch": False,
                   "deadlineMs": 60000},
    "model": {"reusePrefix": False},
}


@dataclass
class Keystroke:
    doc: int
    line: int
    column: int
    char: str
    pause_ms: float  # how long the user waits before the next keystroke


@dataclass
class Trace:
    files: list[tuple[str, str]]  # (path, text with the target lines blanked)
    strokes: list[Keystroke]


@dataclass
class RunStats:
    name: str
    sent: int = 0
    answered: list[float] = field(default_factory=list)  # latency ms of answered, non-empty requests
    empty: int = 0
    cancelled: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    cache_latencies: list[float] = field(default_factory=list)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(q / 100 * (len(values) - 1)))))
    return values[k]


def build_trace(files: list[Path], lines_per_file: int, seed: int, cps: float, max_line: int = 70) -> Trace:
    """Pick lines to re-type (seeded): each is blanked after its indentation and typed back."""
    rng = random.Random(seed)
    docs: list[tuple[str, str]] = []
    strokes: list[Keystroke] = []
    for d, path in enumerate(files):
        lines = path.read_text(encoding="utf-8").split("\n")
        candidates = [i for i, ln in enumerate(lines) if 8 <= len(ln.strip()) <= max_line and i > 20
                      and not ln.strip().startswith(("#", '"', "'", "//", "*"))]
        chosen = sorted(rng.sample(candidates, min(lines_per_file, len(candidates))))
        typed = {i: lines[i] for i in chosen}
        for i in chosen:
            lines[i] = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        docs.append((str(path), "\n".join(lines)))
        for i in chosen:
            original = typed[i]
            indent = len(original) - len(original.lstrip())
            body = original[indent:]
            for j, ch in enumerate(body):
                pause = rng.gauss(1000 / cps, 1000 / cps / 4)
                if ch == " " and rng.random() < 0.15:
                    pause += rng.uniform(600, 1200)  # thinking at a word boundary
                last = j == len(body) - 1
                strokes.append(Keystroke(d, i, indent + j, ch, max(30.0, pause) if not last else -1))
    return Trace(docs, strokes)


class BenchClient(LanguageClient):
    """pygls' client, quiet about the server's notifications (logs and status are not measured)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for method in ("window/logMessage", "tabstop/status", "$/progress", "window/showMessage"):
            self.feature(method)(lambda params: None)


def _retrieve(fut: asyncio.Future) -> None:
    if not fut.cancelled():
        fut.exception()


async def run_config(name: str, trace: Trace, settings: dict[str, Any], line_wait_s: float, log_path: str | None) -> RunStats:
    stats = RunStats(name)
    client = BenchClient("tabstop-bench", "0.1")
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    env["TABSTOP_TELEMETRY"] = "off"
    await client.start_io(sys.executable, "-m", "lsp.cli", "--log-level", "info", "serve", env=env)
    server_proc = client._server
    stderr_sink = open(log_path, "ab") if log_path else None

    async def drain() -> None:
        while server_proc and server_proc.stderr and (line := await server_proc.stderr.readline()):
            if stderr_sink:
                stderr_sink.write(line)

    drain_task = asyncio.create_task(drain())
    await client.initialize_async(t.InitializeParams(
        capabilities=t.ClientCapabilities(), root_uri=Path(root).as_uri(), initialization_options=settings))
    client.initialized(t.InitializedParams())
    uris = []
    texts = []
    for d, (path, text) in enumerate(trace.files):
        uri = Path(path).as_uri()
        uris.append(uri)
        texts.append(text)
        client.text_document_did_open(t.DidOpenTextDocumentParams(
            t.TextDocumentItem(uri=uri, language_id=language_for(path), version=1, text=text)))
    # Let the model load, as an editor's first seconds would.
    for _ in range(600):
        hist = await client.protocol.send_request_async("tabstop/engineHistory", None)
        if hist is not None:
            break
    await asyncio.sleep(3)
    versions = [1] * len(uris)
    pending: tuple[Any, float, str] | None = None
    sent_at: dict[str, float] = {}

    async def settle(fut, started: float, msg_id: str, timeout: float) -> None:
        try:
            res = await asyncio.wait_for(asyncio.shield(fut), timeout)
        except asyncio.TimeoutError:
            client.protocol.notify(t.CANCEL_REQUEST, t.CancelParams(id=msg_id))
            stats.cancelled += 1
            return
        except Exception:
            stats.cancelled += 1
            return
        latency = (time.perf_counter() - started) * 1000
        if res is not None and res.items:
            stats.answered.append(latency)
        else:
            stats.empty += 1

    for k, ks in enumerate(trace.strokes):
        uri = uris[ks.doc]
        if pending is not None and not pending[0].done():
            client.protocol.notify(t.CANCEL_REQUEST, t.CancelParams(id=pending[2]))
            stats.cancelled += 1
            pending = None
        elif pending is not None:
            await settle(*pending, timeout=0.01)
            pending = None
        versions[ks.doc] += 1
        client.text_document_did_change(t.DidChangeTextDocumentParams(
            text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=versions[ks.doc]),
            content_changes=[t.TextDocumentContentChangePartial(
                range=t.Range(t.Position(ks.line, ks.column), t.Position(ks.line, ks.column)), text=ks.char)]))
        msg_id = f"{name}-{k}"
        params = t.InlineCompletionParams(
            text_document=t.TextDocumentIdentifier(uri), position=t.Position(ks.line, ks.column + 1),
            context=t.InlineCompletionContext(trigger_kind=t.InlineCompletionTriggerKind.Automatic))
        started = time.perf_counter()
        fut = client.protocol.send_request_async(t.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=msg_id)
        fut.add_done_callback(_retrieve)  # a request cancelled and dropped still ends (-32800): not an error
        sent_at[msg_id] = started
        stats.sent += 1
        if ks.pause_ms < 0:  # end of the line: the developer pauses to read the suggestion
            await settle(fut, started, msg_id, line_wait_s)
            pending = None
            await asyncio.sleep(0.3)
        else:
            try:
                await asyncio.wait_for(asyncio.shield(fut), ks.pause_ms / 1000)
                await settle(fut, started, msg_id, 0.01)
                pending = None
            except asyncio.TimeoutError:
                pending = (fut, started, msg_id)
            except Exception:
                pending = None
    if pending is not None:
        await settle(*pending, timeout=line_wait_s)
    stats.history = await client.protocol.send_request_async("tabstop/engineHistory", None)
    stats.history = [h for h in stats.history if str(h.get("request_id", "")).startswith(name)]
    try:
        import psutil  # optional

        stats.peak_rss_mb = psutil.Process(server_proc.pid).memory_info().rss / 2**20
    except Exception:
        stats.peak_rss_mb = _rss_mb(server_proc.pid)
    for h in stats.history:
        if h.get("cache_hit"):
            stats.cache_latencies.append(float(h.get("total_ms", 0)))
    await client.shutdown_async(None)
    client.exit(None)
    await asyncio.sleep(0.5)
    drain_task.cancel()
    await client.stop()
    if stderr_sink:
        stderr_sink.close()
    return stats


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def summarize(s: RunStats) -> dict[str, Any]:
    hist = s.history
    generated = [h for h in hist if not h.get("cache_hit") and h.get("prompt_tokens")]
    evaluated = [float(h["evaluated"]) for h in generated]
    return {
        "config": s.name,
        "requests": s.sent,
        "answered": len(s.answered),
        "p50_ms": round(pct(s.answered, 50), 1),
        "p95_ms": round(pct(s.answered, 95), 1),
        "p99_ms": round(pct(s.answered, 99), 1),
        "cache_share": round(sum(1 for h in hist if h.get("cache_hit")) / max(1, len(hist)), 3),
        "cache_hit_p95_ms_server": round(pct(s.cache_latencies, 95), 2),
        "cancelled_share": round(s.cancelled / max(1, s.sent), 3),
        "deadline_share": round(sum(1 for h in hist if h.get("stop_reason") == "deadline") / max(1, len(hist)), 3),
        "evaluated_mean": round(statistics.mean(evaluated), 1) if evaluated else 0,
        "evaluated_p50": pct(evaluated, 50),
        "prompt_tokens_mean": round(statistics.mean([float(h["prompt_tokens"]) for h in generated]), 1) if generated else 0,
        "layouts": {k: sum(1 for h in generated if h.get("layout") == k) for k in ("full", "shrunk", "typed-middle")},
        "server_peak_rss_mb": round(s.peak_rss_mb, 1),
        "answered_ms": [round(x, 1) for x in s.answered],
        "history": hist,
    }


def default_files(root: Path, n: int, seed: int) -> list[Path]:
    import sysconfig

    site = Path(sysconfig.get_paths()["purelib"])
    pool = sorted(p for p in (site / "httpx").glob("*.py") if 300 < len(p.read_text(errors="ignore").split("\n")) < 2000)
    pool += sorted(p for p in (root / "completion").rglob("*.py") if len(p.read_text().split("\n")) > 150)
    rng = random.Random(seed)
    return rng.sample(pool, min(n, len(pool)))


def main(args) -> int:
    root = Path(__file__).resolve().parent.parent
    files = [Path(f) for f in args.files] if args.files else default_files(root, args.num_files, args.seed)
    trace = build_trace(files, args.lines_per_file, args.seed, args.cps)
    configured = json.loads(Path(args.settings).read_text()) if args.settings else {}
    results = []
    for name, settings in (("tabstop", configured), ("naive", NAIVE)):
        if args.only and name != args.only:
            continue
        stats = asyncio.run(run_config(name, trace, settings, args.line_wait, args.server_log))
        results.append(summarize(stats))
    say(f"trace: {len(trace.strokes)} keystrokes over {len(trace.files)} files, {args.cps} chars/s, seed {args.seed}")
    cols = ["config", "requests", "answered", "p50_ms", "p95_ms", "p99_ms", "cache_share", "cancelled_share",
            "deadline_share", "evaluated_mean", "prompt_tokens_mean", "server_peak_rss_mb"]
    say(" | ".join(cols))
    for r in results:
        say(" | ".join(str(r[c]) for c in cols))
    for r in results:
        say(f"{r['config']}: layouts {r['layouts']}, cache-hit server latency p95 {r['cache_hit_p95_ms_server']} ms")
    if len(results) == 2 and results[0]["p50_ms"] == results[0]["p50_ms"]:
        ratio = results[1]["p50_ms"] / results[0]["p50_ms"] if results[0]["p50_ms"] else float("nan")
        say(f"p50 naive / tabstop = {ratio:.1f}x")
    if args.json:
        Path(args.json).write_text(json.dumps({"trace": {"keystrokes": len(trace.strokes), "files": [f for f, _ in trace.files]},
                                               "results": results}, indent=2))
    return 0
