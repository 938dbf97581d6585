"""A stand-in for llama.cpp's `llama-server` and for Ollama, on 127.0.0.1.

Neither binary can be built or installed on this machine (no C++ server build of
llama.cpp, no Ollama download), so this small starlette app speaks their wire
formats exactly as their documentation describes them (llama.cpp server README:
`/infill`, `/completion`, `/health`; Ollama docs/api.md: `/api/generate`,
`/api/version`) — streaming included — and records what it was sent. What it
generates comes from `StandIn.reply`: a list of pieces set by the test, or a
callable (a test can put the real local model behind it).

`fault` switches on one misbehaviour at a time: slow_first_byte, stall (mid-stream),
reset_mid (connection dropped mid-stream), http500, http429 (always) / http429_once,
invalid_json, truncated (clean end without the final message), truncated_line (cut
inside a message). A TCP reset before any response comes from `ResetServer`.
"""
from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

Reply = list[str] | Callable[[str, dict[str, Any]], list[str]]


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class StandIn:
    reply: Reply = field(default_factory=lambda: ["return ", "self.width", " * self.height", "\n"])
    fault: str = ""
    delay_s: float = 0.0  # slow_first_byte: headers after this long; stall: silence after two pieces
    model: str = "qwen2.5-coder:7b"
    seen: list[Seen] = field(default_factory=list)
    disconnects: int = 0
    prompt_tokens: int = 42
    redirect_to: str = ""  # fault "redirect": answer 307 to this URL
    apply_stops: bool = True  # False: behave like a server that ignores `stop` (the client must cut)
    _429_sent: bool = False

    def reset(self) -> None:
        self.reply = ["return ", "self.width", " * self.height", "\n"]
        self.fault, self.delay_s, self.seen, self.disconnects, self._429_sent = "", 0.0, [], 0, False
        self.apply_stops = True

    # -- shared --------------------------------------------------------------------------------
    def _pieces(self, path: str, body: dict[str, Any]) -> list[str]:
        return list(self.reply(path, body) if callable(self.reply) else self.reply)

    async def _record(self, request: Request) -> Any:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self.seen.append(Seen(request.url.path, dict(request.headers), body))
        return body

    async def _fault_before(self, request: Request | None = None) -> Response | None:
        if self.fault == "redirect":
            return Response(status_code=307, headers={"location": self.redirect_to})
        if self.fault == "echo_auth" and request is not None:  # a careless proxy that echoes credentials
            auth = request.headers.get("authorization", "")
            return JSONResponse({"error": {"code": 401, "message": f"invalid credentials {auth!r}"}}, status_code=401)
        if self.fault == "slow_first_byte":
            await asyncio.sleep(self.delay_s)
        if self.fault == "http500":
            return JSONResponse({"error": {"code": 500, "message": "CUDA error: out of memory", "type": "server_error"}},
                                status_code=500)
        if self.fault == "http429" or (self.fault == "http429_once" and not self._429_sent):
            self._429_sent = True
            return JSONResponse({"error": {"code": 429, "message": "too many requests", "type": "unavailable_error"}},
                                status_code=429, headers={"Retry-After": "0"})
        return None

    async def _stream(self, events: list[bytes], final: bytes) -> Any:
        """Yield the encoded messages, misbehaving as `fault` says."""
        try:
            for i, data in enumerate(events):
                if i == 2 and self.fault == "stall":
                    await asyncio.sleep(self.delay_s or 3600)
                if i == 2 and self.fault == "reset_mid":
                    raise ConnectionResetError("stand-in: dropping the connection mid-stream")
                if i == 2 and self.fault == "invalid_json":
                    yield b"data: {\"content\": \"x\", oops\n\n" if final.startswith(b"data") else b"{\"response\": oops}\n"
                    continue
                if i == 2 and self.fault == "truncated_line":
                    yield data[: len(data) // 2]
                    return
                yield data
                await asyncio.sleep(0.005)
            if self.fault == "truncated":
                return
            yield final
        except asyncio.CancelledError:
            self.disconnects += 1
            raise

    # -- llama.cpp server ----------------------------------------------------------------------
    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def llama(self, request: Request) -> Response:
        body = await self._record(request)
        error = _check_llama(request.url.path, body)
        if error:
            return JSONResponse({"error": {"code": 400, "message": error, "type": "invalid_request_error"}}, status_code=400)
        early = await self._fault_before(request)
        if early is not None:
            return early
        pieces = self._pieces(request.url.path, body)
        n_predict = body.get("n_predict", -1)
        pieces, stop_type, word = _limit(pieces, n_predict, (body.get("stop") or []) if self.apply_stops else [])
        n_probs = int(body.get("n_probs", 0) or 0)
        events = []
        for i, piece in enumerate(pieces):
            msg: dict[str, Any] = {"index": 0, "content": piece, "tokens": [i], "stop": False, "id_slot": 0,
                                   "tokens_predicted": i + 1, "tokens_evaluated": self.prompt_tokens}
            if n_probs:
                msg["completion_probabilities"] = [{
                    "id": 1000 + i, "token": piece, "bytes": list(piece.encode()), "logprob": -0.25,
                    "top_logprobs": [{"id": 1000 + i, "token": piece, "bytes": list(piece.encode()), "logprob": -0.25}],
                }]
            events.append(_sse(msg))
        final = {
            "index": 0, "content": "", "tokens": [], "id_slot": 0, "stop": True, "model": self.model,
            "tokens_predicted": len(pieces), "tokens_evaluated": self.prompt_tokens,
            "generation_settings": {"n_predict": n_predict}, "prompt": "", "has_new_line": False,
            "truncated": False, "stop_type": stop_type, "stopping_word": word, "tokens_cached": 30,
            "timings": {"cache_n": 30, "prompt_n": self.prompt_tokens - 30, "prompt_ms": 12.5,
                        "prompt_per_token_ms": 1.0, "prompt_per_second": 1000.0,
                        "predicted_n": len(pieces), "predicted_ms": 20.0},
        }
        if not body.get("stream", False):
            if self.fault in ("invalid_json", "truncated_line"):
                return Response(b'{"content": "return', media_type="application/json")
            return JSONResponse({**final, "content": "".join(pieces)})
        return StreamingResponse(self._stream(events, _sse(final)), media_type="text/event-stream")

    # -- Ollama --------------------------------------------------------------------------------
    async def ollama_version(self, request: Request) -> Response:
        return JSONResponse({"version": "0.12.6"})

    async def ollama_generate(self, request: Request) -> Response:
        body = await self._record(request)
        if not isinstance(body, dict) or not isinstance(body.get("model"), str):
            return JSONResponse({"error": "model is required"}, status_code=400)
        if body["model"] != self.model:
            return JSONResponse({"error": f"model '{body['model']}' not found"}, status_code=404)
        early = await self._fault_before(request)
        if early is not None:
            if early.status_code >= 500 or early.status_code == 429:  # Ollama's own error shape
                return JSONResponse({"error": "llama runner process has terminated"}, status_code=early.status_code)
            return early
        options = body.get("options") or {}
        pieces, stop_type, _ = _limit(self._pieces(request.url.path, body), options.get("num_predict", -1),
                                      (options.get("stop") or []) if self.apply_stops else [])
        created = "2026-11-22T06:00:00.000000Z"
        events = []
        for piece in pieces:
            msg: dict[str, Any] = {"model": self.model, "created_at": created, "response": piece, "done": False}
            if body.get("logprobs"):
                msg["logprobs"] = [{"token": piece, "logprob": -0.5, "bytes": list(piece.encode())}]
            events.append(json.dumps(msg).encode() + b"\n")
        final = {"model": self.model, "created_at": created, "response": "", "done": True,
                 "done_reason": "length" if stop_type == "limit" else "stop",
                 "total_duration": 120_000_000, "load_duration": 1_000_000, "prompt_eval_count": self.prompt_tokens,
                 "prompt_eval_duration": 8_000_000, "eval_count": len(pieces), "eval_duration": 90_000_000}
        if not body.get("raw"):
            final["context"] = [1, 2, 3]
        if body.get("stream") is False:
            return JSONResponse({**final, "response": "".join(pieces)})
        return StreamingResponse(self._stream(events, json.dumps(final).encode() + b"\n"),
                                 media_type="application/x-ndjson")

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/health", self.health, methods=["GET"]),
            Route("/infill", self.llama, methods=["POST"]),
            Route("/completion", self.llama, methods=["POST"]),
            Route("/api/generate", self.ollama_generate, methods=["POST"]),
            Route("/api/version", self.ollama_version, methods=["GET"]),
        ])


