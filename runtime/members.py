"""Constrained member names: at `mod.|` the generated name must be one the module has.

A 0.5B model completing `httpx.` writes `ClientSession()` (aiohttp's name) as
readily as `Client()`; the index knows every attribute of a repository's own
Python module (completion/context/signatures.py `namespace`), so decoding can
refuse names that would raise AttributeError — the same way healing refuses
tokens that contradict the text already typed. The rule only covers the name
itself: once a character that cannot continue an identifier is generated
(`(`, `.`, space, newline) the rule is spent and decoding is free again.

Pure functions over strings; the backend applies them to its top tokens.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Sequence

_IDENT = re.compile(r"#?[A-Za-z_$][\w$]*")  # `#` starts a JS private name (`this.#count`), nothing else


@dataclass(frozen=True)
class MemberRule:
    """`names` sorted (for prefix lookups); `typed` is the part of the name before the cursor."""

    names: tuple[str, ...]
    typed: str = ""
    _lookup: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_lookup", frozenset(self.names))

    @classmethod
    def of(cls, names: Sequence[str] | frozenset[str], typed: str = "") -> "MemberRule | None":
        """None when no name starts with what is typed (nothing to hold the completion to)."""
        if not any(n.startswith(typed) for n in names):
            return None
        return cls(tuple(sorted(names)), typed)

    def open(self, generated: str) -> bool:
        """Is the name still being written after `generated` (so the rule still applies)?"""
        text = self.typed + generated
        return text in ("", "#") or _IDENT.fullmatch(text) is not None

    def allows(self, generated: str, ended: bool = False) -> bool:
        """May the completion start with `generated`? `ended`: generation stops right here."""
        text = self.typed + generated
        m = _IDENT.match(text)
        name = m.group(0) if m else text[:1] if text[:1] == "#" else ""
        if len(name) < len(text) or ended:
            return name in self._lookup
        return self._has_prefix(name)

    def _has_prefix(self, prefix: str) -> bool:
        i = bisect.bisect_left(self.names, prefix)
        return i < len(self.names) and self.names[i].startswith(prefix)

    def continuations(self, generated: str) -> list[str]:
        """What may follow `generated` to finish a name: the rest of every name it starts
        ("" for a name already whole, which may then be followed by any non-name character)."""
        text = self.typed + generated
        i = bisect.bisect_left(self.names, text)
        out = []
        while i < len(self.names) and self.names[i].startswith(text):
            out.append(self.names[i][len(text):])
            i += 1
        return out


# After a whole name: end of the completion, or a character that cannot continue a name (`ends_name`:
# not ASCII letter/digit, `_`, `$`, nor non-ASCII) and then anything.
_GBNF_TAIL = 'tail ::= ([^a-zA-Z0-9_$\\u0080-\\U0010FFFF] [^\\x00]*)?'


def gbnf(rule: MemberRule, lead: str = "") -> str:
    """The rule as a GBNF grammar, for servers that constrain decoding with one (llama.cpp's
    `grammar` field; llama-cpp-python's OpenAI server). The output is `lead` — the healed text
    the server must reproduce first, "" when the prompt was not cut — then the rest of one of
    the names after what is typed, then the end or a character that ends the name and anything."""
    rests = rule.continuations("")
    alternatives = " | ".join(_gbnf_literal(r) for r in rests)
    return (f"root ::= {_gbnf_literal(lead)} name tail\n"
            f"name ::= {alternatives}\n"
            f"{_GBNF_TAIL}\n")


def _gbnf_literal(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def ends_name(byte: int) -> bool:
    """Can this byte not continue an identifier (so a name before it is whole)?"""
    return not (48 <= byte <= 57 or 65 <= byte <= 90 or 97 <= byte <= 122 or byte in (95, 36) or byte >= 128)
