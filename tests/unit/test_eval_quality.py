"""The eval harness's quality figures: pure functions over recorded per-case results (no model)."""
from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from completion.evaluation import arms
from completion.evaluation.metrics import METRICS
from completion.evaluation.quality import (
    format_quality, gate_changes, healing_pairs, paired, rank_vs_greedy, step_latency, summarize_quality,
)
from completion.evaluation.runner import CaseResult, format_table, load_results, summarize


def row(case: str, arm: str, prediction: str, answer: str, *, greedy: str | None = None, gate: bool = False,
        heal: str = "", candidates: int = 1, steps: dict | None = None, generated: int = 4) -> CaseResult:
    return CaseResult(
        case_id=case, arm=arm, prediction=prediction, answer=answer,
        metrics={name: fn(prediction, answer) for name, fn in METRICS.items()},
        total_ms=100.0, context_ms=0.0, prompt_tokens=300, prompt_tokens_evaluated=300, context_items=0,
        context_tokens=0, greedy=prediction if greedy is None else greedy, heal=heal, gate_changed=gate,
        post_changed=["syntax_gate"] if gate else [], candidates=candidates, prompt_ms=50.0, generate_ms=40.0,
        generated_tokens=generated,
        step_ms=steps if steps is not None else {"analyze": 1.0, "postprocess": 0.5, "syntax_gate": 0.2,
                                                 "rank": 0.1, "alternatives": 0.0},
    )


RUN = [
    # ranked == greedy, right
    row("a", "in-file:heal", "oice(customer)", "oice(customer)", heal="Inv", candidates=2),
    # ranked beats greedy on exact match (and edit similarity)
    row("b", "in-file:heal", "pute_total(x)", "pute_total(x)", greedy="pute_totals(y)", heal="com", candidates=3,
        steps={"analyze": 2.0, "postprocess": 1.0, "syntax_gate": 0.6, "rank": 0.3, "alternatives": 30.0}),
    # ranked loses to greedy on exact match
    row("c", "in-file:heal", "ser(a)", "ser(b)", greedy="ser(b)", heal="Par", candidates=2, gate=True),
    # ranked differs, neither exact; ranked is closer
    row("d", "in-file:heal", "oad(path, x)", "oad(path)", greedy="ave(q)", candidates=2),
    row("a", "in-file:no-heal", "ooice(customer)", "oice(customer)"),
    row("b", "in-file:no-heal", "pute_total(x)", "pute_total(x)", gate=True),
    row("c", "in-file:no-heal", "ser(b)", "ser(b)"),
    row("d", "in-file:no-heal", "oad(path)", "oad(path)"),
]


def test_rank_vs_greedy_counts_wins_and_losses_case_by_case():
    healed = [r for r in RUN if r.arm == "in-file:heal"]
    figures = rank_vs_greedy(healed)
    assert figures["rank_differs"] == 3
    assert (figures["rank_wins_em"], figures["rank_loses_em"]) == (1, 1)
    assert (figures["rank_wins_es"], figures["rank_loses_es"]) == (2, 1)
    assert figures["greedy_exact_match"] == 0.5  # a and c
    assert figures["candidates_mean"] == 2.25
    assert rank_vs_greedy([])["rank_differs"] == 0


def test_gate_share_counts_greedy_completions_the_gate_changed():
    assert gate_changes([r for r in RUN if r.arm == "in-file:heal"]) == {"gate_changed": 1, "gate_changed_share": 0.25}
    assert gate_changes([]) == {"gate_changed": 0, "gate_changed_share": 0.0}


def test_step_latency_percentiles_and_model_time_without_alternatives():
    healed = [r for r in RUN if r.arm == "in-file:heal"]
    figures = step_latency(healed)
    assert figures["analyze_p50_ms"] == 1.0 and figures["analyze_p95_ms"] == 2.0
    assert figures["alternatives_p95_ms"] == 30.0
    assert figures["generate_p50_ms"] == 40.0 and figures["generate_p95_ms"] == 40.0  # b: 40 - 30 = 10
    assert sorted(r.generate_ms - r.step_ms["alternatives"] for r in healed)[0] == 10.0
    assert figures["generated_tokens_mean"] == 4.0
    # Rows from an older results file have no step timings: they are left out, not counted as zero.
    old = CaseResult("x", "in-file", "p", "p", {}, 1.0, 0.0, 1, 1, 0, 0)
    assert step_latency(healed + [old])["analyze_p50_ms"] == 1.0


