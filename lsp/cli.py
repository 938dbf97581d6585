"""`tabstop` command line: serve, complete, model, stats, flywheel."""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from lsp.console import say

log = logging.getLogger("tabstop")


def _setup_logging(level: str, log_file: str | None) -> None:
    # stderr only: in `serve` mode stdout carries the protocol.
    from lsp.logredact import install

    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file))
    for handler in handlers:
        install(handler)  # secrets never reach a log (docs/security.md)
    logging.basicConfig(level=level.upper(), handlers=handlers,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if level.lower() != "debug":
        logging.getLogger("pygls").setLevel(logging.WARNING)  # it logs every message at INFO


def cmd_serve(args: argparse.Namespace) -> int:
    from lsp import console
    from lsp.server import build_server

    console.serving()  # from here on stdout is the protocol: console output would corrupt it

    server = build_server()
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        host = host or "127.0.0.1"
        if host not in ("127.0.0.1", "localhost", "::1"):
            log.warning("listening on %s: anyone who can reach it can read your code through completions", host)
        server.start_tcp(host, int(port))
    else:
        server.start_io(stdin=sys.stdin.buffer, stdout=_protocol_stdout())
    return 0


def _protocol_stdout():
    """A private duplicate of stdout for the protocol; fd 1 itself then points at stderr.

    Why: llama-cpp-python (verbose=False) redirects fds 1 and 2 to /dev/null while a
    model loads, and we load on a background thread, so protocol messages written
    meanwhile were lost. With the protocol on its own fd, nothing that writes to or
    juggles fd 1 — C libraries, a stray print — can corrupt or swallow the stream.
    """
    protocol_fd = os.dup(sys.stdout.fileno())
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return os.fdopen(protocol_fd, "wb", buffering=0)


def _settings_from_args(args: argparse.Namespace):
    from lsp.settings import parse_settings

    raw: dict = {}
    if args.settings:
        raw = json.loads(Path(args.settings).read_text())
    settings, warnings = parse_settings(raw)
    for w in warnings:
        log.warning("settings: %s", w)
    if args.model:
        settings.model.name = args.model
    if args.threads:
        settings.model.n_threads = args.threads
    if args.max_tokens:
        settings.completion.max_tokens = args.max_tokens
    # One-shot: nobody is typing, so the editor's deadline (4 s, there to keep up with keystrokes)
    # would only truncate the answer on a slow or busy machine. --deadline-ms sets one.
    settings.completion.deadline_ms = args.deadline_ms or 60000
    # One-shot: the prompt is always cold, and the user asked for the best answer.
    settings.completion.latency_budget_ms = getattr(args, "latency_budget_ms", 0)
    repeat = getattr(args, "repeat", 1)
    settings.completion.cache = not repeat or repeat <= 1
    return settings


def _index_workspace(settings, root: str):
    """Repository context for one-shot commands: index (or refresh) the folder, then wait for it."""
    if not settings.context.enabled:
        return None
    from completion.context.provider import RepositoryContext

    t0 = time.perf_counter()
    context = RepositoryContext(settings.context, [os.path.abspath(root)])
    context.wait_ready()
    for index in context.indexes.values():
        stats = index.last_scan
        log.info("indexed %s: %d files (%d parsed, %d unchanged) in %.2fs", index.root, stats.listed, stats.parsed,
                 stats.unchanged, time.perf_counter() - t0)
    return context


def cmd_complete(args: argparse.Namespace) -> int:
    from completion.engine import CompletionEngine
    from completion.languages import language_for
    from completion.types import Request
    from lsp.convert import LineIndex, PositionError, position_to_offset

    path = Path(args.file).resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        log.error("cannot read %s: %s", path, exc)
        return 2
    try:
        offset = position_to_offset(LineIndex.of(text), args.line, args.character, "utf-32")
    except PositionError as exc:
        log.error("%s", exc)
        return 2
    settings = _settings_from_args(args)
    t0 = time.perf_counter()
    backend = load_backend(settings)
    if backend is None:
        return 3
    load_s = time.perf_counter() - t0
    root = args.workspace or str(path.parent)
    context = _index_workspace(settings, root)
    engine = CompletionEngine(backend, settings.completion, settings.context, fim_family=settings.model.fim_family,
                              context=context)
    request = Request(uri=path.as_uri(), text=text, offset=offset, language=language_for(str(path)),
                      path=str(path), trigger="invoked", workspace_folders=(os.path.abspath(root),))

    async def run():
        results = []
        for _ in range(max(1, args.repeat)):
            results.append(await engine.complete(request))
        await backend.close()
        return results

    try:
        results = asyncio.run(run())
    finally:
        if context is not None:
            context.close()
    response = results[-1]
    info = response.info
    if args.show_prompt:
        say("----- prompt -----")
        for line in info.context_report:
            say(f"  context: {line}")
        say(info.prompt_text)
        say("----- end of prompt -----")
    if args.json:
        say(json.dumps({
            "completion": response.items[0].text if response.items else "",
            "runs": [vars(r.info) | {"prompt_text": None} for r in results],
            "load_s": load_s,
        }, indent=2, default=str))
        return 0
    if response.items:
        say(response.items[0].text)
    else:
        say(f"(no completion: {info.skipped or info.stop_reason})")
    sys.stdout.flush()
    say("\n-----", err=True)
    say(f"model {info.model} ({info.backend}), loaded in {load_s:.2f}s; mode {info.mode}, stop {info.stop_reason}", err=True)
    for i, r in enumerate(results, 1):
        ri = r.info
        say(f"run {i}: {ri.total_ms:.0f} ms total | prompt {ri.prompt_tokens} tokens, {ri.prompt_tokens_evaluated} "
              f"evaluated ({ri.prompt_tokens - ri.prompt_tokens_evaluated} reused) in {ri.prompt_ms:.0f} ms | "
              f"{ri.generated_tokens} tokens generated in {ri.generate_ms:.0f} ms", err=True)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Cross-file benchmark: build (or reuse) cases, run the arms through the engine, print a table."""
    from completion.context.provider import RepositoryContext
    from completion.evaluation import arms as arm_registry
    from completion.evaluation.cases import VARIANTS, build_cases, copyable_cases, load_cases, save_cases
    from completion.evaluation.quality import format_quality, healing_pairs, paired
    from completion.evaluation.runner import EvalRunner, format_table, summarize, timestamp

    try:
        arms = arm_registry.select(args.arms)
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    if args.variant not in VARIANTS:
        log.error("unknown variant %s; known: %s", args.variant, ", ".join(VARIANTS))
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    settings = _settings_from_args(args)
    settings.completion.max_tokens = args.max_tokens or 24
    if args.prefix_tokens:
        settings.completion.prefix_tokens = args.prefix_tokens
    if args.budget:
        settings.context.budget_tokens = args.budget
    if args.candidates:
        settings.completion.candidates = args.candidates
    # A benchmark wants every candidate the model offers, not what fits a keystroke's latency budget.
    settings.completion.candidate_budget_ms = args.candidate_budget_ms
    if args.candidate_min_prob is not None:
        settings.completion.candidate_min_prob = args.candidate_min_prob
    cases_path = out / "cases.json"
    if cases_path.exists() and not args.rebuild:
        cases = load_cases(cases_path)
        log.info("reusing %d cases from %s", len(cases), cases_path)
        stale = sorted({c.variant for c in cases} - {args.variant})
        if stale:
            log.error("%s holds %s cases, not %s: use another --out or --rebuild", cases_path, ", ".join(stale),
                      args.variant)
            return 2
    else:
        cases = []
        for repo in args.repos:
            context = RepositoryContext(settings.context, [os.path.abspath(repo)])
            context.wait_ready()
            for index in context.indexes.values():
                cases += build_cases(index, args.cases, seed=args.seed, per_file=args.per_file, variant=args.variant)
            context.close()
        save_cases(cases, cases_path)
    if not cases:
        log.error("no cross-file cases found (does the repository import its own modules?)")
        return 1
    backend = load_backend(settings)
    if backend is None:
        return 3
    cache = None
    if args.generation_cache:
        # Rows whose prompt (and member rule) a change left as they were replay their recorded
        # generation; only the rest run the model — a ranking change is judged in minutes, not hours.
        from completion.flywheel.gencache import GenerationCache

        backend = cache = GenerationCache(backend, args.generation_cache)
    runner = EvalRunner(backend, settings.completion, settings.context, arms, out / "results.jsonl",
                        fim_family=settings.model.fim_family, whole_file=args.whole_file)

    def progress(result, n, total):
        em = result.metrics.get("exact_match", 0.0)
        log.info("[%d/%d] %s %s EM=%.0f %.0f ms: %r → %r", n, total, result.arm, result.case_id, em,
                 result.total_ms, result.answer, result.prediction)

    async def run():
        try:
            return await runner.run(cases, progress)
        finally:
            await backend.close()

    copyable: set[str] = set()
    try:
        results = asyncio.run(run())
        for repo in sorted({c.repo for c in cases}):  # through the runner's own indexes, not reopened ones
            for index in runner.provider(repo).indexes.values():
                copyable |= copyable_cases(index, [c for c in cases if c.repo == repo])
    finally:
        runner.close()
    summary = summarize(results, arms, copyable)
    pairs = {f"{a} vs {b}": paired(results, a, b) for a, b in healing_pairs([arm.name for arm in arms])}
    report = {
        "finished": timestamp(), "model": backend.model_name, "repos": [os.path.abspath(r) for r in args.repos],
        "cases": len(cases), "copyable_cases": len(copyable), "seed": args.seed, "variant": args.variant,
        "whole_file": args.whole_file,
        "settings": {"max_tokens": settings.completion.max_tokens, "prefix_tokens": settings.completion.prefix_tokens,
                     "budget_tokens": settings.context.budget_tokens, "threads": settings.model.n_threads,
                     "candidates": settings.completion.candidates,
                     "candidate_budget_ms": settings.completion.candidate_budget_ms,
                     "candidate_min_prob": settings.completion.candidate_min_prob},
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "arms": summary,
        "healing_pairs": pairs,
    }
    if cache is not None:
        report["generation_cache"] = {"path": str(cache.path), "hits": cache.hits, "misses": cache.misses}
        if cache.hits:
            log.warning("generation cache %s: %d replayed, %d generated; the latency figures of replayed rows "
                        "are the recording's", cache.path, cache.hits, cache.misses)
    (out / "summary.json").write_text(json.dumps(report, indent=2))
    if args.json:
        say(json.dumps(report, indent=2))
        return 0
    say(format_table(summary))
    say()
    say(format_quality(summary))
    for name, counts in pairs.items():
        say(f"\nexact match, {name}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def load_backend(settings: Any) -> Any:
    """The configured backend, loaded now (CLI commands want the model before they start);
    None, after saying why on stderr, when the model is unavailable."""
    from runtime.errors import ModelUnavailable
    from runtime.factory import make_backend

    backend = make_backend(settings.backend, settings.model, settings.remote)
    try:
        if hasattr(backend, "load_blocking"):
            backend.load_blocking()
    except ModelUnavailable as exc:
        log.error("%s", exc)
        return None
    return backend


def cmd_model(args: argparse.Namespace) -> int:
    from runtime import registry
    from runtime.errors import ModelUnavailable

    if args.action == "list":
        for name, spec in registry.MODELS.items():
            path = registry.models_dir() / spec.filename
            state = "installed" if path.is_file() else "not installed"
            alias = " (default)" if registry.ALIASES.get("default") == name else ""
            say(f"{name}{alias}: {spec.size / 1e6:.0f} MB, {spec.fim_family} FIM, {state} — {spec.description}")
        return 0
    name = args.name or "default"
    try:
        if args.action == "path":
            path, _ = registry.resolve(name)
            say(path)
        elif args.action == "verify":
            path, spec = registry.resolve(name, verify_hash=True)
            say(f"{path}: OK" + (f" (sha256 {spec.sha256})" if spec else " (not a registry model: no hash to check)"))
        elif args.action == "fetch":
            say(registry.fetch(name, force=args.force))
    except ModelUnavailable as exc:
        log.error("%s", exc)
        return 1
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from lsp import bench

    return bench.main(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tabstop", description="Local-first AI code completion over LSP")
    p.add_argument("--log-level", default=os.environ.get("TABSTOP_LOG_LEVEL", "warning"))
    p.add_argument("--log-file", default=os.environ.get("TABSTOP_LOG_FILE"))
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run the language server (stdio by default)")
    s.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio (loopback by default)")
    s.add_argument("--stdio", action="store_true", help="talk over stdio (the default; accepted because many LSP clients pass it)")
    s.set_defaults(func=cmd_serve)

    c = sub.add_parser("complete", help="one completion at a position, with timings")
    c.add_argument("file")
    c.add_argument("--line", type=int, required=True, help="zero-based line, as in LSP")
    c.add_argument("--character", type=int, required=True, help="zero-based column in characters")
    c.add_argument("--show-prompt", action="store_true")
    c.add_argument("--json", action="store_true")
    c.add_argument("--repeat", type=int, default=1, help="run N times (shows KV-cache prefix reuse)")
    c.add_argument("--model")
    c.add_argument("--threads", type=int)
    c.add_argument("--max-tokens", type=int)
    c.add_argument("--deadline-ms", type=int, help="stop generating after this (default 60000; the editor default is 4000)")
    c.add_argument("--latency-budget-ms", type=int, default=0, help="size the prompt to fit (0: full size)")
    c.add_argument("--workspace", help="workspace folder (default: the file's folder)")
    c.add_argument("--settings", help="JSON file with settings, as an editor would send them")
    c.set_defaults(func=cmd_complete)

    b = sub.add_parser("bench", help="replay editing traces through the server; tabstop vs a naive pipeline")
    b.add_argument("files", nargs="*", help="files to re-type (default: a seeded sample of real files)")
    b.add_argument("--num-files", type=int, default=3)
    b.add_argument("--lines-per-file", type=int, default=4)
    b.add_argument("--cps", type=float, default=6.0, help="typing speed, characters per second")
    b.add_argument("--line-wait", type=float, default=20.0, help="seconds the developer waits at a line end")
    b.add_argument("--seed", type=int, default=7)
    b.add_argument("--settings", help="JSON settings for the configured run")
    b.add_argument("--only", choices=["tabstop", "naive"])
    b.add_argument("--json", help="write the results here")
    b.add_argument("--server-log", help="append the servers' stderr here")
    b.set_defaults(func=cmd_bench)

    e = sub.add_parser("eval", help="cross-file benchmark: exact match, edit similarity, identifier F1, latency")
    e.add_argument("repos", nargs="+", help="local repository folders to build cases from")
    e.add_argument("--out", default="tabstop-eval", help="folder for cases.json, results.jsonl, summary.json")
    e.add_argument("--cases", type=int, default=50, help="cases per repository")
    e.add_argument("--per-file", type=int, default=2, help="at most this many cases per file")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--variant", default="name-start",
                   help="where the cursor goes: name-start (before the imported name), member (after `name.`: "
                        "CrossCodeEval's point), mid-identifier (inside the name, as while typing)")
    e.add_argument("--arms", help="comma-separated: in-file,+analogy,+signatures,+both (default: all), each "
                   "optionally with :heal, :no-heal, :no-gate, :usages or :no-usages (e.g. in-file:no-heal,in-file:heal)")
    e.add_argument("--candidates", type=int, help="candidates per request, ranked (default: the settings', 1)")
    e.add_argument("--candidate-budget-ms", type=int, default=600000,
                   help="time the extra candidates may take (default: unbounded in practice)")
    e.add_argument("--candidate-min-prob", type=float, help="first-token probability an extra candidate needs")
    e.add_argument("--rebuild", action="store_true", help="rebuild cases even if OUT/cases.json exists")
    e.add_argument("--whole-file", action="store_true",
                   help="the editor holds the whole file but the answer (editing existing code: the lines "
                        "below are the prompt's suffix), not CrossCodeEval's text before the cursor")
    e.add_argument("--generation-cache", help="record generations here (.jsonl or .jsonl.gz) and replay those "
                   "whose prompt and decoding rules are unchanged: a re-run after a change only runs the "
                   "model for the rows it touched (latency of replayed rows is the recording's)")
    e.add_argument("--prefix-tokens", type=int)
    e.add_argument("--budget", type=int, help="context token budget")
    e.add_argument("--model")
    e.add_argument("--threads", type=int)
    e.add_argument("--max-tokens", type=int)
    e.add_argument("--deadline-ms", type=int)
    e.add_argument("--settings", help="JSON file with settings")
    e.add_argument("--json", action="store_true", help="print the summary as JSON instead of a table")
    e.set_defaults(func=cmd_eval)

    m = sub.add_parser("model", help="list, locate, verify or fetch models")
    m.add_argument("action", choices=["list", "path", "verify", "fetch"])
    m.add_argument("name", nargs="?")
    m.add_argument("--force", action="store_true")
    m.set_defaults(func=cmd_model)

    from lsp.cli_flywheel import add_parsers as add_flywheel_parsers  # stats, flywheel (docs/telemetry.md)

    add_flywheel_parsers(sub)
    return p


def _drop_workspace_from_sys_path() -> None:
    """Never import code from the directory we were started in (usually the user's workspace).

    `python -m lsp.cli` puts the current directory first on sys.path, and editors
    start servers with the workspace as the current directory: a workspace file
    named `runtime.py` or `llama_cpp.py` would then be imported (run) by our own
    lazy imports. Only our own checkout may stay (running from a source tree).
    Launching via the `tabstop` entry point or `python -P` avoids it altogether.
    """
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cwd = os.getcwd()
    sys.path[:] = [p for p in sys.path
                   if os.path.abspath(p or cwd) == here or os.path.abspath(p or cwd) != cwd]


def main(argv: list[str] | None = None) -> int:
    _drop_workspace_from_sys_path()
    args = build_parser().parse_args(argv)
    level = "info" if args.command == "model" and args.log_level == "warning" else args.log_level
    _setup_logging(level, args.log_file)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
