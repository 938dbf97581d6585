"""A raw-bytes LSP client for `tabstop serve`: sends anything, including junk, and checks every answer.

pytest-lsp's client cannot send malformed frames or invalid params (its types
forbid them), which is exactly what the robustness and fuzz tests need. This
client writes bytes to the real server's stdin and parses its stdout strictly:
the server's own output must always be well-formed, whatever we sent.
"""
from __future__ import annotations

import itertools
import json
import subprocess
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from tests.conftest import server_command, server_env


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def encode(message: Any) -> bytes:
    return frame(json.dumps(message).encode("utf-8", "surrogatepass"))


class RawServer:
    """`tabstop serve` over stdio. Responses are collected by id; server requests are answered with null."""

    def __init__(self, stderr_path: Path | None = None, *, args: tuple[str, ...] = (), **env: str) -> None:
        self._stderr = open(stderr_path, "wb") if stderr_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(server_command(*args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._stderr, env=server_env(**env))
        self.responses: dict[Any, list[dict]] = defaultdict(list)
        self.null_id_errors: list[dict] = []
        self.notifications: list[dict] = []
        self.output_errors: list[str] = []  # malformed output from the server (must stay empty)
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._write_lock = threading.Lock()
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    # -- output ----------------------------------------------------------------------------
    def _read_loop(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if line == b"\r\n":
                    break
                name, _, value = line.decode("ascii", "replace").partition(":")
                if name.lower() == "content-length":
                    length = int(value.strip())
                elif name.lower() != "content-type":
                    self.output_errors.append(f"unexpected header line {line!r}")
            if length is None:
                self.output_errors.append("a message without Content-Length")
                continue
            body = out.read(length)
            try:
                message = json.loads(body)
            except ValueError as exc:
                self.output_errors.append(f"invalid JSON from the server: {exc}")
                continue
            self._dispatch(message)

    def _dispatch(self, message: dict) -> None:
        if "method" in message and "id" in message:
            self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            return
        with self._cond:
            if "method" in message:
                self.notifications.append(message)
            elif message.get("id") is None:
                self.null_id_errors.append(message)
            else:
                self.responses[message["id"]].append(message)
            self._cond.notify_all()

    # -- input -----------------------------------------------------------------------------
    def send_bytes(self, data: bytes) -> None:
        with self._write_lock:
            assert self.proc.stdin is not None
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

    def send(self, message: Any) -> None:
        self.send_bytes(encode(message))

    def next_id(self, kind: str = "int") -> int | str:
        n = next(self._ids)
        return f"s{n}" if kind == "str" else n

    def request(self, method: str, params: Any = None, *, id_kind: str = "int") -> int | str:
        msg_id = self.next_id(id_kind)
        message = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return msg_id

    def notify(self, method: str, params: Any = None) -> None:
        message = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)

    # -- waiting ---------------------------------------------------------------------------
    def wait_for(self, ids, timeout: float) -> list[Any]:
        """Wait until every id has a response; return the ids still unanswered at the timeout."""
        ids = list(ids)
        end = time.monotonic() + timeout
        with self._cond:
            while True:
                missing = [i for i in ids if not self.responses.get(i)]
                left = end - time.monotonic()
                if not missing or left <= 0 or self.proc.poll() is not None:
                    return missing
                self._cond.wait(min(left, 0.5))

    def call(self, method: str, params: Any = None, timeout: float = 30.0) -> dict:
        msg_id = self.request(method, params)
        missing = self.wait_for([msg_id], timeout)
        assert not missing, f"no answer to {method} within {timeout}s"
        return self.responses[msg_id][0]

    def alive(self) -> bool:
        return self.proc.poll() is None

    # -- session helpers -------------------------------------------------------------------
    def initialize(self, options: dict | None = None, root: Path | None = None, encodings=("utf-16",)) -> dict:
        reply = self.call("initialize", {
            "processId": None,
            "rootUri": root.as_uri() if root else None,
            "capabilities": {"general": {"positionEncodings": list(encodings)}},
            "initializationOptions": options or {},
        })
        self.notify("initialized", {})
        return reply

    def open(self, uri: str, text: str, version: int = 1, language: str = "python") -> None:
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": language, "version": version, "text": text}})

    def inline_params(self, uri: str, line: int, character: int, trigger: int = 1) -> dict:
        return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character},
                "context": {"triggerKind": trigger}}

    def close(self, timeout: float = 10.0) -> int | None:
        try:
            if self.alive():
                self.call("shutdown", timeout=timeout)
                self.notify("exit")
            return self.proc.wait(timeout)
        except (AssertionError, BrokenPipeError, subprocess.TimeoutExpired):
            return None
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            if self.proc.stdin:
                self.proc.stdin.close()
            if hasattr(self._stderr, "close"):
                self._stderr.close()
