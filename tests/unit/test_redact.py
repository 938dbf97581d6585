"""Secrets never reach the telemetry file or a training export: golden redaction cases."""
from __future__ import annotations

import pytest

from cache.telemetry.redact import find_secrets, has_secret, redact

# (text, the secret that must disappear, the kind reported)
SECRETS = [
    ('password = "hunter2!"', "hunter2!", "assignment"),
    ("db_password: 'correct horse battery'", "correct horse battery", "assignment"),
    ('{"api_key": "k-123456789"}', "k-123456789", "assignment"),
    ('client_secret := "abcdEFGH1234"', "abcdEFGH1234", "assignment"),
    ("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", "aws_access_key"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
     "aws_secret"),
    ('token = "ghp_' + "a" * 36 + '"', "ghp_" + "a" * 36, "github_token"),
    ("glpat-" + "x1" * 10, "glpat-" + "x1" * 10, "gitlab_token"),
    ("SLACK=xoxb-1234567890-abcdefghij", "xoxb-1234567890-abcdefghij", "slack_token"),
    ("client = OpenAI(api_key='sk-proj-" + "Z" * 40 + "')", "sk-proj-" + "Z" * 40, "openai_key"),
    ("stripe.api_key = 'sk_live_" + "4" * 24 + "'", "sk_live_" + "4" * 24, "stripe_key"),
    ("key: AIza" + "B" * 35, "AIza" + "B" * 35, "google_api_key"),
    ("hf_" + "q" * 34, "hf_" + "q" * 34, "huggingface_token"),
    ("auth = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'",
     "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "jwt"),
    ('DATABASE_URL = "postgres://admin:s3cr3t-pw@db.internal:5432/app"', "s3cr3t-pw", "url_password"),
    ("mongodb+srv://user:pa55word@cluster0.example.net/test", "pa55word", "url_password"),
    ('conn = "Server=db;Database=app;User Id=sa;Password=Sup3rS3cret;"', "Sup3rS3cret", "connection_password"),
    ("headers = {'Authorization': 'Bearer abcdefghijklmnop0123456789'}", "abcdefghijklmnop0123456789", "bearer"),
    ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA==", "basic_auth"),
    ("export GITHUB_TOKEN=abc123def456", "abc123def456", "env_assignment"),
    ("SECRET_KEY=django-insecure-xyz", "django-insecure-xyz", "env_assignment"),
]

PRIVATE_KEY = """key = '''
-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEA1c7+abcdefghijklmnopqrstuvwxyz0123456789
qwertyuiopasdfghjklzxcvbnm
-----END RSA PRIVATE KEY-----
'''
print(key)
"""

# Ordinary code that must come out unchanged (false positives would spoil training data).
CLEAN = [
    "def check_password(password):\n    return hash(password) == stored\n",
    "connect(host=h, user=u, password=password)",
    'API_KEY = os.environ["API_KEY"]',
    "token = tokenizer.next_token()",
    "if not secret:\n    raise ValueError('missing')\n",
    "url = 'https://example.com/path?q=1'",
    "x = compute(a, b)  # password reset flow",
]


@pytest.mark.parametrize("text,secret,kind", SECRETS, ids=[s[2] + str(i) for i, s in enumerate(SECRETS)])
def test_secret_is_masked(text: str, secret: str, kind: str):
    out = redact(text)
    assert secret not in out
    assert f"«secret:{kind}»" in out
    assert has_secret(text)


def test_private_key_block_is_masked_whole_and_code_around_it_kept():
    out = redact(PRIVATE_KEY)
    assert "MIIEpAIBAAKCAQEA" not in out and "qwertyuiop" not in out
    assert "«secret:private_key»" in out
    assert out.startswith("key = '''") and out.rstrip().endswith("print(key)")


def test_unterminated_private_key_is_masked_to_the_end():
    text = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUA\n"
    assert "b3BlbnNzaC1" not in redact(text)


@pytest.mark.parametrize("text", CLEAN)
def test_ordinary_code_is_left_alone(text: str):
    assert redact(text) == text
    assert find_secrets(text) == []


def test_structure_is_kept_and_redaction_is_idempotent():
    text = 'user = "bob"\npassword = "hunter22"\nport = 5432\n'
    once = redact(text)
    assert once == 'user = "bob"\npassword = "«secret:assignment»"\nport = 5432\n'
    assert redact(once) == once


def test_several_secrets_on_one_line():
    text = "creds = {'aws': 'AKIAIOSFODNN7EXAMPLE', 'password': 'p4ssw0rd!'}"
    out = redact(text)
    assert "AKIAIOSFODNN7EXAMPLE" not in out and "p4ssw0rd!" not in out


def test_none_and_empty_pass_through():
    assert redact(None) is None
    assert redact("") == ""
