"""stdio and TCP transports on our framer (lsp/framing.py) instead of pygls' reader loop.

Why replace the loop: pygls reads headers with an exact-match regex and then
`read(n)` for whatever length the header claims, so junk or a lying length
desynchronises or kills it, and it parses every body on the event loop with an
object hook that also runs on nested objects. Here:

* stdin is read by a daemon thread (a blocked read never keeps the process
  alive after `exit`), TCP by the event loop;
* large bodies (documents of tens of MB) are parsed off the event loop, so
  other requests and cancellations keep flowing meanwhile, but messages are
  still handled strictly in arrival order;
* after each message we yield once, so a request's handler reads the document
  before the next message (say a `didChange`) is applied.
"""
from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from typing import AsyncIterator, BinaryIO

from pygls.io_ import StdoutWriter

from lsp.framing import MessageFramer, ParseFailure, decode_body
from lsp.protocol import PARSE_ERROR

log = logging.getLogger(__name__)
READ_SIZE = 1 << 20
PARSE_OFF_LOOP = 256 << 10  # bodies larger than this are parsed on a worker thread


async def _stdin_chunks(stream: BinaryIO) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        fd = -1

    def read(n: int) -> bytes:
        # os.read on the descriptor, not the buffered stream: a daemon thread blocked inside
        # BufferedReader holds its lock and makes interpreter shutdown abort.
        return os.read(fd, n) if fd >= 0 else getattr(stream, "read1", stream.read)(n)

    def pump() -> None:
        while True:
            try:
                chunk = read(READ_SIZE)
            except (OSError, ValueError):  # closed under us
                chunk = b""
            try:
                loop.call_soon_threadsafe(queue.put_nowait, chunk)
            except RuntimeError:  # the loop is gone: we are exiting
                return
            if not chunk:
                return

    threading.Thread(target=pump, name="tabstop-stdin", daemon=True).start()
    while chunk := await queue.get():
        yield chunk


async def _stream_chunks(reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
    while chunk := await reader.read(READ_SIZE):
        yield chunk


class RobustTransport:
    """Mixin for a pygls `LanguageServer` whose protocol is lsp.protocol.TabstopProtocol."""

    async def serve_stream(self, chunks: AsyncIterator[bytes]) -> None:
        """Frame, parse and dispatch messages until the input ends or the server stops."""
        loop = asyncio.get_running_loop()
        framer = MessageFramer()
        protocol = self.protocol  # type: ignore[attr-defined]
        async for chunk in chunks:
            framer.feed(chunk)
            while (body := framer.next_body()) is not None:
                if len(body) > PARSE_OFF_LOOP:
                    data = await loop.run_in_executor(None, decode_body, body)
                else:
                    data = decode_body(body)
                if isinstance(data, ParseFailure):
                    log.warning("unreadable message (%d bytes): %s", len(body), data.reason)
                    protocol.send_error(None, PARSE_ERROR, data.reason)
                    framer.pushback(body)  # it may have swallowed the start of the next message
                    continue
                protocol.handle_raw(data)
                await asyncio.sleep(0)
            stop = getattr(self, "_stop_event", None)
            if stop is not None and stop.is_set():
                break

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))  # type: ignore[attr-defined]
        try:
            asyncio.run(self.serve_stream(_stdin_chunks(stdin or sys.stdin.buffer)))
        except BrokenPipeError:
            log.error("connection to the client lost; shutting down")
        except KeyboardInterrupt:
            pass
        finally:
            self.shutdown()  # type: ignore[attr-defined]

    def start_tcp(self, host: str, port: int) -> None:
        self._stop_event = threading.Event()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            log.info("client connected from %s", writer.get_extra_info("peername"))
            self.protocol.set_writer(writer)  # type: ignore[attr-defined]
            await self.serve_stream(_stream_chunks(reader))
            self.shutdown()  # type: ignore[attr-defined]

        async def main() -> None:
            self._server = await asyncio.start_server(connection, host, port)
            addrs = ", ".join(str(sock.getsockname()) for sock in self._server.sockets)
            log.info("serving LSP on %s", addrs)
            async with self._server:
                await self._server.serve_forever()

        try:
            asyncio.run(main())
        except asyncio.CancelledError:
            log.debug("TCP server stopped")
