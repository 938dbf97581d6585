"""API keys go only to the configured server and never into logs; TLS is verified; warnings.

The server is the stand-in of tests/remote/standin.py (for `llama-server`, which
cannot be built here); the TLS test runs it behind a self-signed certificate made
with the openssl command line.
"""
from __future__ import annotations

import logging
import shutil
import subprocess

import pytest

from lsp.settings import Settings, to_json
from runtime.backend import CancelToken
from runtime.config import LocalModelSettings
from runtime.factory import make_backend
from runtime.llamacpp import LlamaCppBackend
from runtime.remote.llamacpp_server import LlamaCppServerBackend
from runtime.remote.openai import OpenAIBackend
from runtime.remote.security import resolve_api_key
from tests.remote.conftest import make_request, settings_for
from tests.remote.standin import ServerThread, StandIn

KEY = "sk-test-7f3a9c2e51d04b8a"
ENV = "TABSTOP_TEST_API_KEY"


def all_log_text(caplog) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


async def test_key_from_env_sent_as_bearer_to_the_configured_host(standin, monkeypatch):
    monkeypatch.setenv(ENV, KEY)
    backend = LlamaCppServerBackend(settings_for(standin.url, api_key_env=ENV, api_key="settings-key-unused"))
    result = await backend.generate(make_request(), CancelToken())
    await backend.close()
    assert result.stop_reason == "eos"
    assert standin.seen[0].headers["authorization"] == f"Bearer {KEY}"  # env var wins over the settings value


def test_key_resolution_order():
    s = settings_for("http://127.0.0.1:1", api_key_env=ENV, api_key="from-settings")
    assert resolve_api_key(s, {ENV: " from-env \n"}) == "from-env"
    assert resolve_api_key(s, {}) == "from-settings"


async def test_no_key_no_authorization_header(standin):
    backend = LlamaCppServerBackend(settings_for(standin.url))
    await backend.generate(make_request(), CancelToken())
    await backend.close()
    assert "authorization" not in standin.seen[0].headers


async def test_redirect_to_another_host_is_not_followed(standin, monkeypatch):
    other = StandIn()
    other_server = ServerThread(other.app()).start()
    try:
        standin.fault, standin.redirect_to = "redirect", f"http://127.0.0.1:{other_server.port}/infill"
        monkeypatch.setenv(ENV, KEY)
        backend = LlamaCppServerBackend(settings_for(standin.url, api_key_env=ENV))
        result = await backend.generate(make_request(), CancelToken())
        await backend.close()
    finally:
        other_server.stop()
    assert result.stop_reason == "error" and "redirect" in backend.last_error and "not followed" in backend.last_error
    assert other.seen == []  # the other host never saw the request, let alone the key
    assert len(standin.seen) == 1


async def test_key_never_logged(standin, monkeypatch, caplog):
    """Debug logging everywhere (ours, httpx, httpcore), a success, an error that echoes the key, a settings dump."""
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(ENV, KEY)
    settings = settings_for(standin.url, api_key_env=ENV, headers={"X-Api-Key": KEY + "-hdr"})
    backend = OpenAIBackend(settings_for(standin.url, api_key_env=ENV))  # wrong path on purpose: a 404
    await backend.generate(make_request(), CancelToken())
    await backend.close()
    backend = LlamaCppServerBackend(settings)
    ok = await backend.generate(make_request(), CancelToken())
    standin.fault = "echo_auth"
    failed = await backend.generate(make_request(), CancelToken())
    await backend.close()
    assert ok.stop_reason == "eos" and failed.stop_reason == "error"
    assert standin.seen[-1].headers["authorization"] == f"Bearer {KEY}"  # it really was sent …
    assert "invalid credentials" in backend.last_error and "***" in backend.last_error
    tree = Settings(backend="llamacpp")
    tree.remote = settings
    tree.remote.api_key = KEY
    logging.getLogger("tabstop.test").debug("settings: %s", to_json(tree))
    text = all_log_text(caplog)
    assert "HTTP Request" in text or "send_request_headers" in text  # httpx/httpcore really logged at DEBUG
    assert KEY not in text  # … and never logged


async def test_credentials_in_url_are_refused(standin, caplog):
    url = standin.url.replace("http://", f"http://user:{KEY}@")
    backend = LlamaCppServerBackend(settings_for(url))
    result = await backend.generate(make_request(), CancelToken())
    assert result.stop_reason == "error" and backend.status.state == "error"
    assert "must not contain credentials" in backend.status.message
    assert standin.seen == []
    assert KEY not in all_log_text(caplog)


def test_plain_http_to_a_remote_host_warns(caplog):
    caplog.set_level(logging.WARNING)
    LlamaCppServerBackend(settings_for("http://10.20.30.40:8080"))
    assert any("plain HTTP" in r.getMessage() for r in caplog.records)
    caplog.clear()
    LlamaCppServerBackend(settings_for("http://127.0.0.1:8080"))
    LlamaCppServerBackend(settings_for("http://localhost:8080"))
    LlamaCppServerBackend(settings_for("https://gpu.example.com"))
    assert not any("plain HTTP" in r.getMessage() for r in caplog.records)


def test_local_backend_never_builds_a_remote_client():
    """backend=local ignores remote.url entirely: nothing can be sent anywhere."""
    from runtime.config import RemoteSettings

    backend = make_backend("local", LocalModelSettings(), RemoteSettings(url="http://127.0.0.1:9", api_key="k" * 8))
    assert isinstance(backend, LlamaCppBackend)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl command line not installed")
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


async def test_tls_is_verified_and_a_custom_ca_bundle_works(tls_files):
    cert, key = tls_files
    standin = StandIn()
    server = ServerThread(standin.app(), ssl_certfile=str(cert), ssl_keyfile=str(key)).start()
    try:
        url = f"https://127.0.0.1:{server.port}"
        untrusted = LlamaCppServerBackend(settings_for(url, retries=0))
        result = await untrusted.generate(make_request(), CancelToken())
        await untrusted.close()
        assert result.stop_reason == "error" and "CERTIFICATE_VERIFY_FAILED" in untrusted.last_error
        assert standin.seen == []  # the handshake failed: no request was sent

        trusted = LlamaCppServerBackend(settings_for(url, ca_bundle=str(cert)))
        result = await trusted.generate(make_request(), CancelToken())
        await trusted.close()
        assert result.stop_reason == "eos" and result.text.startswith("return")
    finally:
        server.stop()


def test_unreadable_ca_bundle_is_a_config_error(tmp_path):
    backend = LlamaCppServerBackend(settings_for("https://127.0.0.1:1", ca_bundle=str(tmp_path / "missing.pem")))
    assert backend.status.state == "error" and "caBundle" in backend.status.message
