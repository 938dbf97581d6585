"""Security properties of the real server process (docs/security.md)."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, server_command, server_env
from tests.rawlsp import RawServer, encode

HOSTILE_MODULES = ("runtime", "completion", "llama_cpp", "torch", "numpy", "pygls", "lsprotocol", "sitecustomize")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of LISTEN sockets on `port`, from /proc/net/tcp{,6} (hex, as the kernel writes them)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            addr, _, hexport = local.partition(":")
            if state == "0A" and int(hexport, 16) == port:
                found.add(addr)
    return found


def test_tcp_mode_binds_to_loopback_by_default_and_serves():
    port = _free_port()
    proc = subprocess.Popen([*server_command()[:-1], "serve", "--tcp", str(port)],
                            env=server_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not _listening_addresses(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        addresses = _listening_addresses(port)
        assert addresses == {"0100007F"}, addresses  # 127.0.0.1 only, not 0.0.0.0 or ::
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(encode({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                 "params": {"capabilities": {}}}))
            data = b""
            while b'"id": 1' not in data and b'"id":1' not in data:
                chunk = sock.recv(65536)
                assert chunk, "connection closed before the initialize reply"
                data += chunk
            assert b"capabilities" in data
            sock.sendall(encode({"jsonrpc": "2.0", "id": 2, "method": "textDocument/inlineCompletion",
                                 "params": {"bogus": 1}}))
            while b"-32602" not in data:
                chunk = sock.recv(65536)
                assert chunk
                data += chunk
    finally:
        proc.kill()
        proc.wait()


def test_workspace_code_is_never_imported(tmp_path):
    """Started the way editors start servers (cwd = the workspace), via `python -m`, which puts cwd on sys.path."""
    marker = tmp_path / "EXECUTED"
    for name in HOSTILE_MODULES:
        (tmp_path / f"{name}.py").write_text(
            f"open({str(marker)!r}, 'a').write({name!r} + '\\n')\nraise SystemExit('workspace code ran')\n")
    (tmp_path / "app.py").write_text("import runtime\n\ndef add(a, b):\n    return ")
    proc = subprocess.Popen(server_command(), cwd=tmp_path, env=server_env(), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        out = b""
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(encode({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                 "params": {"capabilities": {}, "rootUri": tmp_path.as_uri(),
                                            "initializationOptions": {"completion": {"maxTokens": 4}}}}))
        proc.stdin.write(encode({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        uri = (tmp_path / "app.py").as_uri()
        proc.stdin.write(encode({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": (tmp_path / "app.py").read_text()}}}))
        proc.stdin.write(encode({"jsonrpc": "2.0", "id": 2, "method": "textDocument/inlineCompletion", "params": {
            "textDocument": {"uri": uri}, "position": {"line": 3, "character": 11}, "context": {"triggerKind": 1}}}))
        proc.stdin.flush()
        deadline = time.monotonic() + 180
        while b'"id": 2' not in out and time.monotonic() < deadline and proc.poll() is None:
            out += proc.stdout.read1(65536)
        assert b'"id": 2' in out and b'"result"' in out, out[-500:]
    finally:
        proc.kill()
        proc.wait()
    assert not marker.exists(), marker.read_text()


@pytest.mark.model
def test_secrets_never_reach_logs(tmp_path):
    """Debug logging on, an API key in the settings, a key in the code: neither is in any log."""
    key = "sk-live-" + "7" * 32
    aws = "AKIA" + "Q" * 16
    log_file = tmp_path / "tabstop.log"
    server = RawServer(tmp_path / "stderr.log", args=("--log-file", str(log_file)), TABSTOP_LOG_LEVEL="debug")
    try:
        server.initialize({"logLevel": "debug", "remote": {"apiKey": key, "headers": {"Authorization": "Bearer " + key}},
                           "completion": {"maxTokens": 4}})
        uri = "untitled:keys.py"
        server.open(uri, f"AWS_KEY = '{aws}'\nclient = make(")
        reply = server.call("textDocument/inlineCompletion", server.inline_params(uri, 1, 14), timeout=180)
        assert "result" in reply
    finally:
        server.close()
    logs = log_file.read_text() + (tmp_path / "stderr.log").read_text()
    logs += json.dumps(server.notifications)  # window/logMessage and friends
    assert "initialize" in logs.lower() or "Sending" in logs  # debug logging really was on
    assert key not in logs and aws not in logs
    assert "[REDACTED]" in logs
