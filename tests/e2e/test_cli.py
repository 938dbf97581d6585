"""`tabstop complete`, the one-shot command ./setup.sh ends with, as a subprocess with the real model."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT, server_env

pytestmark = pytest.mark.model
DEMO = str(ROOT / "samples" / "demo.py")


def tabstop(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lsp.cli", "--log-level", "warning", *args], cwd=ROOT,
                          env=server_env(), capture_output=True, text=True, timeout=600)


def test_complete_prints_the_demo_completion_with_its_prompt_and_timings():
    run = tabstop("complete", DEMO, "--line", "10", "--character", "11", "--show-prompt", "--repeat", "2")
    assert run.returncode == 0, run.stderr[-2000:]
    out = run.stdout
    assert "<|fim_prefix|>" in out and "<|fim_suffix|>" in out  # --show-prompt
    assert "fibonacci(n - 1) + fibonacci(n - 2)" in out.replace("n-1", "n - 1").replace("n-2", "n - 2")
    timings = run.stderr  # the completion goes to stdout, the report to stderr
    assert "run 1:" in timings and "run 2:" in timings and "evaluated" in timings
    second = next(line for line in timings.splitlines() if line.startswith("run 2:"))
    assert "(0 reused)" not in second  # the repeat reuses the KV cache


def test_complete_json_reports_tokens_and_never_cuts_a_one_shot_at_the_editor_deadline():
    run = tabstop("complete", DEMO, "--line", "10", "--character", "11", "--json")
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout)
    first = report["runs"][0]
    assert report["completion"] and first["prompt_tokens"] > 50 and first["prompt_tokens_evaluated"] > 0
    assert first["stop_reason"] != "deadline"


def test_complete_bad_input_exits_with_a_clear_message():
    past = tabstop("complete", DEMO, "--line", "400", "--character", "0")
    assert past.returncode == 2 and "past the end" in past.stderr
    missing = tabstop("complete", str(ROOT / "samples" / "no-such-file.py"), "--line", "0", "--character", "0")
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    model = tabstop("complete", DEMO, "--line", "10", "--character", "11", "--model", "/nonexistent/model.gguf")
    assert model.returncode == 3 and "neither a file nor a known model" in model.stderr
