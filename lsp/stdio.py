"""Keep the protocol stream (stdout) away from everything else in the process.

In stdio mode every byte on fd 1 must be a framed LSP message. Native code does
not know that: llama-cpp-python (verbose=False) points fds 1 and 2 at /dev/null
with dup2() while it loads a model — on our inference thread, so for a second
or two every response the event loop wrote went to /dev/null and the client
waited forever — and llama.cpp or any other C library may printf to stdout.

So before serving we move the protocol to a private duplicate of fd 1, point fd
1 at stderr (stray output becomes log noise, not protocol corruption), make
`sys.stdout` stderr too, and give the log handlers a private duplicate of fd 2
so that logging survives other libraries' redirections as well.
"""
from __future__ import annotations

import logging
import os
import sys
from typing import BinaryIO


def protect_stdio() -> BinaryIO:
    """Return the stream to write protocol messages to; fd 1 no longer is one."""
    sys.stdout.flush()
    protocol = os.fdopen(os.dup(1), "wb")
    log_stream = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="backslashreplace")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            handler.setStream(log_stream)
    return protocol
