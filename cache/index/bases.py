"""The bases a class header names, stored by the index so a class's subclasses are one lookup.

Pure string functions; the store writes one `bases` row per (class, base) (cache/index/store.py), and
completion/context/signatures.py reads them (`self.` may hold a subclass's instance, whose
attributes the member rule must allow).
"""
from __future__ import annotations

import re


def base_names(signature: str, language: str) -> list[str]:
    """Names a class header derives from (`class A(B, C):`, `extends B implements C`, `: public B`)."""
    if language == "python":
        # A stored header may carry the comment line under it (`class StringType(Enum):\n    # Single
        # Line Basic`): without this the class read as base-less, and the member rule lost Enum's names.
        signature = re.sub(r"#[^\n]*", "", signature).rstrip()
        m = re.search(r"\((.*)\)\s*:?\s*$", signature, re.S)
        if not m:
            return []
        names = []
        for part in m.group(1).split(","):
            part = part.strip()
            if "=" in part or not part:
                continue  # metaclass=… and friends
            names.append(re.sub(r"\[.*", "", part).strip())
        return [n for n in names if re.fullmatch(r"[\w.]+", n)]
    text = signature.replace("\n", " ")
    while "<" in text:  # type parameters and arguments, innermost first: `<T extends X>` names no base
        text, count = re.subn(r"<[^<>]*>", "", text)
        if not count:
            break
    m = re.search(r"(?:extends|implements|:)\s+(.*)$", text)
    if not m:
        return []
    text = re.sub(r"\b(?:public|private|protected|virtual|implements|extends)\b", " ", m.group(1))
    return [n for n in re.findall(r"[A-Za-z_][\w.]*", text)]


def base_keys(signature: str, language: str) -> list[str]:
    """What the `bases` table keys a class by: each base's last name (`pkg.child.Child` → `Child`)."""
    return sorted({b.rsplit(".", 1)[-1] for b in base_names(signature, language)})
