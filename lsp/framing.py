"""Base-protocol framing (`Content-Length: N\\r\\n\\r\\n` + body) that survives garbage.

pygls' own reader trusts the stream: a header it does not recognise, a length
that lies, or a length of a terabyte (it allocates the buffer up front) can
stall or kill it. This framer is sans-I/O (bytes in, message bodies out), so it
is tested without processes, and it resynchronises instead of giving up:

* headers are found by searching for the *last* `Content-Length` before the
  blank line, so junk before a header (the tail of a broken message) is skipped;
* a length above `max_body` is treated as junk, never allocated;
* a body that is not valid JSON is rescanned as header material, so the next
  real message that it swallowed is still found;
* while waiting for a long body, a literal `Content-Length: N` + line end in it
  proves that it cannot be JSON (JSON strings cannot hold a raw line end, and
  those letters cannot appear outside a string), so a length that lies does
  not make us wait for bytes that will never come.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

MAX_BODY = 256 << 20  # 256 MiB: documents of tens of MB fit, a lying length is never allocated
MAX_HEADER = 64 << 10  # junk without a blank line is dropped beyond this (its tail is kept)
_HEADER_END = re.compile(rb"\r\n\r\n|\n\n")
_LENGTH = re.compile(rb"content-length:[ \t]*(\d{1,12})", re.IGNORECASE)
_EMBEDDED = re.compile(rb"content-length:[ \t]*\d+[ \t]*\r?\n", re.IGNORECASE)
_EMBED_OVERLAP = 64
_AGAIN = object()


class MessageFramer:
    """Feed bytes as they arrive; get complete message bodies back, in order."""

    def __init__(self, max_body: int = MAX_BODY) -> None:
        self.max_body = max_body
        self._buf = bytearray()
        self._need: int | None = None  # body length we are waiting for
        self._scanned = 0  # how much of a pending body was searched for an embedded header
        self.junk_bytes = 0  # bytes skipped while resynchronising (for logs and tests)
        self._junk: dict[str, int] = {}

    def feed(self, data: bytes) -> None:
        self._buf += data

    def next_body(self) -> bytes | None:
        """The next complete body, or None until more bytes arrive."""
        try:
            while True:
                step = self._step()
                if step is None or step is not _AGAIN:
                    return step  # type: ignore[return-value]
        finally:
            self._report_junk()

    def bodies(self, data: bytes = b"") -> list[bytes]:
        """Feed `data` and return every complete body (for tests and simple callers)."""
        self.feed(data)
        return list(iter(self.next_body, None))

    def pushback(self, body: bytes) -> None:
        """Rescan `body` (found not to be JSON) as the start of the stream: it may hold the next header."""
        self._buf[0:0] = body

    def _step(self) -> bytes | object | None:
        """One unit of progress: a body, _AGAIN (bytes consumed), or None (wait for more bytes)."""
        return self._read_header() if self._need is None else self._read_body()

    def _read_header(self) -> object | None:
        buf = self._buf
        m = _HEADER_END.search(buf)
        if m is None:
            if len(buf) > MAX_HEADER:
                self._skip(len(buf) - 256, "header too long")  # the tail may start a real header
            return None
        lengths = list(_LENGTH.finditer(buf, 0, m.start()))
        if not lengths:
            self._skip(m.end(), "no Content-Length header")
            return _AGAIN
        length = int(lengths[-1].group(1))
        if length > self.max_body:
            self._skip(m.end(), f"Content-Length {length} exceeds the {self.max_body}-byte limit")
            return _AGAIN
        self._skip(lengths[-1].start(), "junk before a header")
        del buf[: m.end() - lengths[-1].start()]
        self._need, self._scanned = length, 0
        return _AGAIN

    def _read_body(self) -> bytes | object | None:
        need, buf = self._need, self._buf
        assert need is not None
        m = _EMBEDDED.search(buf, max(0, self._scanned - _EMBED_OVERLAP), min(len(buf), need))
        if m is not None:
            # A header inside the body: this message is broken; resume at that header.
            self._need = None
            self._skip(m.start(), "message cut short by the next header")
            return _AGAIN
        if len(buf) < need:
            self._scanned = len(buf)
            return None
        body = bytes(buf[:need])
        del buf[:need]
        self._need = None
        return body

    def _skip(self, n: int, why: str) -> None:
        if n <= 0:
            return
        del self._buf[:n]  # O(1) at the front of a bytearray
        self.junk_bytes += n
        self._junk[why] = self._junk.get(why, 0) + n

    def _report_junk(self) -> None:
        """One log line per batch of junk, not one per skipped fragment."""
        if self._junk:
            log.warning("framing: skipped junk in the input stream: %s",
                        ", ".join(f"{n} bytes ({why})" for why, n in self._junk.items()))
            self._junk.clear()


@dataclass(frozen=True)
class ParseFailure:
    """A body that is not a JSON value; `reason` says why (for the log and the -32700 reply)."""

    reason: str


def decode_body(body: bytes) -> Any:
    """The JSON value of a body, or a ParseFailure.

    Invalid UTF-8 is replaced (U+FFFD) rather than rejected, so that a request
    carrying it still gets its answer; the replacement is logged.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        log.warning("message is not valid UTF-8 (%s); invalid bytes replaced by U+FFFD", exc.reason)
        text = body.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except RecursionError:
        return ParseFailure("JSON nested too deeply")
    except ValueError as exc:
        return ParseFailure(f"invalid JSON: {str(exc)[:200]}")
