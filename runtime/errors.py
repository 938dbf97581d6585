"""The runtime's small exception tree (in the manner of httpx._exceptions).

Callers catch `RuntimeBackendError` for "no completion this time" and
`ModelUnavailable` for "no completions until the user fixes the model".
"""
from __future__ import annotations


class RuntimeBackendError(Exception):
    """A backend could not produce a completion for this request."""


class ModelUnavailable(RuntimeBackendError):
    """The model cannot be loaded: missing, truncated or wrong-hash file, or a bad path.

    The message is written for the user; the server shows it once, not per keystroke.
    """


class ChecksumMismatch(ModelUnavailable):
    """A model file's size or SHA-256 does not match the registry."""


class RemoteError(RuntimeBackendError):
    """A remote server failed: connection, HTTP status, malformed or truncated reply."""


class Cancelled(RuntimeBackendError):
    """The request was cancelled or superseded before generation finished."""


class RemoteConfigError(RemoteError):
    """The remote backend is misconfigured (no URL, credentials in the URL, unreadable CA bundle)."""


class RemoteUnavailable(RemoteError):
    """No usable answer began: connection refused or reset, timeout before the first byte, HTTP error."""

    def __init__(self, message: str, *, retryable: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class RemoteStreamError(RemoteError):
    """The answer began but went wrong: stalled, cut off, or not the documented wire format."""