def _sse(msg: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(msg).encode() + b"\n\n"


def _limit(pieces: list[str], n_predict: int, stops: list[str]) -> tuple[list[str], str, str]:
    """Apply n_predict (one piece ~ one token here) and stop words, as the servers do."""
    stop_type, word = "eos", ""
    if isinstance(n_predict, int) and n_predict >= 0 and len(pieces) > n_predict:
        pieces, stop_type = pieces[:n_predict], "limit"
    text = "".join(pieces)
    hits = [(text.find(s), s) for s in stops if s and s in text]
    if hits:
        cut, word = min(hits)
        out, used = [], 0
        for piece in pieces:
            if used + len(piece) >= cut:
                out.append(piece[: cut - used])
                break
            out.append(piece)
            used += len(piece)
        pieces, stop_type = [p for p in out if p], "word"
    return pieces, stop_type, word


def _check_llama(path: str, body: Any) -> str:
    if not isinstance(body, dict):
        return "request body must be a JSON object"
    if path == "/infill":
        if not isinstance(body.get("input_prefix", ""), str) or not isinstance(body.get("input_suffix", ""), str):
            return "\"input_prefix\" and \"input_suffix\" must be strings"
        extra = body.get("input_extra", [])
        if not isinstance(extra, list) or not all(
                isinstance(c, dict) and isinstance(c.get("filename"), str) and isinstance(c.get("text"), str) for c in extra):
            return "\"input_extra\" must be an array of {\"filename\": string, \"text\": string}"
    elif not isinstance(body.get("prompt"), (str, list)):
        return "\"prompt\" must be a string or an array"
    return ""


class ServerThread:
    """uvicorn in a background thread on a socket we bind (port 0 or a port to reuse)."""

    def __init__(self, app: Any, port: int = 0, ssl_certfile: str | None = None, ssl_keyfile: str | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="critical", lifespan="off", timeout_graceful_shutdown=1,
                                ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, daemon=True, name=f"standin-{self.port}")

    def _run(self) -> None:
        asyncio.run(self.server.serve(sockets=[self.sock]))

    def start(self) -> "ServerThread":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("stand-in server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


class ResetServer:
    """Accepts a connection, reads the request, and answers with a TCP reset (RST)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.settimeout(2)
            try:
                conn.recv(65536)
            except OSError:
                pass
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    def stop(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def free_port() -> int:
    """A port nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
