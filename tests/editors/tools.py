"""Installing and building what the editor tests need, cached under the user cache dir.

Each helper either returns what was asked for, calls `pytest.skip` with the reason when the
thing cannot be installed on this machine (no node, no package registry, not root for
apt), or fails when something that should work does not.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import platformdirs
import pytest

from tests.conftest import ROOT

CLIENT = ROOT / "vscode-client"
SETUP_SKIP = 77  # vscode-client/e2e/setup.sh: "cannot be installed here"


def cache_dir() -> Path:
    base = os.environ.get("TABSTOP_CACHE_DIR") or platformdirs.user_cache_dir("tabstop")
    return Path(base) / "editors"


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed; the editor tests need it")
    return path


def _run(cmd: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def npm_install(folder: Path = CLIENT) -> None:
    """`npm ci` when node_modules is missing or older than the lock file (npm's own cache makes a re-run quick)."""
    require("node")
    npm = require("npm")
    marker = folder / "node_modules" / ".package-lock.json"
    lock = folder / "package-lock.json"
    if marker.exists() and marker.stat().st_mtime >= lock.stat().st_mtime:
        return
    proc = _run([npm, "ci", "--no-audit", "--no-fund"], folder, timeout=600)
    if proc.returncode != 0:
        ping = _run([npm, "ping"], folder, timeout=60)
        if ping.returncode != 0:
            pytest.skip(f"npm ci failed and the npm registry is unreachable: {proc.stderr.strip()[-300:]}")
        pytest.fail(f"npm ci failed in {folder}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")


def npm_script(script: str, folder: Path = CLIENT, timeout: float = 300) -> str:
    npm_install(folder)
    proc = _run([shutil.which("npm") or "npm", "run", "--silent", script], folder, timeout=timeout)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"npm run {script} failed:\n{output[-4000:]}"
    return output


def _client_hash() -> str:
    """A digest of everything that goes into the .vsix, to reuse a build when nothing changed."""
    digest = hashlib.sha256()
    files = [CLIENT / name for name in ("package.json", "package-lock.json", "tsconfig.json", ".vscodeignore", "LICENSE")]
    files += sorted((CLIENT / "src").rglob("*.ts"))
    for path in files:
        digest.update(path.relative_to(CLIENT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build_vsix() -> Path:
    """The packaged extension, built with the project's own `npm run package`."""
    cached = cache_dir() / "vsix" / f"tabstop-{_client_hash()}.vsix"
    if cached.exists():
        return cached
    npm_script("package", timeout=600)
    built = CLIENT / "tabstop.vsix"
    assert built.exists(), "npm run package did not write vscode-client/tabstop.vsix"
    cached.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(built, cached)
    return cached


def setup_code_server() -> dict[str, str]:
    """Run vscode-client/e2e/setup.sh (apt + npm installs, cached); return the paths it prints."""
    require("node")
    require("npm")
    env = dict(os.environ, TABSTOP_EDITORS_CACHE=str(cache_dir()))
    proc = _run(["bash", str(CLIENT / "e2e" / "setup.sh")], CLIENT, timeout=1200, env=env)
    if proc.returncode == SETUP_SKIP:
        reason = [line for line in proc.stderr.splitlines() if line.startswith("SKIP:")]
        pytest.skip(f"VS Code e2e dependencies cannot be installed: {reason[-1] if reason else proc.stderr[-300:]}")
    assert proc.returncode == 0, f"setup.sh failed:\n{proc.stderr[-3000:]}"
    return dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
