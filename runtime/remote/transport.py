"""One streaming HTTP exchange with a model server: timeouts per phase, retries, wire framing.

Phases and their limits (RemoteSettings):
- connect (TCP + TLS): `connect_timeout_s`, enforced by httpx;
- first byte (request sent → first body byte; the server evaluates the prompt here):
  `first_byte_timeout_s`, bounded by the request's deadline;
- between chunks: `read_timeout_s` — a stream that goes silent this long has stalled;
- overall: the request's deadline (the completion deadline, capped by `total_timeout_s`).
  When it passes mid-stream that is not a server failure: the caller keeps what arrived.

Retries happen only before the first byte (connection refused or reset, 429, 5xx), with
exponential back-off and a 429's Retry-After, never past the deadline: once text has
streamed, a retry would make the editor wait twice for a different answer.

Framing: Server-Sent Events (llama.cpp, OpenAI-compatible servers, including the
`error:` field llama.cpp uses mid-stream), newline-delimited JSON (Ollama), or one
JSON body when a server ignores `stream: true`. Anything else raises
RemoteStreamError, which the backend turns into a logged error and an empty result.
"""
from __future__ import annotations

import asyncio
import codecs
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, AsyncIterator

import httpx

from runtime.config import RemoteSettings
from runtime.errors import RemoteStreamError, RemoteUnavailable
from runtime.remote.security import Origin, OriginBearerAuth, Redactor, tls_context

log = logging.getLogger(__name__)
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_ERROR_BODY = 4096
MAX_LINE = 1 << 20  # a single SSE/NDJSON line longer than 1 MiB is not a token stream


@dataclass(frozen=True)
class Event:
    """One decoded message of a stream: `data` is parsed JSON; kind is data | error | done."""

    data: Any
    kind: str = "data"


class DeadlineReached(Exception):
    """The request's deadline passed after the stream had begun (not a server failure)."""


