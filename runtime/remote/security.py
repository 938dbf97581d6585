"""Where the API key comes from, where it may go, and keeping it out of logs.

Why an `httpx.Auth` that checks the origin instead of a default header: a
default header rides along with every request the client makes, including one
that a future change might aim elsewhere; the auth flow adds the key only when
the request's scheme, host and port are exactly the configured server's. We also
never follow redirects (see transport.py), so a server cannot bounce the key to
another host.
"""
from __future__ import annotations

import ipaddress
import logging
import os
import ssl
from dataclasses import dataclass
from typing import Generator, Iterable
from urllib.parse import urlsplit

import httpx

from runtime.config import RemoteSettings
from runtime.errors import RemoteConfigError

log = logging.getLogger(__name__)
REDACTED = "***"
SECRET_HEADERS = ("authorization", "x-api-key", "api-key", "proxy-authorization", "cookie")


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: httpx.URL) -> "Origin":
        port = url.port or (443 if url.scheme == "https" else 80)
        return cls(url.scheme, (url.host or "").lower(), port)


def resolve_api_key(settings: RemoteSettings, environ: dict[str, str] | None = None) -> str:
    """The key from the environment variable named by the settings, else from the settings."""
    env = os.environ if environ is None else environ
    if settings.api_key_env and env.get(settings.api_key_env):
        return env[settings.api_key_env].strip()
    return settings.api_key.strip()


def check_url(url: str) -> tuple[httpx.URL, list[str]]:
    """Validate the server URL; return it and warnings for the user.

    Credentials in the URL are refused: httpx and proxies log URLs, and the key
    belongs in `api_key_env`. Plain HTTP to a non-loopback host is allowed (a lab
    network) but warned about: code and key would cross the network in clear.
    """
    if not url:
        raise RemoteConfigError("remote.url is empty: set the server's address (see docs/remote.md)")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RemoteConfigError(f"remote.url must be an http:// or https:// URL with a host, got {redact_url(url)!r}")
    if parts.username or parts.password:
        raise RemoteConfigError("remote.url must not contain credentials; put the key in the environment "
                                "variable named by remote.apiKeyEnv")
    warnings = []
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        warnings.append(f"remote.url {url} uses plain HTTP to a non-loopback host: your code "
                        "(and API key, if any) cross the network unencrypted; use https://")
    return httpx.URL(url), warnings


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.username or parts.password:
        netloc = f"{REDACTED}@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
        return parts._replace(netloc=netloc).geturl()
    return url


def tls_context(ca_bundle: str) -> ssl.SSLContext:
    """Verification always on; a custom CA file replaces the system store (as `curl --cacert` does)."""
    try:
        return ssl.create_default_context(cafile=ca_bundle or None)
    except (OSError, ssl.SSLError) as exc:
        raise RemoteConfigError(f"remote.caBundle {ca_bundle!r} cannot be read: {exc}") from exc


class OriginBearerAuth(httpx.Auth):
    """`Authorization: Bearer <key>` on requests to the configured origin only."""

    def __init__(self, key: str, origin: Origin) -> None:
        self._key = key
        self._origin = origin

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._key and Origin.of(request.url) == self._origin:
            request.headers["Authorization"] = f"Bearer {self._key}"
        yield request

    def __repr__(self) -> str:  # never show the key, even in a debugger or a traceback
        return f"OriginBearerAuth(origin={self._origin.scheme}://{self._origin.host}:{self._origin.port})"


class Redactor:
    """Replaces known secrets in text that is about to be logged or shown."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


def secrets_of(settings: RemoteSettings, key: str) -> list[str]:
    """The key plus any header value that looks like a credential."""
    values = [key]
    values += [v for k, v in settings.headers.items() if k.lower() in SECRET_HEADERS]
    values += [v.split(" ", 1)[1] for k, v in settings.headers.items()
               if k.lower() in SECRET_HEADERS and " " in v]
    return values
