"""`tabstop stats` and `tabstop flywheel {simulate,train-filter,export}`.

Kept apart from cli.py (which only adds the parser blocks) so the flywheel's
commands can grow without touching the shared entry point. All of them read
or write the same database the server writes (`resolve_db_path`), unless
`--db` says otherwise.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
from pathlib import Path

from lsp.console import say

log = logging.getLogger("tabstop")


def _settings(args: argparse.Namespace):
    from lsp.settings import parse_settings

    raw: dict = {}
    if getattr(args, "settings", None):
        raw = json.loads(Path(args.settings).read_text())
    settings, warnings = parse_settings(raw)
    for w in warnings:
        log.warning("settings: %s", w)
    return settings


def _db_path(args: argparse.Namespace, settings) -> Path:
    from cache.telemetry import resolve_db_path

    return Path(args.db) if getattr(args, "db", None) else resolve_db_path(settings.telemetry.path)


def _model_path(args: argparse.Namespace, settings) -> Path:
    from cache.telemetry import user_data_dir
    from completion.filter.gate import resolve_model_path

    return Path(args.out) if getattr(args, "out", None) else resolve_model_path(settings.filter.model_path,
                                                                                user_data_dir())


def _records(path: Path, days: float | None = None):
    """Records from an existing database (never creates one); None when there is none."""
    import time

    from cache.telemetry import TelemetryStore
    from completion.flywheel.dataset import build_records

    if not path.is_file():
        log.error("no telemetry database at %s (nothing recorded yet, or telemetry is off)", path)
        return None
    since = time.time() - days * 86400 if days else None
    with TelemetryStore(path) as store:
        return build_records(store.events(since=since))


# -- stats -----------------------------------------------------------------------------------
def cmd_stats(args: argparse.Namespace) -> int:
    from completion.flywheel.report import render_html
    from completion.flywheel.stats import format_text, summarize

    settings = _settings(args)
    path = _db_path(args, settings)
    records = _records(path, args.days)
    if records is None:
        return 1
    summary = summarize(records)
    if args.json:
        def group(g):
            return {"key": g.key, "offered": g.offered, "verdicts": g.verdicts, "acceptance": g.rate,
                    "accepted": g.accepted, "partial": g.partial, "rejected": g.rejected,
                    "accepted_chars": g.accepted_chars, "mean_latency_ms": g.mean_latency,
                    "survival": g.mean_survival}
        say(json.dumps({"db": str(path), "requests": summary.requests, "hidden": summary.hidden,
                          "skipped": summary.skipped, "total": group(summary.total),
                          "by": {k: [group(g) for g in v] for k, v in summary.groups.items()}}, indent=2))
    else:
        say(f"telemetry: {path}")
        say(format_text(summary))
    if args.html:
        out = Path(args.html)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render_html(summary, source=str(path)), encoding="utf-8")
        say(f"report written to {out}", err=True)
    return 0


# -- train-filter ----------------------------------------------------------------------------
def cmd_train_filter(args: argparse.Namespace) -> int:
    from completion.filter.train import NotEnoughData, format_report, train_filter

    settings = _settings(args)
    path = _db_path(args, settings)
    records = _records(path)
    if records is None:
        return 1
    threshold = settings.filter.threshold if args.threshold is None else args.threshold
    try:
        model, report = train_filter(records, test_share=args.test_share, min_events=args.min_events,
                                     threshold=threshold, skip_threshold=settings.filter.skip_threshold,
                                     max_accepted_loss=args.max_accepted_loss, seed=args.seed)
    except NotEnoughData as exc:
        log.error("not enough data to train the filter: %s. Keep using Tabstop (or run `tabstop flywheel simulate`) "
                  "and try again; until then every suggestion is shown.", exc)
        return 1
    out = _model_path(args, settings)
    model.save(out)
    if args.json:
        say(json.dumps(report.to_dict() | {"model": str(out)}, indent=2))
    else:
        say(format_report(report))
        say(f"\nfilter model saved to {out}; servers load it at start-up")
    return 0


# -- export ----------------------------------------------------------------------------------
def cmd_export(args: argparse.Namespace) -> int:
    from completion.flywheel.export import ExportReport, accepted_examples, repo_examples, write_jsonl

    settings = _settings(args)
    report = ExportReport()
    sources = []
    if not args.no_accepted:
        path = _db_path(args, settings)
        records = _records(path) if path.is_file() else []
        if records:
            sources.append(accepted_examples(records, min_survival=args.min_survival))
    if not args.no_repo:
        sources.append(repo_examples(Path(args.repo), per_file=args.per_file, seed=args.seed, report=report))

    def chained():
        for source in sources:
            yield from source

    family = args.family if args.family != "auto" else (settings.model.fim_family
                                                        if settings.model.fim_family != "auto" else "qwen")
    repo_name = os.path.basename(os.path.abspath(args.repo))
    write_jsonl(chained(), Path(args.out), family=family, repo=repo_name, report=report)
    say(f"wrote {report.written} FIM examples to {args.out} ({family} tokens): "
          f"{dict(report.by_source)} by source, {dict(report.by_kind)} by kind; "
          f"{report.duplicates} duplicates and {report.secrets_dropped} spans with secrets dropped; "
          f"{report.files} repository files read")
    return 0


# -- simulate --------------------------------------------------------------------------------
def cmd_simulate(args: argparse.Namespace) -> int:
    from cache.telemetry import TelemetryStore, TelemetryWriter, telemetry_enabled
    from completion.engine import CompletionEngine
    from completion.filter.gate import FilterGate
    from completion.flywheel.export import repo_files
    from completion.flywheel.simulate import SimClock, SimConfig, simulate
    from completion.flywheel.tracker import FeedbackTracker

    settings = _settings(args)
    if not args.db and not telemetry_enabled(settings.telemetry.enabled):
        log.error("telemetry is off; pass --db FILE to write simulated events somewhere")
        return 1
    path = _db_path(args, settings)
    if args.model:
        settings.model.name = args.model
    if args.threads:
        settings.model.n_threads = args.threads
    s = settings.completion
    s.prefix_tokens, s.suffix_tokens, s.max_tokens = args.prefix_tokens, args.suffix_tokens, args.max_tokens
    # Simulated users wait, and nothing may depend on this machine's speed: no deadline, no
    # latency-budget prompt sizing, no debounce sleeps; no speculative prefetch (it would compete).
    s.deadline_ms = 120_000
    s.latency_budget_ms = 0
    s.debounce = False
    s.prefetch = False
    root = Path(args.repo).resolve()
    files = repo_files(root)
    if args.include:
        files = [f for f in files if any(f.relative_to(root).as_posix().startswith(p) for p in args.include)]
    if not files:
        log.error("no source files found under %s", root)
        return 1
    from lsp.cli import load_backend

    backend = load_backend(settings)
    if backend is None:
        return 3
    cache = None
    if args.generation_cache:
        from completion.flywheel.gencache import GenerationCache

        backend = cache = GenerationCache(backend, args.generation_cache, max_misses=args.max_misses)
    engine = CompletionEngine(backend, s, settings.context, fim_family=settings.model.fim_family)
    gate = FilterGate(FilterGate.load_model(Path(args.filter)) if args.filter else None,
                      threshold=settings.filter.threshold, skip_threshold=settings.filter.skip_threshold,
                      min_skip_auc=settings.filter.min_skip_auc, explore_rate=0.0)
    writer = TelemetryWriter(lambda: TelemetryStore(path, retention_days=0, max_mb=settings.telemetry.max_mb))
    clock = SimClock()
    tracker = FeedbackTracker(writer.put, store_code=args.store_code, gate=gate, clock=clock,
                              session=f"simulate-{args.seed}")
    cfg = SimConfig(max_suggestions=args.max_suggestions, lines_per_file=args.lines_per_file, seed=args.seed)

    async def run():
        try:
            return await simulate(engine, tracker, files, root, cfg, clock)
        finally:
            await backend.close()

    from completion.flywheel.gencache import StaleCache

    try:
        result = asyncio.run(run())
    except StaleCache as exc:
        log.error("generation cache is stale: %s", exc)
        return 4
    finally:
        writer.close()
    if cache is not None:
        added = cache.save()
        dropped = cache.prune() if args.prune_cache else 0
        log.warning("generation cache %s: %d hits, %d misses, %d entries added, %d unused dropped",
                    args.generation_cache, cache.hits, cache.misses, added, dropped)
    say(json.dumps({
        "db": str(path), "files": result.files, "requests": result.requests, "suggestions": result.suggestions,
        "accepted": result.accepted, "partial": result.partial, "rejected_explicit": result.rejected_explicit,
        "not_taken": result.not_taken, "empty": result.empty,
        "skipped_by_filter": result.skipped_by_filter, "taken": round(result.taken, 4),
        "seconds": round(result.seconds, 1), "events_written": writer.written, "events_dropped": writer.dropped,
    }, indent=2))
    return 0 if writer.dropped == 0 else 2


def add_parsers(sub) -> None:
    """The parser blocks for cli.py."""
    st = sub.add_parser("stats", help="acceptance statistics from the local telemetry")
    st.add_argument("--db", help="telemetry database (default: TABSTOP_TELEMETRY_DB or the user data dir)")
    st.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report with charts")
    st.add_argument("--days", type=float, help="only the last N days")
    st.add_argument("--json", action="store_true")
    st.add_argument("--settings", help="JSON settings file (for telemetry.path)")
    st.set_defaults(func=cmd_stats)

    fw = sub.add_parser("flywheel", help="train the acceptance filter, export FIM data, simulate users")
    fsub = fw.add_subparsers(dest="flywheel_command", required=True)

    t = fsub.add_parser("train-filter", help="train the acceptance filter on the telemetry")
    t.add_argument("--db")
    t.add_argument("--out", help="model file (default: filter.modelPath, TABSTOP_FILTER_MODEL or the data dir)")
    t.add_argument("--min-events", type=int, default=200, help="labelled completions needed (default 200)")
    t.add_argument("--test-share", type=float, default=0.2, help="newest share held out (default 0.2)")
    t.add_argument("--threshold", type=float, help="threshold to report (default: filter.threshold)")
    t.add_argument("--max-accepted-loss", type=float, default=0.1,
                   help="for the recommended threshold: most accepted suggestions it may hide (default 0.1)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--json", action="store_true")
    t.add_argument("--settings")
    t.set_defaults(func=cmd_train_filter)

    e = fsub.add_parser("export", help="write FIM training data (JSONL)")
    e.add_argument("out")
    e.add_argument("--db")
    e.add_argument("--repo", default=".", help="repository to cut syntax-tree spans from (default: .)")
    e.add_argument("--per-file", type=int, default=8)
    e.add_argument("--no-repo", action="store_true")
    e.add_argument("--no-accepted", action="store_true")
    e.add_argument("--min-survival", type=float, default=0.5)
    e.add_argument("--family", default="auto", choices=["auto", "qwen", "deepseek", "starcoder", "codellama",
                                                         "codestral"])
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--settings")
    e.set_defaults(func=cmd_export)

    s = fsub.add_parser("simulate", help="replay re-typing traces of a repository through the real model")
    s.add_argument("--db")
    s.add_argument("--repo", default=".")
    s.add_argument("--include", nargs="*", help="only files under these relative path prefixes")
    s.add_argument("--max-suggestions", type=int, default=300)
    s.add_argument("--lines-per-file", type=int, default=16)
    s.add_argument("--prefix-tokens", type=int, default=384)
    s.add_argument("--suffix-tokens", type=int, default=64)
    s.add_argument("--max-tokens", type=int, default=32)
    s.add_argument("--store-code", action="store_true", help="store (redacted) code with the events")
    s.add_argument("--filter", help="apply this filter model while simulating")
    s.add_argument("--generation-cache", metavar="FILE",
                   help="replay model generations recorded in FILE (.jsonl or .jsonl.gz), recording new ones")
    s.add_argument("--max-misses", type=int, metavar="N",
                   help="stop with exit code 4 when more than N prompts are not in the generation cache")
    s.add_argument("--prune-cache", action="store_true",
                   help="afterwards, keep only the generations this run used (when re-recording a fixture)")
    s.add_argument("--model")
    s.add_argument("--threads", type=int)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--settings")
    s.set_defaults(func=cmd_simulate)
