"""`tabstop eval` end to end with the real default model: the mid-identifier variant, healing on and off.

A tiny repository (3 cross-file cases) keeps it to six model requests. What is
checked is the harness's behaviour — cases, per-case records, the summary and
resuming — not the model's accuracy.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import server_env
from tests.unit.test_eval_cases import BILLING  # the same billing module as the pure tests

pytestmark = [pytest.mark.model, pytest.mark.slow]

CHECKOUT = '''from shop.billing import compute_total, Invoice


def checkout(cart, customer):
    """Close a cart."""
    invoice = Invoice(customer)
    total = compute_total(cart.items, tax_rate=0.21)
    return invoice, total
'''
REFUND = '''from shop.billing import Invoice


def refund(order, customer):
    """Money back."""
    note = Invoice(order.customer)
    return note
'''


def run_eval(repo: Path, out: Path, index: Path, *extra: str) -> subprocess.CompletedProcess:
    threads = os.environ.get("TABSTOP_TEST_THREADS", "0")
    cmd = [sys.executable, "-m", "lsp.cli", "--log-level", "info", "eval", str(repo), "--out", str(out),
           "--cases", "3", "--variant", "mid-identifier", "--arms", "in-file:no-heal,in-file:heal",
           "--candidates", "2", "--max-tokens", "16", "--deadline-ms", "120000", "--threads", threads, *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                          env=server_env(TABSTOP_INDEX_DIR=str(index)))


def test_mid_identifier_eval_with_and_without_healing(tmp_path):
    repo = tmp_path / "shop_repo"
    (repo / "shop").mkdir(parents=True)
    (repo / "shop/__init__.py").write_text("# shop\n")
    (repo / "shop/billing.py").write_text(BILLING)
    (repo / "shop/checkout.py").write_text(CHECKOUT)
    (repo / "shop/refund.py").write_text(REFUND)
    out = tmp_path / "eval"
    recording = tmp_path / "generations.jsonl"
    done = run_eval(repo, out, tmp_path / "index", "--generation-cache", str(recording))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "greedy EM" in done.stdout and "in-file:no-heal vs in-file:heal" in done.stdout

    cases = {c["id"]: c for c in json.loads((out / "cases.json").read_text())}
    assert len(cases) == 3 and {c["variant"] for c in cases.values()} == {"mid-identifier"}
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert sorted((r["case_id"], r["arm"]) for r in rows) == sorted(
        (c, a) for c in cases for a in ("in-file:no-heal", "in-file:heal"))
    for r in rows:
        case = cases[r["case_id"]]
        original = (repo / case["path"]).read_text()
        typed = original[: case["cursor_offset"]].rsplit("\n", 1)[-1]
        assert r["step_ms"].get("analyze", -1) >= 0 and r["candidates"] >= 1
        if r["arm"] == "in-file:heal":
            # The partial name before the cursor is what healing cut and regenerated.
            assert r["heal"] and typed.endswith(r["heal"]) and case["name"].startswith(r["heal"].strip())
        else:
            assert r["heal"] == ""
        if r["candidates"] == 1:
            assert r["prediction"] == r["greedy"]
        if not r["post_changed"]:
            assert r["greedy"] == r["raw"]  # nothing changed it: what was generated is what is scored

    summary = json.loads((out / "summary.json").read_text())
    assert summary["variant"] == "mid-identifier" and summary["settings"]["candidates"] == 2
    heal, plain = summary["arms"]["in-file:heal"], summary["arms"]["in-file:no-heal"]
    assert heal["healed_share"] == 1.0 and plain["healed_share"] == 0.0
    for figure in ("greedy_exact_match", "gate_changed_share", "rank_differs", "syntax_gate_p95_ms"):
        assert figure in heal
    texts = {p.relative_to(repo).as_posix(): p.read_text() for p in repo.rglob("*.py")}
    copyable = [c for c in cases.values() if any(c["answer"].strip() in t for p, t in texts.items() if p != c["path"])]
    assert summary["copyable_cases"] == len(copyable) == heal["copyable_cases"]
    pair = summary["healing_pairs"]["in-file:no-heal vs in-file:heal"]
    assert pair["cases"] == 3 and sum(v for k, v in pair.items() if k != "cases") == 3

    # Resumable: a rerun finds every (case, arm) done and makes no new request.
    again = run_eval(repo, out, tmp_path / "index")
    assert again.returncode == 0, again.stderr[-3000:]
    assert len((out / "results.jsonl").read_text().splitlines()) == len(rows)
    assert "[1/" not in again.stderr  # no progress lines: nothing was run

    # A fresh run with the recording replays every generation (same prompts): the same predictions,
    # no model request — what makes re-running a benchmark after a ranking change cheap.
    replay = run_eval(repo, tmp_path / "replay", tmp_path / "index", "--generation-cache", str(recording))
    assert replay.returncode == 0, replay.stderr[-3000:]
    cache = json.loads((tmp_path / "replay/summary.json").read_text())["generation_cache"]
    assert cache["misses"] == 0 and cache["hits"] >= len(rows)
    replayed = {(r["case_id"], r["arm"]): r["prediction"]
                for r in map(json.loads, (tmp_path / "replay/results.jsonl").read_text().splitlines())}
    assert replayed == {(r["case_id"], r["arm"]): r["prediction"] for r in rows}
