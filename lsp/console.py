"""What the one-shot commands show: results on stdout, reports on stderr.

`complete`, `eval`, `model`, `stats`, `flywheel` and `bench` write for a person or a
script; errors go through logging like everywhere else. `tabstop serve` must never
write here: its stdout is the LSP channel. `serving()` marks the process as a server,
after which anything sent here is logged as a bug and dropped instead of corrupting
the protocol.
"""
from __future__ import annotations

import logging
import sys

log = logging.getLogger(__name__)
_serving = False


def serving() -> None:
    global _serving
    _serving = True


def say(text: object = "", *, err: bool = False) -> None:
    if _serving:
        log.error("bug: console output inside `tabstop serve` dropped: %.80s", text)
        return
    stream = sys.stderr if err else sys.stdout
    stream.write(f"{text}\n")
