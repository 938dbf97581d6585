"""Quality-at-the-cursor figures from recorded per-case results (pure functions).

Each `CaseResult` of a run records the ranked first item (`prediction`), the
plain greedy completion (`greedy`), whether the syntax gate changed the greedy
completion, the healed text and per-step latencies. From those, per arm:
- greedy exact match next to the ranked one, and how often the ranked first
  candidate wins or loses against greedy (by exact match and edit similarity);
- the share of completions the syntax gate changed;
- the share of cases that were healed, and latency p50/p95 of each step.
Across arms, `paired()` counts, case by case, where one arm is right and the
other wrong (e.g. `in-file:no-heal` against `in-file:heal`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from completion.evaluation.metrics import edit_similarity, exact_match, percentile

if TYPE_CHECKING:
    from completion.evaluation.runner import CaseResult

STEPS = ("analyze", "postprocess", "syntax_gate", "rank", "alternatives")


def _share(count: int, total: int) -> float:
    return round(count / total, 4) if total else 0.0


def recorded(rows: Sequence[CaseResult]) -> list[CaseResult]:
    """Rows that carry the quality fields (every request records its analysis time; rows of runs made
    before these fields existed have none and would read as "greedy was empty")."""
    return [r for r in rows if r.step_ms]


def rank_vs_greedy(rows: Sequence[CaseResult]) -> dict[str, float]:
    """How the ranked first item compares with plain greedy, case by case."""
    rows = recorded(rows)
    differs = [r for r in rows if r.prediction != r.greedy]
    em = [(exact_match(r.prediction, r.answer), exact_match(r.greedy, r.answer)) for r in differs]
    es = [(edit_similarity(r.prediction, r.answer), edit_similarity(r.greedy, r.answer)) for r in differs]
    return {
        "greedy_exact_match": _share(sum(exact_match(r.greedy, r.answer) for r in rows), len(rows)),
        "rank_differs": len(differs),
        "rank_wins_em": sum(a > b for a, b in em), "rank_loses_em": sum(a < b for a, b in em),
        "rank_wins_es": sum(a > b for a, b in es), "rank_loses_es": sum(a < b for a, b in es),
        "candidates_mean": round(sum(r.candidates for r in rows) / len(rows), 2) if rows else 0.0,
    }


def gate_changes(rows: Sequence[CaseResult]) -> dict[str, float]:
    """The share of greedy completions the syntax gate changed (the balance filter is not counted)."""
    rows = recorded(rows)
    changed = sum(r.gate_changed for r in rows)
    return {"gate_changed": changed, "gate_changed_share": _share(changed, len(rows))}


def step_latency(rows: Sequence[CaseResult]) -> dict[str, float]:
    """p50/p95 ms of each recorded step, plus model time and the mean tokens generated/evaluated."""
    out: dict[str, float] = {}
    rows = recorded(rows)
    series = {step: [r.step_ms.get(step, 0.0) for r in rows] for step in STEPS}
    series["prompt"] = [r.prompt_ms for r in rows]
    series["generate"] = [r.generate_ms - r.step_ms.get("alternatives", 0.0) for r in rows]
    for name, values in series.items():
        out[f"{name}_p50_ms"] = round(percentile(values, 50), 2)
        out[f"{name}_p95_ms"] = round(percentile(values, 95), 2)
    n = len(rows)
    out["generated_tokens_mean"] = round(sum(r.generated_tokens for r in rows) / n, 2) if n else 0.0
    out["evaluated_tokens_mean"] = round(sum(r.prompt_tokens_evaluated for r in rows) / n, 1) if n else 0.0
    return out


def summarize_quality(rows: Sequence[CaseResult]) -> dict[str, float]:
    healed = sum(bool(r.heal) for r in recorded(rows))
    return {"quality_cases": len(recorded(rows)), "healed_share": _share(healed, len(recorded(rows))), **rank_vs_greedy(rows), **gate_changes(rows),
            **step_latency(rows)}


def paired(results: Sequence[CaseResult], a: str, b: str) -> dict[str, int]:
    """Exact match of arm `a` against arm `b` on the cases both ran: both right, only a, only b, neither."""
    by_case = {(r.case_id, r.arm): r for r in results}
    cases = sorted({r.case_id for r in results if (r.case_id, a) in by_case and (r.case_id, b) in by_case})
    counts = {"cases": len(cases), "both": 0, "only_" + a: 0, "only_" + b: 0, "neither": 0}
    for case in cases:
        ra, rb = by_case[(case, a)], by_case[(case, b)]
        hit_a, hit_b = bool(exact_match(ra.prediction, ra.answer)), bool(exact_match(rb.prediction, rb.answer))
        key = "both" if hit_a and hit_b else f"only_{a}" if hit_a else f"only_{b}" if hit_b else "neither"
        counts[key] += 1
    return counts


def healing_pairs(arm_names: Sequence[str]) -> list[tuple[str, str]]:
    """(without healing, with healing) arm pairs present in a run: `X:no-heal` with `X:heal`, else with `X`."""
    pairs = []
    for name in arm_names:
        base, _, variant = name.partition(":")
        if variant == "no-heal":
            for other in (f"{base}:heal", base):
                if other in arm_names:
                    pairs.append((name, other))
                    break
    return pairs


def format_quality(summary: dict[str, dict[str, float]]) -> str:
    """A second table: greedy vs ranked, gate changes, healing, and the cost of each step (p50/p95 ms)."""
    header = ["arm", "healed", "greedy EM", "ranked EM", "ranked≠greedy", "EM +/-", "ES +/-", "cand",
              "gate chg", "gen tok", *[f"{s} p50/p95" for s in ("analyze", "gate", "rank", "alternatives", "generate")]]
    rows = [header]
    for arm, e in summary.items():
        rows.append([
            arm, f"{e.get('healed_share', 0):.2f}", f"{e.get('greedy_exact_match', 0):.3f}",
            f"{e.get('exact_match', 0):.3f}", f"{int(e.get('rank_differs', 0))}/{int(e.get('cases', 0))}",
            f"{int(e.get('rank_wins_em', 0))}/{int(e.get('rank_loses_em', 0))}",
            f"{int(e.get('rank_wins_es', 0))}/{int(e.get('rank_loses_es', 0))}", f"{e.get('candidates_mean', 0):.2f}",
            f"{int(e.get('gate_changed', 0))} ({e.get('gate_changed_share', 0):.1%})",
            f"{e.get('generated_tokens_mean', 0):.1f}",
            *[f"{e.get(f'{s}_p50_ms', 0):.1f}/{e.get(f'{s}_p95_ms', 0):.1f}"
              for s in ("analyze", "syntax_gate", "rank", "alternatives", "generate")],
        ])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)) for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)
