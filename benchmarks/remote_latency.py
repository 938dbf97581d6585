"""Remote-backend figures: HTTP overhead against in-process, and time to fall back.

1. The same N completions (cursor at the end of N lines of a real source file,
   top to bottom, as someone reading and completing through a file would) run
   (a) in-process through LlamaCppBackend and (b) through the OpenAI backend
   against llama-cpp-python's OpenAI-compatible server on 127.0.0.1, same model,
   same thread count, one after the other (never at the same time). Both reuse
   their KV cache for the common prompt prefix, so the difference is the HTTP
   path: JSON, SSE framing, loopback TCP, the server's own Python layer.
2. Time to fall back with the default settings (3 consecutive failures, 1 retry,
   4 s completion deadline) when the remote is (a) refusing connections and
   (b) a black hole that accepts the connection and never answers.

Usage: .venv/bin/python benchmarks/remote_latency.py [--n 20] [--threads 2] [--file PATH]
Prints p50/p95/mean in ms. Run on an otherwise idle machine for stable numbers.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from completion.config import CompletionSettings  # noqa: E402
from completion.engine import CompletionEngine  # noqa: E402
from completion.types import Request  # noqa: E402
from runtime import registry  # noqa: E402
from runtime.config import LocalModelSettings, RemoteSettings  # noqa: E402
from runtime.llamacpp import LlamaCppBackend  # noqa: E402
from runtime.remote.llamacpp_server import LlamaCppServerBackend  # noqa: E402
from runtime.remote.openai import OpenAIBackend  # noqa: E402
from runtime.remote.resilient import ResilientBackend  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentiles(values: list[float]) -> str:
    v = sorted(values)
    p95 = v[min(len(v) - 1, round(0.95 * (len(v) - 1)))]
    return f"p50 {statistics.median(v):7.0f} ms | p95 {p95:7.0f} ms | mean {statistics.fmean(v):7.0f} ms"


def requests_for(path: Path, n: int) -> list[Request]:
    """Cursor at the end of n non-trivial lines, evenly spread, top to bottom."""
    text = path.read_text()
    lines = text.split("\n")
    candidates = [i for i, line in enumerate(lines) if len(line.strip()) > 12 and i > 20]
    step = max(1, len(candidates) // n)
    chosen = candidates[::step][:n]
    out = []
    for i in chosen:
        offset = sum(len(line) + 1 for line in lines[:i]) + len(lines[i])
        out.append(Request(uri=path.as_uri(), text=text, offset=offset, language="python", path=str(path),
                           workspace_folders=(str(ROOT),)))
    return out


def settings(args) -> CompletionSettings:
    return CompletionSettings(max_tokens=args.max_tokens, prefix_tokens=args.prefix_tokens, suffix_tokens=32,
                              deadline_ms=300000, token_healing=False)


PROMPTS: dict[int, list[str]] = {}


async def run_all(engine: CompletionEngine, requests: list[Request], label: str = "") -> tuple[list[float], list[str]]:
    times, texts = [], []
    prompts = PROMPTS.setdefault(id(engine), [])
    for i, request in enumerate(requests, 1):
        t0 = time.perf_counter()
        response = await engine.complete(request)
        times.append((time.perf_counter() - t0) * 1000)
        texts.append(response.info.raw_text)
        prompts.append(response.info.prompt_text)
        if label:
            print(f"  {label} {i:2d}: {times[-1]:7.0f} ms  prompt {response.info.prompt_tokens_evaluated:4d} evaluated"
                  f"  {response.info.raw_text[:40]!r}", file=sys.stderr, flush=True)
    return times, texts


def start_openai_server(model: Path, port: int, threads: int, log: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1", "--port", str(port),
           "--n_ctx", "4096", "--n_threads", str(threads), "--n_threads_batch", str(threads), "--n_batch", "128",
           "--verbose", "false"]
    proc = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"llama_cpp.server exited:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    proc.kill()
    raise SystemExit("llama_cpp.server did not start")


async def overhead(args, model: Path, requests: list[Request]) -> None:
    """Paired runs: each completion in-process, then the same through HTTP, so both see the same load."""
    port = free_port()
    log = Path(tempfile.mkdtemp()) / "llama_cpp_server.log"
    proc = start_openai_server(model, port, args.threads, log)
    local = LlamaCppBackend(LocalModelSettings(name=str(model), n_threads=args.threads, n_ctx=4096, n_batch=128))
    local.load_blocking()
    remote = OpenAIBackend(RemoteSettings(url=f"http://127.0.0.1:{port}/v1", first_byte_timeout_s=300,
                                          read_timeout_s=120, total_timeout_s=600, logprobs=False))
    # The same prompts on both sides: the remote's token count is normally an estimate
    # (~3 characters a token; ResilientBackend uses the local tokenizer once it is loaded).
    remote.count_tokens = local.count_tokens  # type: ignore[method-assign]
    try:
        local_engine, remote_engine = CompletionEngine(local, settings(args)), CompletionEngine(remote, settings(args))
        local_engine_paired, remote_engine_paired = local_engine, remote_engine
        local_times, remote_times, same = [], [], 0
        for i, request in enumerate(requests, 1):
            (lt,), (la,) = await run_all(local_engine, [request])
            (rt,), (ra,) = await run_all(remote_engine, [request])
            local_times.append(lt)
            remote_times.append(rt)
            same += la == ra
            print(f"  {i:2d}: in-process {lt:7.0f} ms | http {rt:7.0f} ms | {'same' if la == ra else 'DIFFERENT'} "
                  f"{la[:30]!r}", file=sys.stderr, flush=True)
        # The fixed cost of the HTTP path: the same request again, its prompt fully cached on both
        # sides, one new token — what is left is JSON, SSE, TCP and the server's Python layer.
        one = CompletionSettings(max_tokens=1, prefix_tokens=args.prefix_tokens, suffix_tokens=32,
                                 deadline_ms=300000, token_healing=False)
        local_engine, remote_engine = CompletionEngine(local, one), CompletionEngine(remote, one)
        warm_local, warm_remote = [], []
        for request in requests[-1:] * (args.n + 1):
            (lt,), _ = await run_all(local_engine, [request])
            (rt,), _ = await run_all(remote_engine, [request])
            warm_local.append(lt)
            warm_remote.append(rt)
        warm_local, warm_remote = warm_local[1:], warm_remote[1:]
    finally:
        await remote.close()
        await local.close()
        proc.terminate()
        proc.wait(10)
    same_prompts = sum(a == b for a, b in zip(PROMPTS[id(local_engine_paired)], PROMPTS[id(remote_engine_paired)]))
    diffs = [r - lo for r, lo in zip(remote_times, local_times)]
    warm_diffs = [r - lo for r, lo in zip(warm_remote, warm_local)]
    print(f"\n== {len(requests)} completions, {args.threads} threads, prefix {args.prefix_tokens} tokens, "
          f"max_tokens {args.max_tokens}, paired, load average now {os.getloadavg()[0]:.1f} ==")
    print(f"in-process          {percentiles(local_times)}")
    print(f"OpenAI over HTTP    {percentiles(remote_times)}")
    print(f"difference per req  {percentiles(diffs)}")
    print(f"identical prompts: {same_prompts}/{len(requests)}, identical completions: {same}/{len(requests)}")
    print(f"\n== the same fully cached request again, 1 new token, {len(warm_local)} times ==")
    print("(llama-cpp-python samples an exact prompt match from the logits it kept: no model work,")
    print(" so its time is the whole HTTP + server overhead; in-process re-decodes the last prompt token)")
    print(f"in-process          {percentiles(warm_local)}")
    print(f"OpenAI over HTTP    {percentiles(warm_remote)}")
    print(f"difference per req  {percentiles(warm_diffs)}")


async def fallback(model: Path, requests: list[Request]) -> None:
    local_settings = LocalModelSettings(name=str(model), n_threads=2, n_ctx=4096)
    completion = CompletionSettings(max_tokens=16, prefix_tokens=384, suffix_tokens=64, deadline_ms=4000)

    blackhole = socket.socket()
    blackhole.bind(("127.0.0.1", 0))
    blackhole.listen(64)  # the kernel accepts connections; nobody ever reads or answers
    cases = {"refused": f"http://127.0.0.1:{free_port()}", "black hole": f"http://127.0.0.1:{blackhole.getsockname()[1]}"}
    print("\n== falling back (defaults: 3 failures, 1 retry, 4 s deadline, 5 s first-byte limit) ==")
    for name, url in cases.items():
        remote_settings = RemoteSettings(url=url)
        backend = ResilientBackend(LlamaCppServerBackend(remote_settings), remote_settings,
                                   lambda: LlamaCppBackend(local_settings))
        backend.start_loading().result()  # preloaded, as the language server does at start
        engine = CompletionEngine(backend, completion)
        t0 = time.perf_counter()
        failed, opened_at, local = [], None, []
        for request in requests:
            t1 = time.perf_counter()
            response = await engine.complete(request)
            took = (time.perf_counter() - t1) * 1000
            if response.info.backend == "local":
                local.append(f"{took:.0f} ms ({response.info.stop_reason}"
                             f"{', a suggestion' if response.items else ', no suggestion'})")
                if response.items or len(local) >= 5:
                    break
                continue
            failed.append(took)
            if backend.state == "open" and opened_at is None:
                opened_at = (time.perf_counter() - t0) * 1000
        print(f"{name:10s}: failing requests took {', '.join(f'{x:.0f}' for x in failed)} ms; "
              f"circuit open after {opened_at:.0f} ms; then local requests: {'; '.join(local)}; "
              f"first local suggestion at {(time.perf_counter() - t0) * 1000:.0f} ms")
        await backend.close()
    blackhole.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=20)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-tokens", type=int, default=16)
    p.add_argument("--prefix-tokens", type=int, default=256)
    p.add_argument("--file", default=str(ROOT / "runtime" / "llamacpp.py"))
    p.add_argument("--skip-overhead", action="store_true")
    p.add_argument("--skip-fallback", action="store_true")
    args = p.parse_args()
    model, _ = registry.resolve("default")
    requests = requests_for(Path(args.file), args.n)
    print(f"model {model.name}; file {args.file}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if not args.skip_fallback:
        asyncio.run(fallback(model, requests))
    if not args.skip_overhead:
        asyncio.run(overhead(args, model, requests))


if __name__ == "__main__":
    main()