def test_summary_per_arm_includes_quality_figures_and_tables_show_them():
    chosen = arms.select("in-file:no-heal,in-file:heal")
    summary = summarize(RUN, chosen)
    heal, plain = summary["in-file:heal"], summary["in-file:no-heal"]
    assert heal["exact_match"] == 0.5 and plain["exact_match"] == 0.75
    assert heal["healed_share"] == 0.75 and plain["healed_share"] == 0.0
    assert heal["rank_wins_em"] == 1 and plain["rank_differs"] == 0
    assert plain["gate_changed_share"] == 0.25
    table = format_quality(summary)
    assert "in-file:heal" in table and "3/4" in table and "1 (25.0%)" in table
    assert "in-file:no-heal" in format_table(summary)


def test_exact_match_on_the_copyable_subset_is_reported_beside_the_whole():
    chosen = arms.select("in-file:no-heal,in-file:heal")
    ids = sorted({r.case_id for r in RUN})
    summary = summarize(RUN, chosen, copyable={ids[0], ids[1]})
    for name, entry in summary.items():
        subset = [r for r in RUN if r.arm == name and r.case_id in ids[:2]]
        assert entry["copyable_cases"] == 2
        assert entry["exact_match_copyable"] == sum(r.metrics["exact_match"] for r in subset) / 2
    assert "EM copyable" in format_table(summary)
    assert "copyable_cases" not in summarize(RUN, chosen)["in-file:heal"]  # not computed: not reported
    assert "EM copyable" not in format_table(summarize(RUN, chosen))


def test_healing_pairs_compare_exact_match_case_by_case():
    assert healing_pairs(["in-file:no-heal", "in-file:heal", "+both:no-heal", "+both"]) == [
        ("in-file:no-heal", "in-file:heal"), ("+both:no-heal", "+both")]
    assert healing_pairs(["in-file", "+both:heal"]) == []
    counts = paired(RUN, "in-file:no-heal", "in-file:heal")
    assert counts == {"cases": 4, "both": 1, "only_in-file:no-heal": 2, "only_in-file:heal": 1, "neither": 0}
    # Only cases both arms ran are compared (an interrupted run may hold one arm's row only).
    partial = RUN + [row("e", "in-file:heal", "x", "x")]
    assert paired(partial, "in-file:no-heal", "in-file:heal")["cases"] == 4


def test_results_of_older_runs_still_load(tmp_path):
    """Resuming a run whose results file predates the quality fields must not lose its rows."""
    path = tmp_path / "results.jsonl"
    old = {k: v for k, v in asdict(RUN[0]).items()
           if k in ("case_id", "arm", "prediction", "answer", "metrics", "total_ms", "context_ms", "prompt_tokens",
                    "prompt_tokens_evaluated", "context_items", "context_tokens", "skipped", "context_report")}
    path.write_text(json.dumps(old) + "\n" + json.dumps(asdict(RUN[1])) + "\n" + '{"case_id": "cut sh')
    loaded = load_results(path)
    assert [r.case_id for r in loaded] == ["a", "b"]
    assert loaded[0].greedy == "" and loaded[0].step_ms == {} and loaded[1].greedy == "pute_totals(y)"
    figures = summarize_quality(loaded)  # the old row has no greedy to compare: it is left out, not a difference
    assert figures["quality_cases"] == 1 and figures["rank_differs"] == 1


@pytest.mark.parametrize("figure", ["greedy_exact_match", "gate_changed_share", "rank_wins_em", "healed_share",
                                    "syntax_gate_p95_ms", "alternatives_p50_ms"])
def test_summary_json_has_every_figure(figure):
    assert figure in summarize(RUN, arms.select("in-file:heal"))["in-file:heal"]
