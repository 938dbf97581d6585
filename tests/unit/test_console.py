"""One-shot command output, and the guard that keeps it out of `tabstop serve`'s protocol stream."""
from __future__ import annotations

import logging

from lsp import console


def test_results_go_to_stdout_and_reports_to_stderr(capsys):
    console.say("completion")
    console.say("report", err=True)
    captured = capsys.readouterr()
    assert captured.out == "completion\n" and captured.err == "report\n"


def test_nothing_reaches_stdout_once_serving(capsys, caplog, monkeypatch):
    monkeypatch.setattr(console, "_serving", False)
    console.serving()
    with caplog.at_level(logging.ERROR):
        console.say("would corrupt the LSP stream")
    assert capsys.readouterr().out == ""
    assert "dropped" in caplog.text
