"""LRU cache of shown completions, with typing-through reuse.

Keyed by (document, a window of the text before and after the cursor, a
fingerprint of model and settings). The typing-through rule: if the user has
typed characters that match the start of a cached suggestion made at an earlier
cursor in the same text, the rest of that suggestion is served without a model
call (Copilot and Tabby do the same). Entries remember which context files fed
them, so a change to one of those files drops them.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

PREFIX_WINDOW = 2048  # characters of text before the cursor that identify a state
SUFFIX_WINDOW = 512


@dataclass(frozen=True)
class CacheHit:
    texts: tuple[str, ...]  # remaining suggestion text(s) to insert at the new cursor
    typed: str  # what the user typed through since the entry was made ("" for an exact hit)
    entry_ids: tuple[str, ...]  # completion ids of the original suggestions


@dataclass
class _Entry:
    uri: str
    fingerprint: str
    prefix: str  # last PREFIX_WINDOW chars before the cursor
    prefix_len: int  # full length of the text before the cursor (guards against look-alike windows)
    suffix: str  # first SUFFIX_WINDOW chars after the cursor
    texts: tuple[str, ...]
    ids: tuple[str, ...]
    context_paths: frozenset[str] = field(default_factory=frozenset)


class CompletionCache:
    def __init__(self, max_entries: int = 256, per_document: int = 16) -> None:
        self.max_entries = max_entries
        self.per_document = per_document
        self._entries: OrderedDict[tuple[str, str, str, str], _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def _key(uri: str, fingerprint: str, before: str, after: str) -> tuple[str, str, str, str]:
        return (uri, fingerprint, before[-PREFIX_WINDOW:], after[:SUFFIX_WINDOW])

    def put(self, uri: str, fingerprint: str, before: str, after: str, texts: list[str], ids: list[str],
            context_paths: frozenset[str] = frozenset()) -> None:
        if not texts:
            return
        key = self._key(uri, fingerprint, before, after)
        entry = _Entry(uri, fingerprint, key[2], len(before), key[3], tuple(texts), tuple(ids), context_paths)
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            same_doc = [k for k in self._entries if k[0] == uri]
            for k in same_doc[: max(0, len(same_doc) - self.per_document)]:
                del self._entries[k]
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def get(self, uri: str, fingerprint: str, before: str, after: str) -> CacheHit | None:
        """An exact hit, or the remainder of a suggestion the user has been typing through."""
        key = self._key(uri, fingerprint, before, after)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.prefix_len == len(before):
                self._entries.move_to_end(key)
                self.hits += 1
                return CacheHit(entry.texts, "", entry.ids)
            suffix = after[:SUFFIX_WINDOW]
            for entry in reversed(self._entries.values()):
                if entry.uri != uri or entry.fingerprint != fingerprint or entry.suffix != suffix:
                    continue
                typed_len = len(before) - entry.prefix_len
                if typed_len <= 0:
                    continue
                typed = before[len(before) - typed_len:]
                if not (before[: len(before) - typed_len][-PREFIX_WINDOW:] == entry.prefix):
                    continue
                rest = tuple(t[typed_len:] for t in entry.texts if t.startswith(typed) and len(t) > typed_len)
                if rest:
                    self.hits += 1
                    return CacheHit(rest, typed, entry.ids)
            self.misses += 1
            return None

    def invalidate_document(self, uri: str) -> None:
        with self._lock:
            for k in [k for k in self._entries if k[0] == uri]:
                del self._entries[k]

    def invalidate_paths(self, paths: set[str]) -> int:
        """Drop entries whose prompt used one of these context files; returns how many."""
        with self._lock:
            doomed = [k for k, e in self._entries.items() if e.context_paths & paths]
            for k in doomed:
                del self._entries[k]
            return len(doomed)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