class Transport:
    """An httpx client bound to one server origin; created lazily on the running event loop."""

    def __init__(self, settings: RemoteSettings, base_url: httpx.URL, api_key: str, redact: Redactor) -> None:
        self.settings = settings
        self.base_url = base_url
        self._auth = OriginBearerAuth(api_key, Origin.of(base_url))
        self._redact = redact
        self._verify = tls_context(settings.ca_bundle) if base_url.scheme == "https" else True
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.requests_sent = 0

    def client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop or self._client.is_closed:
            s = self.settings
            # httpx's own read timeout is only a backstop: the phase limits below are tighter.
            timeout = httpx.Timeout(connect=s.connect_timeout_s, read=max(s.total_timeout_s, 1.0),
                                    write=max(s.connect_timeout_s, 1.0), pool=max(s.connect_timeout_s, 1.0))
            self._client = httpx.AsyncClient(
                base_url=self.base_url, auth=self._auth, headers=dict(s.headers), timeout=timeout,
                verify=self._verify, follow_redirects=False, trust_env=False,
            )
            self._loop = loop
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None and not client.is_closed:
            try:
                await client.aclose()
            except RuntimeError:  # its event loop is gone (tests, shutdown): nothing left to close
                pass

    # -- one exchange ------------------------------------------------------------------------
    async def stream(self, path: str, body: dict[str, Any], *, deadline: float, framing: str) -> AsyncIterator[Event]:
        """Yield the events of one streamed answer; retry only while no byte has arrived."""
        s = self.settings
        attempt = 0
        while True:
            response: httpx.Response | None = None
            try:
                response, first = await self._open(path, body, deadline)
                break
            except RemoteUnavailable as exc:
                if response is not None:
                    await response.aclose()
                delay = exc.retry_after if exc.retry_after is not None else s.retry_backoff_s * (2 ** attempt)
                if not exc.retryable or attempt >= s.retries or time.monotonic() + delay >= deadline:
                    raise
                attempt += 1
                log.info("remote: %s; retry %d/%d in %.2fs", exc, attempt, s.retries, delay)
                await asyncio.sleep(delay)
        try:
            async for event in self._events(response, first, deadline, framing):
                yield event
        finally:
            await response.aclose()

    async def _open(self, path: str, body: dict[str, Any], deadline: float) -> tuple[httpx.Response, bytes]:
        """Send the request and wait for the first body byte (the first-byte phase)."""
        started = time.monotonic()
        limit = min(deadline, started + self.settings.first_byte_timeout_s)
        client = self.client()
        request = client.build_request("POST", path, json=body)
        response: httpx.Response | None = None
        try:
            async with asyncio.timeout(max(0.0, limit - started)):
                self.requests_sent += 1
                response = await client.send(request, stream=True)
                await self._check_status(response)
                chunks = response.aiter_bytes()
                first = b""
                while not first:
                    try:
                        first = await chunks.__anext__()
                    except StopAsyncIteration:
                        break
        except BaseException as exc:
            if response is not None:
                await response.aclose()
            if isinstance(exc, TimeoutError):
                raise RemoteUnavailable(f"no first byte within {limit - started:.1f}s") from None
            if isinstance(exc, httpx.TimeoutException):
                raise RemoteUnavailable(f"{type(exc).__name__} talking to {self.base_url.host}", retryable=True) from None
            if isinstance(exc, (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
                detail = self._redact(str(exc)) or "connection failed"
                raise RemoteUnavailable(f"{type(exc).__name__}: {detail}", retryable=True) from None
            raise
        response.extensions["tabstop_chunks"] = chunks
        return response, first

    async def _check_status(self, response: httpx.Response) -> None:
        code = response.status_code
        if code < 300:
            return
        if code < 400:
            where = httpx.URL(response.headers.get("location", "")).host or "the same host"
            raise RemoteUnavailable(f"HTTP {code} redirect to {where}: not followed (the API key is only "
                                    "sent to the configured URL; set remote.url to the final address)")
        detail = ""
        try:
            raw = b""
            async for part in response.aiter_bytes():
                raw += part
                if len(raw) >= MAX_ERROR_BODY:
                    break
            detail = _error_message(raw[:MAX_ERROR_BODY])
        except httpx.HTTPError:
            pass
        retry_after = _retry_after(response.headers.get("retry-after"))
        message = f"HTTP {code}" + (f": {self._redact(detail)}" if detail else "")
        raise RemoteUnavailable(message, retryable=code in RETRY_STATUS, retry_after=retry_after)

    async def _events(self, response: httpx.Response, first: bytes, deadline: float, framing: str) -> AsyncIterator[Event]:
        ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == "text/event-stream":
            parser: _Parser = _SseParser()
        elif ctype in ("application/x-ndjson", "application/jsonl") or framing == "ndjson":
            parser = _NdjsonParser()
        elif ctype == "application/json":
            parser = _WholeJsonParser()
        else:
            raise RemoteStreamError(f"unexpected content type {ctype or '(none)'!r}")
        chunks = response.extensions["tabstop_chunks"]
        lines = _LineSplitter()
        data = first
        read_timeout = self.settings.read_timeout_s
        while True:
            for line in lines.feed(data):
                event = parser.line(line)
                if event is not None:
                    yield event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeadlineReached()
            try:
                async with asyncio.timeout(min(read_timeout, remaining)):
                    data = await chunks.__anext__()
            except StopAsyncIteration:
                break
            except TimeoutError:
                if deadline - time.monotonic() <= 0.001:
                    raise DeadlineReached() from None
                raise RemoteStreamError(f"stream stalled: nothing for {read_timeout:.1f}s") from None
            except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                raise RemoteStreamError(f"connection lost mid-stream ({type(exc).__name__})") from None
        for line in lines.flush():  # text after the last newline: a complete last line, or a cut one
            try:
                event = parser.line(line)
            except RemoteStreamError:
                raise RemoteStreamError("stream ended inside a message (truncated)") from None
            if event is not None:
                yield event
        for event in parser.end():
            yield event

    async def get(self, path: str, timeout: float) -> tuple[int, str]:
        """A small GET (health probes). Returns status and a short body; raises RemoteUnavailable."""
        try:
            async with asyncio.timeout(timeout):
                response = await self.client().get(path)
        except TimeoutError:
            raise RemoteUnavailable(f"no answer within {timeout:.1f}s") from None
        except httpx.HTTPError as exc:
            raise RemoteUnavailable(f"{type(exc).__name__}: {self._redact(str(exc))}") from None
        return response.status_code, self._redact(response.text[:200])


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: use our own back-off


def _error_message(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:300]
    if isinstance(data, dict):
        err = data.get("error", data.get("detail", data.get("message", data)))
        if isinstance(err, dict):
            err = err.get("message", err)
        return str(err)[:300]
    return text[:300]


# -- framing -------------------------------------------------------------------------------
class _LineSplitter:
    """Bytes → text lines (UTF-8 split across chunks is handled; CRLF and LF endings)."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._buf = ""

    def feed(self, data: bytes) -> list[str]:
        if not data:
            return []
        self._buf += self._decoder.decode(data)
        *lines, self._buf = self._buf.split("\n")
        if len(self._buf) > MAX_LINE:
            raise RemoteStreamError("a streamed line exceeds 1 MiB")
        return [line[:-1] if line.endswith("\r") else line for line in lines]

    def flush(self) -> list[str]:
        rest, self._buf = self._buf + self._decoder.decode(b"", final=True), ""
        return [rest.rstrip("\r")] if rest else []


class _Parser:
    def line(self, line: str) -> Event | None:
        raise NotImplementedError

    def end(self) -> list[Event]:
        return []


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise RemoteStreamError(f"invalid JSON in the stream: {text[:80]!r}") from None


class _SseParser(_Parser):
    """The HTML living-standard event-stream rules, plus llama.cpp's `error:` field."""

    def __init__(self) -> None:
        self._data: list[str] = []
        self._kind = "data"

    def line(self, line: str) -> Event | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None  # comment / keep-alive ping
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            self._data.append(value)
        elif name == "error":
            self._data.append(value)
            self._kind = "error"
        elif name == "event" and value == "error":
            self._kind = "error"
        return None

    def _dispatch(self) -> Event | None:
        if not self._data:
            self._kind = "data"
            return None
        text, kind = "\n".join(self._data), self._kind
        self._data, self._kind = [], "data"
        if text.strip() == "[DONE]":
            return Event(None, "done")
        if kind == "error":
            try:
                return Event(json.loads(text), "error")
            except ValueError:
                return Event(text, "error")
        return Event(_json(text))

    # An event without its terminating blank line is incomplete and dropped (as
    # browsers do); the backend then sees no final event and reports truncation.


class _NdjsonParser(_Parser):
    def line(self, line: str) -> Event | None:
        if not line.strip():
            return None
        return Event(_json(line))


class _WholeJsonParser(_Parser):
    def __init__(self) -> None:
        self._lines: list[str] = []

    def line(self, line: str) -> Event | None:
        self._lines.append(line)
        return None

    def end(self) -> list[Event]:
        text = "\n".join(self._lines).strip()
        return [Event(_json(text))] if text else []
