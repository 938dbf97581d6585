"""Find and mask secrets in code before it is written anywhere (telemetry, training exports).

Rules over entropy guesses: each pattern is a shape that real credentials have
(provider prefixes, PEM armour, `user:password@` in URLs, `password = "…"`
assignments), so the false-positive rate on ordinary code stays low, and the
masked text keeps its structure (`password = "«secret:assignment»"`) so it is still
useful for training. Over-masking is the safe failure; the tests list the cases.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MASK = "«secret:{kind}»"

_NAME = r"[A-Za-z0-9_.-]*(?:passw(?:or)?d|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|auth[_-]?key|credentials?|session[_-]?key|signing[_-]?key)[A-Za-z0-9_.-]*"


@dataclass(frozen=True)
class Rule:
    kind: str
    pattern: re.Pattern[str]
    group: int = 0  # the part of the match that is the secret


RULES: tuple[Rule, ...] = (
    Rule("private_key", re.compile(
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
        re.S)),
    Rule("aws_access_key", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b")),
    Rule("aws_secret", re.compile(
        r"(?i)aws.{0,20}?(?:secret|key).{0,20}?[=:]\s*[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"), 1),
    Rule("github_token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})")),
    Rule("gitlab_token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    Rule("slack_token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    Rule("slack_webhook", re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+")),
    Rule("openai_key", re.compile(r"\bsk-(?:proj-|ant-(?:api\d\d-)?)?[A-Za-z0-9_-]{20,}")),
    Rule("stripe_key", re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}")),
    Rule("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    Rule("npm_token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    Rule("huggingface_token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b")),
    Rule("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    # scheme://user:password@host — keep user and host, mask the password
    Rule("url_password", re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@'\"]+:([^\s@/'\"]+)@"), 1),
    # ADO.NET / JDBC style: Password=...; Pwd=...
    Rule("connection_password", re.compile(r"(?i)(?:^|;)\s*(?:password|pwd)\s*=\s*([^;'\"\s]+)"), 1),
    Rule("bearer", re.compile(r"(?i)\b(?:bearer|token)\s+([A-Za-z0-9._~+/-]{16,}=*)"), 1),
    Rule("basic_auth", re.compile(r"(?i)\bbasic\s+([A-Za-z0-9+/]{12,}={0,2})"), 1),
    # name = "value" / name: 'value' / "name": "value" / name := "value"
    Rule("assignment", re.compile(
        r"(?i)[\"']?\b" + _NAME + r"\b[\"']?\s*(?:=|:=|:|=>|->)\s*[rbuf]?([\"'`])((?:(?!\1)[^\\\n]|\\.){4,})\1"), 2),
    # KEY=value in .env files and shell scripts (unquoted)
    Rule("env_assignment", re.compile(
        r"(?im)^\s*(?:export\s+)?[A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|APIKEY|ACCESS_KEY|PRIVATE_KEY)"
        r"[A-Z0-9_]*=([^\s\"'#$][^\s#]{3,})"), 1),
)


def _mask(kind: str) -> str:
    return MASK.format(kind=kind)


def find_secrets(text: str) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, kind) spans of secrets, in order."""
    spans: list[tuple[int, int, str]] = []
    for rule in RULES:
        for m in rule.pattern.finditer(text):
            start, end = m.span(rule.group)
            if start < 0 or end <= start:
                continue
            if MASK.split("{")[0] in text[start:end]:
                continue  # already masked
            spans.append((start, end, rule.kind))
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in spans:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
            continue
        merged.append((start, end, kind))
    return merged


def redact(text: str | None) -> str | None:
    """`text` with every secret replaced by a «secret:kind» marker (None stays None)."""
    if not text:
        return text
    spans = find_secrets(text)
    if not spans:
        return text
    out, pos = [], 0
    for start, end, kind in spans:
        out.append(text[pos:start])
        out.append(_mask(kind))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def has_secret(text: str) -> bool:
    return bool(find_secrets(text))
