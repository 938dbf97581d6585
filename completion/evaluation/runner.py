"""Run cases through `CompletionEngine` — the pipeline the server uses — once per arm.

Each case opens its masked text as the editor buffer (so retrieval sees the
buffer, not the file on disk), completes at the cursor, scores the first line
of the completion, and closes the buffer (so nothing carries over between arms:
stable-ordering memory is per open document). Results are appended to a JSONL
file as they come, and a rerun skips (case, arm) pairs already there: a long
run that is interrupted resumes where it stopped.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from completion.config import CompletionSettings, ContextSettings
from completion.context.provider import RepositoryContext
from completion.engine import CompletionEngine
from completion.evaluation import quality
from completion.evaluation.arms import Arm
from completion.evaluation.cases import Case
from completion.evaluation.metrics import METRICS, first_line, percentile
from completion.types import Request
from runtime.backend import Backend

log = logging.getLogger(__name__)


@dataclass
class CaseResult:
    case_id: str
    arm: str
    prediction: str
    answer: str
    metrics: dict[str, float]
    total_ms: float
    context_ms: float
    prompt_tokens: int
    prompt_tokens_evaluated: int
    context_items: int
    context_tokens: int
    skipped: str = ""
    context_report: list[str] = field(default_factory=list)
    # Quality at the cursor (docs/quality.md); defaults keep results files of older runs loadable.
    greedy: str = ""  # first line of the plain greedy completion, post-processed (`prediction` is the ranked first)
    raw: str = ""  # first line of the greedy completion as generated (what post-processing started from)
    heal: str = ""  # text token healing cut from the prompt and regenerated ("" = no healing)
    gate_changed: bool = False  # the syntax gate changed the greedy completion
    post_changed: list[str] = field(default_factory=list)  # every filter that changed the greedy completion
    candidates: int = 0  # completions generated before ranking
    prompt_ms: float = 0.0
    generate_ms: float = 0.0  # greedy and alternatives together
    generated_tokens: int = 0
    step_ms: dict[str, float] = field(default_factory=dict)  # analyze, postprocess, syntax_gate, rank, alternatives


def load_results(path: Path) -> list[CaseResult]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        if line.strip():
            try:
                out.append(CaseResult(**json.loads(line)))
            except (json.JSONDecodeError, TypeError):
                continue  # a line cut short by an interrupted run
    return out


class EvalRunner:
    def __init__(self, backend: Backend, completion: CompletionSettings, context: ContextSettings,
                 arms: Sequence[Arm], results_path: Path, *, fim_family: str = "auto", whole_file: bool = False) -> None:
        self.backend = backend
        # whole_file: the editor holds the whole file but the answer (the rest of the cursor's line): editing
        # existing code, the lines below in the suffix; instead of the masked text before the cursor
        # (CrossCodeEval's setting, writing new code at the end).
        self.whole_file = whole_file
        self.completion = completion
        self.context = context
        self.arms = tuple(arms)
        self.results_path = results_path
        self.fim_family = fim_family
        self._providers: dict[str, RepositoryContext] = {}

    def provider(self, repo: str) -> RepositoryContext:
        if repo not in self._providers:
            provider = RepositoryContext(self.context, [repo])
            provider.wait_ready()
            self._providers[repo] = provider
        return self._providers[repo]

    def close(self) -> None:
        for provider in self._providers.values():
            provider.close()
        self._providers.clear()

    async def run_case(self, case: Case, arm: Arm, original: str) -> CaseResult:
        settings = arm.settings(self.context)
        completion = arm.completion_settings(self.completion)
        provider = self.provider(case.repo) if settings.enabled else None
        masked = case.edited(original) if self.whole_file else case.masked(original)
        path = str(Path(case.repo) / case.path)
        uri = Path(path).as_uri()
        engine = CompletionEngine(self.backend, completion, settings, fim_family=self.fim_family,
                                  context=provider)
        request = Request(uri=uri, text=masked, offset=case.cursor_offset, language=case.language, path=path,
                          trigger="invoked", request_id=f"{case.id}:{arm.name}", workspace_folders=(case.repo,))
        if provider is not None:
            provider.settings = settings
            provider.document_opened(uri, path, case.language, masked, 1, index=False)
        try:
            response = await engine.complete(request)
        finally:
            if provider is not None:
                provider.document_closed(uri)  # also forgets its ordering memory: nothing carries across arms
        info = response.info
        prediction = first_line(response.items[0].text) if response.items else ""
        return CaseResult(
            case_id=case.id, arm=arm.name, prediction=prediction, answer=case.answer,
            metrics={name: fn(prediction, case.answer) for name, fn in METRICS.items()},
            total_ms=round(info.total_ms, 1), context_ms=round(info.context_ms, 2),
            prompt_tokens=info.prompt_tokens, prompt_tokens_evaluated=info.prompt_tokens_evaluated,
            context_items=info.context_items, context_tokens=info.context_tokens,
            skipped=info.skipped or ("" if info.stop_reason != "deadline" else "deadline"),
            context_report=list(info.context_report),
            greedy=first_line(info.greedy_text), raw=first_line(info.raw_text), heal=info.heal,
            gate_changed="syntax_gate" in info.post_changed,
            post_changed=list(info.post_changed), candidates=info.candidates, prompt_ms=round(info.prompt_ms, 1),
            generate_ms=round(info.generate_ms, 1), generated_tokens=info.generated_tokens,
            step_ms={k: round(v, 3) for k, v in info.step_ms.items()},
        )

    async def run(self, cases: Sequence[Case], on_result: Callable[[CaseResult, int, int], None] | None = None
                  ) -> list[CaseResult]:
        """Every (case, arm) not yet in the results file, arm by arm; returns all results of these cases."""
        done = {(r.case_id, r.arm) for r in load_results(self.results_path)}
        todo = [(arm, case) for arm in self.arms for case in cases if (case.id, arm.name) not in done]
        self.results_path.parent.mkdir(parents=True, exist_ok=True)
        originals: dict[tuple[str, str], str] = {}
        with self.results_path.open("a") as out:
            for n, (arm, case) in enumerate(todo, 1):
                key = (case.repo, case.path)
                if key not in originals:
                    originals[key] = case.original()
                result = await self.run_case(case, arm, originals[key])
                out.write(json.dumps(asdict(result)) + "\n")
                out.flush()
                if on_result is not None:
                    on_result(result, n, len(todo))
        wanted = {c.id for c in cases}
        names = {a.name for a in self.arms}
        return [r for r in load_results(self.results_path) if r.case_id in wanted and r.arm in names]


def summarize(results: Sequence[CaseResult], arms: Sequence[Arm],
              copyable: set[str] | None = None) -> dict[str, dict[str, float]]:
    """Per arm: the mean of every metric, latency p50/p95 (total and context), and the case count.

    `copyable`: ids of cases whose answer appears verbatim in another file of the repository
    (`cases.copyable_cases`); exact match on that subset is reported beside the whole."""
    summary: dict[str, dict[str, float]] = {}
    for arm in arms:
        rows = [r for r in results if r.arm == arm.name]
        if not rows:
            continue
        entry: dict[str, float] = {"cases": len(rows)}
        for name in METRICS:
            entry[name] = round(sum(r.metrics.get(name, 0.0) for r in rows) / len(rows), 4)
        totals = [r.total_ms for r in rows]
        contexts = [r.context_ms for r in rows]
        entry.update({
            "latency_p50_ms": round(percentile(totals, 50), 1), "latency_p95_ms": round(percentile(totals, 95), 1),
            "context_p50_ms": round(percentile(contexts, 50), 2), "context_p95_ms": round(percentile(contexts, 95), 2),
            "context_tokens_mean": round(sum(r.context_tokens for r in rows) / len(rows), 1),
            "prompt_tokens_mean": round(sum(r.prompt_tokens for r in rows) / len(rows), 1),
        })
        if copyable is not None:
            subset = [r for r in rows if r.case_id in copyable]
            entry["copyable_cases"] = len(subset)
            entry["exact_match_copyable"] = round(
                sum(r.metrics.get("exact_match", 0.0) for r in subset) / len(subset), 4) if subset else 0.0
        entry.update(quality.summarize_quality(rows))
        summary[arm.name] = entry
    return summary


def format_table(summary: dict[str, dict[str, float]]) -> str:
    columns = ["cases", *METRICS, "latency_p50_ms", "latency_p95_ms", "context_p95_ms", "context_tokens_mean"]
    if any("copyable_cases" in entry for entry in summary.values()):
        columns[1 + len(METRICS):1 + len(METRICS)] = ["copyable_cases", "exact_match_copyable"]
    short = {"exact_match": "EM", "edit_similarity": "ES", "identifier_f1": "ID-F1", "latency_p50_ms": "p50 ms",
             "copyable_cases": "copyable", "exact_match_copyable": "EM copyable",
             "latency_p95_ms": "p95 ms", "context_p95_ms": "ctx p95 ms", "context_tokens_mean": "ctx tok"}
    header = ["arm"] + [short.get(c, c) for c in columns]
    rows = [header]
    for arm, entry in summary.items():
        row = [arm]
        for c in columns:
            v = entry.get(c, 0.0)
            row.append(f"{int(v)}" if c in ("cases", "copyable_cases")
                       else f"{v:.3f}" if c in (*METRICS, "exact_match_copyable") else f"{v:.1f}")
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)) for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def timestamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
