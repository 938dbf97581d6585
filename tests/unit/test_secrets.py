"""Secret files and redaction: golden cases, both what must be caught and what must be left alone."""
from __future__ import annotations

import time

import pytest

from completion.config import ContextSettings
from completion.secrets import REDACTED, SECRET_FILE_PATTERNS, contains_secret, is_secret_path, redact


@pytest.mark.parametrize("path", [
    ".env", "app/.env", ".env.local", "config/prod.env", "C:\\proj\\.env", "certs/server.pem", "tls.key",
    "home/u/.ssh/id_rsa", "id_ed25519.pub", "secrets/db.yaml", "k8s/secrets.yaml", "client_secret.json",
    "aws/credentials.json", ".aws/credentials", "x/.docker/config.json", ".npmrc", ".pypirc", "prod.tfvars",
    "passwords.txt", "SECRET.TXT", "service-account-prod.json",
])
def test_secret_paths(path):
    assert is_secret_path(path)


@pytest.mark.parametrize("path", [
    "src/app.py", "environment.py", "keyboard.py", "docs/keys.md", "config.json", ".envoy/x.py", "env/main.go",
    "monkey.py", "", "/", "README.md", "tokenizer.py",
])
def test_ordinary_paths(path):
    assert not is_secret_path(path)


def test_custom_patterns_and_context_default():
    assert is_secret_path("vendor/lib.py", ["vendor"])
    assert not is_secret_path("src/vendor.py", ["vendor/*.py"])
    assert is_secret_path("a/vendor/lib.py", ["vendor/*.py"])
    assert set(ContextSettings().exclude) >= set(SECRET_FILE_PATTERNS)  # context excludes secrets by default


SECRETS = {
    "aws": ("key = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    "github": ("t = ghp_" + "a" * 36, "ghp_" + "a" * 36),
    "github_pat": ("github_pat_" + "B" * 30, "github_pat_" + "B" * 30),
    "openai": ("OPENAI_API_KEY=sk-proj-" + "x1" * 20, "sk-proj-" + "x1" * 20),
    "anthropic": ("k = 'sk-ant-api03-" + "Z" * 40 + "'", "sk-ant-api03-" + "Z" * 40),
    "slack": ("xoxb-123456789012-abcdefghijkl", "xoxb-123456789012-abcdefghijkl"),
    "google": ("AIza" + "S" * 35, "AIza" + "S" * 35),
    "stripe": ("sk_live_" + "4" * 24, "sk_live_" + "4" * 24),
    "hf": ("hf_" + "q" * 34, "hf_" + "q" * 34),
    "jwt": ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    "bearer": ("Authorization: Bearer abcdefghijklmnop1234", "abcdefghijklmnop1234"),
    "url": ("postgres://admin:hunter2hunter2@db:5432/x", "hunter2hunter2"),
    "assign": ('DB_PASSWORD = "correct horse battery"', "correct horse battery"),
    "json": ('{"api_key": "abcd1234efgh"}', "abcd1234efgh"),
    "dotenv": ("export STRIPE_SECRET_KEY=whsec_abcdef123456", "whsec_abcdef123456"),
    "pem": ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc\n-----END RSA PRIVATE KEY-----\nnext", "MIIEow"),
    "pem_cut": ("x = '''-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq", "MIIEvQIBADANBgkq"),
}


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_redacts(name):
    text, secret = SECRETS[name]
    out = redact(text)
    assert secret not in out and REDACTED in out
    assert contains_secret(text)


def test_redaction_keeps_the_shape():
    assert redact('DB_PASSWORD = "correct horse battery"') == 'DB_PASSWORD = "[REDACTED]"'
    assert redact("API_TOKEN=abc123def") == "API_TOKEN=[REDACTED]"
    assert redact("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\nnext").endswith(
        "-----END PRIVATE KEY-----\nnext")


@pytest.mark.parametrize("text", [
    "token = get_token()", "password = input('Password: ')", "def check_password(pwd):", "author = 'Ada'",
    "tokens = tokenize(text)", "x = 1", "", "sk-learn is a library", "Bearer short", "http://example.com/a:b@c",
    'secret_key = os.environ["SECRET_KEY"]',
])
def test_leaves_ordinary_code_alone(text):
    assert redact(text) == text


def test_redaction_is_linear_on_hostile_input():
    """200 kB in well under a minute (measured ~0.5 s each); quadratic backtracking would take hours."""
    for hostile in ("a." * 100_000, "password" * 25_000, "x" * 200_000, "=\"" * 100_000, "-----BEGIN " * 20_000):
        t0 = time.perf_counter()
        redact(hostile)
        assert time.perf_counter() - t0 < 30
