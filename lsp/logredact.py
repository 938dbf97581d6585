"""A logging filter that keeps secrets and huge payloads out of every log destination.

Installed on the handlers (stderr, the log file, window/logMessage), not on
loggers, so records from every library pass through it. pygls logs whole
messages at debug level: a record can carry an API key from the settings or
tens of MB of document text, so records are cut to `MAX_CHARS` first and then
redacted (completion/secrets.py).
"""
from __future__ import annotations

import logging

from completion.secrets import redact

MAX_CHARS = 20_000


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            return True
        if len(message) > MAX_CHARS:
            message = message[:MAX_CHARS] + f" … ({len(message) - MAX_CHARS} more characters)"
        cleaned = redact(message)
        if cleaned is not record.msg or record.args:
            record.msg, record.args = cleaned, ()
        return True


def install(handler: logging.Handler) -> logging.Handler:
    if not any(isinstance(f, RedactFilter) for f in handler.filters):
        handler.addFilter(RedactFilter())
    return handler
