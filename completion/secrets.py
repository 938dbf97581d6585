"""Secrets: which files never reach a prompt that leaves the machine, and redaction of secret-looking text.

Pure functions, shared by everyone who handles user text:

* the context provider skips files for which `is_secret_path` is true (the
  patterns are `ContextSettings.exclude`, defaulting to `SECRET_FILE_PATTERNS`);
* the engine refuses to send the file being edited to a *remote* backend when
  it matches (a local model's prompt never leaves the process);
* telemetry runs `redact` over any text it stores (and stores code only when
  the user opted in); the log handlers run `redact` over every record.

The patterns are deliberately conservative (a file named `secret_santa.py` is
treated as secret): a missed suggestion costs little, a leaked key costs a lot.
Redaction keeps the shape of the text (`API_KEY = "[REDACTED]"`) so that logs
stay readable and prompts stay plausible code.
"""
from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Iterable

SECRET_FILE_PATTERNS: tuple[str, ...] = (
    # environment files
    ".env", ".env.*", "*.env", ".envrc",
    # keys and certificates
    "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.kdbx", "*.gpg", "*.asc",
    "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*",
    # anything that says what it is
    "*secret*", "*credential*", "*password*", "*.token",
    # tool credential files
    ".npmrc", ".pypirc", ".netrc", "_netrc", ".git-credentials", ".htpasswd", ".pgpass",
    ".aws/credentials", ".docker/config.json", ".kube/config", "*.tfvars", "*.tfstate",
    "service-account*.json",
)

REDACTED = "[REDACTED]"


def secret_patterns(extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The built-in patterns plus the user's `context.exclude`: replacing that list never drops these."""
    return tuple(dict.fromkeys((*SECRET_FILE_PATTERNS, *extra)))


def is_secret_path(path: str, patterns: Iterable[str] = SECRET_FILE_PATTERNS) -> bool:
    """Whether `path` (best relative to its workspace folder) matches a secret-file pattern.

    gitignore-like and case-insensitive: a pattern without `/` matches any one
    component (so a `secrets/` folder covers everything in it); a pattern with
    `/` matches the same number of trailing components.
    """
    parts = [p.lower() for p in path.replace("\\", "/").split("/") if p and p != "."]
    if not parts:
        return False
    for pattern in patterns:
        pat = pattern.lower().strip("/")
        if not pat:
            continue
        if "/" in pat:
            k = pat.count("/") + 1
            if len(parts) >= k and fnmatchcase("/".join(parts[-k:]), pat):
                return True
        elif any(fnmatchcase(part, pat) for part in parts):
            return True
    return False


_KEYWORD = r"(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|" \
           r"client[_-]?secret|auth[_-]?token|authorization|credentials?)"

# (pattern, replacement); replacements keep the non-secret parts of the match.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"-----BEGIN ([A-Z0-9 ]{0,40})PRIVATE KEY( BLOCK)?-----(?:.*?-----END \1PRIVATE KEY\2?-----|.*\Z)",
                re.S), "-----BEGIN \\1PRIVATE KEY-----" + REDACTED + "-----END \\1PRIVATE KEY-----"),
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b"), REDACTED),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b"), REDACTED),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b"), REDACTED),
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), REDACTED),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), REDACTED),
    (re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+"), "https://hooks.slack.com/services/" + REDACTED),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), REDACTED),
    (re.compile(r"\bsk-(?:proj-|ant-(?:api\d\d-)?|live-)?[A-Za-z0-9_-]{20,}"), REDACTED),
    (re.compile(r"\b[sr]k_(?:live|test)_[0-9A-Za-z]{16,}\b"), REDACTED),
    (re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"), REDACTED),
    (re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), REDACTED),
    (re.compile(r"\bpypi-[A-Za-z0-9_-]{50,}"), REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), REDACTED),
    # Authorization: Bearer <token> / Basic <base64>
    (re.compile(r"(?i)\b(bearer|basic|token)(\s+)[A-Za-z0-9._~+/=-]{16,}"), "\\1\\2" + REDACTED),
    # scheme://user:password@host
    (re.compile(r"\b([a-z][a-z0-9+.-]{1,20}://[^\s/:@]{1,100}:)[^\s@/]{1,200}@", re.I), "\\1" + REDACTED + "@"),
    # .env style, upper-case names only (code such as `token = get_token()` stays): API_KEY=value
    (re.compile(r"(?m)^([ \t]{0,20}(?:export[ \t]+)?[A-Z0-9_]{0,40}(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|"
                r"ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)[A-Z0-9_]{0,40}=)([^\s\"'#$][^\s#]{3,})"), "\\1" + REDACTED),
)


# api_key = "value", "password": "value", token: 'value' — quoted literals only. Found by
# the keyword first and then matched forward from it: a single regex with a name
# prefix backtracks quadratically on long runs like "a.a.a.a…".
_KEY_HIT = re.compile(_KEYWORD, re.I)
_QUOTED_VALUE = re.compile(r"[A-Za-z0-9_.-]{0,40}[\"']?[ \t]{0,4}[:=][ \t]{0,4}([\"'])([^\"'\n]{4,})\1")


def _redact_quoted_assignments(text: str) -> str:
    parts: list[str] = []
    last = 0
    for hit in _KEY_HIT.finditer(text):
        if hit.start() < last:
            continue
        m = _QUOTED_VALUE.match(text, hit.end())
        if m is not None:
            parts += [text[last : m.start(2)], REDACTED]
            last = m.end(2)
    return "".join(parts) + text[last:] if parts else text


def redact(text: str) -> str:
    """`text` with secret-looking values replaced by [REDACTED]; everything else unchanged."""
    if not text:
        return text
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return _redact_quoted_assignments(text)


def contains_secret(text: str) -> bool:
    return redact(text) != text
