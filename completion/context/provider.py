"""The repository context provider the engine calls: open documents + recent edits + the index.

Everything it receives is plain data (text, paths, versions) from the lsp layer
or the CLI; it owns one `RepoIndex` per workspace folder. `gather` only reads
(SQLite, a few files, in-memory windows) and pauses the indexer thread while it
does so. It runs on one worker thread, not the event loop: the first request of
a line takes 10-40 ms (an FTS query, parsing the document, tokenizing costs),
which the loop must not spend while the editor sends keystrokes. The worker
gets a snapshot of the open documents and recent edits, which the loop keeps
changing; the caches it fills are only touched by that one thread.
"""
from __future__ import annotations

import asyncio
import collections
import contextlib
import concurrent.futures
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

from cache.index.extract import Parsed, extract_edited
from cache.index.indexer import ProgressCallback, RepoIndex, content_digest, default_db_path
from cache.index.languages import supported
from cache.index.model import FileExtract
from cache.index.scan import ScanRules
from cache.index.tokens import identifiers
from cache.index.windows import split_lines
from completion.config import ContextSettings
from completion.context import analogy
from completion.context.candidates import Candidate
from completion.context.packing import pack, stable_order, to_files
from completion.context.signatures import FileView, SignatureResolver, refs_near_cursor
from completion.context import usages
from completion.engine import ContextResult
from completion.languages import language_for
from completion.secrets import is_secret_path, secret_patterns
from completion.types import Request

log = logging.getLogger(__name__)
DF_TTL_S = 30.0
HITS_TTL_S = 10.0  # FTS hits of a repeated query (typing inside a word)
KEPT_TREES = 8  # documents whose last parse is kept for an incremental re-parse after the next edit
USAGE_SHARE = 0.25  # of the budget, packed before analogy windows: ~8 usage lines
FolderProgress = Callable[[str, str, str, "int | None"], None]  # (folder, begin|report|end, message, pct)


@dataclass
class OpenDocument:
    uri: str
    path: str
    language: str
    text: str
    version: int | None = None
    indexed: bool = True  # its text goes to the index (False: the eval's masked buffers)
    covered: bool | None = None  # inside an indexed folder and not ignored (checked once)


@dataclass(frozen=True)
class _Snapshot:
    """What a gather reads of the loop's state, copied on the loop before the worker starts."""

    documents: Mapping[str, tuple[str, str]]  # uri → (path, text) of every open document
    recent: tuple[tuple[str, int], ...]  # recently edited (uri, line), oldest first


class RepositoryContext:
    """Implements `completion.engine.ContextProvider`."""

    def __init__(self, settings: ContextSettings, folders: Sequence[str] = (), *,
                 on_progress: FolderProgress | None = None, language_of: Callable[[str], str] = language_for) -> None:
        self.settings = settings
        self.language_of = language_of
        self.on_progress = on_progress
        self.indexes: dict[str, RepoIndex] = {}
        self.documents: dict[str, OpenDocument] = {}
        self.recent: collections.deque[tuple[str, int]] = collections.deque(maxlen=max(1, settings.recent_edits))
        self._previous: collections.OrderedDict[str, list[str]] = collections.OrderedDict()
        self._counts: collections.OrderedDict[str, int] = collections.OrderedDict()
        self._views: dict[str, tuple[tuple, FileExtract]] = {}
        self._trees: dict[str, Parsed] = {}  # uri → its last parse (a few MB for a large file: only KEPT_TREES)
        self._window_totals: dict[str, tuple[float, int]] = {}
        self._doc_counts: dict[str, dict[str, int]] = {}
        self._hits: dict[tuple, tuple[float, list]] = {}
        self._namespaces: dict[str, dict] = {}  # per index root: module namespaces and exports (worker thread only)
        self._doc_windows_cache: dict[str, tuple[str, list[str], list[tuple[int, int, frozenset[str]]]]] = {}
        self._worker = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="tabstop-context")
        self.last_ms = 0.0
        self.folders: tuple[str, ...] = ()
        if folders:
            self.set_folders(folders)

    # -- folders and indexes --------------------------------------------------------------------
    def _rules(self) -> ScanRules:
        s = self.settings
        return ScanRules(max_file_bytes=s.max_file_kb * 1024, max_files=s.max_files,
                         exclude=secret_patterns(s.exclude))

    def set_folders(self, folders: Sequence[str]) -> None:
        """Index these folders (start background scans); stop indexing folders no longer listed."""
        self.folders = tuple(folders)
        wanted = {str(Path(f).resolve()) for f in folders if f}
        if not (self.settings.enabled and self.settings.index):
            wanted = set()
        for root in list(self.indexes):
            if root not in wanted:
                self.indexes.pop(root).close()
        for root in sorted(wanted - set(self.indexes)):
            if not Path(root).is_dir():
                continue
            progress: ProgressCallback | None = None
            if self.on_progress is not None:
                callback = self.on_progress
                progress = lambda kind, message, pct, _root=root: callback(_root, kind, message, pct)  # noqa: E731
            db = default_db_path(Path(root), self.settings.index_dir)
            index = RepoIndex(root, db, self._rules(), self.language_of, progress)
            self.indexes[root] = index
            index.start()
            for doc in self.documents.values():
                self._submit(doc)

    def apply_settings(self, settings: ContextSettings) -> None:
        """New settings: indexes whose rules changed are reopened, disabled indexing closes them."""
        old, self.settings = self.settings, settings
        if self._rules_of(old) != self._rules_of(settings):
            self._close_indexes()
        self.set_folders(self.folders)

    @staticmethod
    def _rules_of(s: ContextSettings) -> tuple:
        return (s.enabled and s.index, s.max_file_kb, s.max_files, tuple(s.exclude), s.index_dir)

    def index_for(self, path: str) -> RepoIndex | None:
        if not path:
            return None
        best = None
        for root, index in tuple(self.indexes.items()):  # the worker reads while the loop may change folders
            if index.rel(path) is not None and (best is None or len(root) > len(str(best.root))):
                best = index
        return best

    def locate(self, path: str, uri: str = "") -> tuple[RepoIndex | None, str]:
        """The index holding `path` and the path as prompts show it: relative to that index's
        folder, else the file name (of the URI when there is no path)."""
        index = self.index_for(path)
        return index, (index.rel(path) if index is not None else None) or Path(path or uri).name

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait for every folder's queued indexing (CLI, eval, tests)."""
        return all(index.wait_idle(timeout) for index in self.indexes.values())

    def _close_indexes(self) -> None:
        for index in self.indexes.values():
            index.close()
        self.indexes.clear()

    def close(self) -> None:
        """For good (server shutdown): indexes closed, the gather thread told to stop after its current job."""
        self._close_indexes()
        self._worker.shutdown(wait=False, cancel_futures=True)

    # -- documents (plain data from the lsp layer) ----------------------------------------------
    def _submit(self, doc: OpenDocument) -> None:
        index = self.index_for(doc.path)
        if index is None:
            return
        rel = index.rel(doc.path)
        if rel is None:
            return
        if doc.covered is None:  # the ignore rules are checked once per opened document, not per keystroke
            doc.covered = index.covers(rel)
        if doc.covered:
            index.submit_text(rel, doc.text)

    def document_opened(self, uri: str, path: str, language: str, text: str, version: int | None = None,
                        *, index: bool = True) -> None:
        if path and self._secret(path):
            return  # an open .env or key file is never a context source (docs/security.md)
        doc = OpenDocument(uri, path, language or self.language_of(path), text, version, index)
        self.documents[uri] = doc
        if index:
            self._submit(doc)

    def _secret(self, path: str) -> bool:
        _, rel = self.locate(path)
        return is_secret_path(rel, secret_patterns(self.settings.exclude))

    def document_changed(self, uri: str, text: str, version: int | None = None, changed_line: int | None = None) -> None:
        doc = self.documents.get(uri)
        if doc is None:
            return
        doc.text, doc.version = text, version
        if changed_line is not None:
            if self.recent and self.recent[-1][0] == uri and abs(self.recent[-1][1] - changed_line) < 6:
                self.recent.pop()
            self.recent.append((uri, changed_line))
        if doc.indexed:
            self._submit(doc)

    def document_saved(self, uri: str) -> None:
        doc = self.documents.get(uri)
        index = self.index_for(doc.path) if doc else None
        if doc is not None and index is not None:
            rel = index.rel(doc.path)
            if rel is not None:
                index.submit_paths(changed=(rel,))

    def document_closed(self, uri: str) -> None:
        doc = self.documents.pop(uri, None)  # (its entries in the worker's caches age out: bounded LRUs)
        with contextlib.suppress(RuntimeError):  # (closed provider: nothing left to forget)
            # What it chose last (a reopened document starts afresh); the worker owns that map.
            self._worker.submit(self._previous.pop, uri, None)
        index = self.index_for(doc.path) if doc and doc.indexed else None
        if doc is not None and index is not None:
            rel = index.rel(doc.path)
            if rel is not None:
                index.release_text(rel)

    def files_changed(self, changed: Sequence[str] = (), deleted: Sequence[str] = ()) -> None:
        """Paths created/changed/deleted on disk (workspace/didChangeWatchedFiles)."""
        per_index: dict[str, tuple[list[str], list[str]]] = {}
        for paths, slot in ((changed, 0), (deleted, 1)):
            for path in paths:
                index = self.index_for(path)
                rel = index.rel(path) if index else None
                if index is not None and rel is not None:
                    per_index.setdefault(str(index.root), ([], []))[slot].append(rel)
        for root, (ch, de) in per_index.items():
            self.indexes[root].submit_paths(tuple(ch), tuple(de))

    # -- gathering --------------------------------------------------------------------------------
    def _count(self, count: Callable[[str], int]) -> Callable[[str], int]:
        def cached(text: str) -> int:
            n = self._counts.get(text)
            if n is None:
                n = count(text)
                self._counts[text] = n
                if len(self._counts) > 4096:
                    self._counts.popitem(last=False)
            return n
        return cached

    def _window_total(self, index: RepoIndex) -> int:
        key = str(index.root)
        hit = self._window_totals.get(key)
        now = time.monotonic()
        if hit is None or now - hit[0] > DF_TTL_S:
            hit = (now, index.store.counts()["windows"])
            self._window_totals[key] = hit
            self._doc_counts.pop(key, None)  # document frequencies age with the total
        return hit[1]

    def _df(self, index: RepoIndex, terms: Sequence[str]) -> dict[str, int]:
        """Windows per term, cached for DF_TTL_S (they drift slowly; an FTS vocabulary lookup is not free)."""
        cache = self._doc_counts.setdefault(str(index.root), {})
        missing = [t for t in terms if t not in cache]
        if missing:
            found = index.store.doc_counts(missing)
            for t in missing:
                cache[t] = found.get(t, 0)
            if len(cache) > 50000:
                cache.clear()
        return {t: cache[t] for t in terms}

    def _search(self, index: RepoIndex, terms: list[str], require: str = "") -> list:
        """FTS hits for a query; while the user types inside a word the query repeats, so remember a few."""
        key = (str(index.root), tuple(sorted(terms)), require)
        hits = self._hits.get(key)
        if hits is None or time.monotonic() - hits[0] > HITS_TTL_S:
            hits = (time.monotonic(), index.store.search_windows(terms, limit=40, require=require))
            self._hits[key] = hits
            if len(self._hits) > 32:
                self._hits.pop(next(iter(self._hits)))
        return hits[1]

    def _view(self, request: Request, rel: str, index: RepoIndex | None) -> FileView:
        """The current document's symbols and imports, re-parsed only when text off the cursor line changes.

        The first request in a just-opened file usually sees the text the index already parsed
        (same content digest): its rows stand in for a parse that costs 20-40 ms on a
        2,000-line file, the tail of first-request latency on real repositories."""
        text, offset = request.text, request.offset
        start = text.rfind("\n", 0, offset) + 1
        end = text.find("\n", offset)
        end = len(text) if end < 0 else end
        key = (hash(text[:start]), hash(text[end:]), request.language)
        cached = self._views.get(request.uri)
        if cached is not None and cached[0] == key:
            result = cached[1]
        else:
            result = self._indexed_extract(index, rel, request)
            if result is None:
                result, parsed = extract_edited(text, request.language, self._trees.pop(request.uri, None))
                if parsed is not None:  # the next edit of this document re-parses incrementally from it
                    self._trees[request.uri] = parsed
                    while len(self._trees) > KEPT_TREES:
                        self._trees.pop(next(iter(self._trees)))
            self._views[request.uri] = (key, result)
            if len(self._views) > 64:
                self._views.pop(next(iter(self._views)))
        return FileView(rel, request.language, text, offset, result.symbols, result.imports)

    @staticmethod
    def _indexed_extract(index: RepoIndex | None, rel: str, request: Request) -> FileExtract | None:
        """The index's symbols and imports of `rel` when its row was extracted from exactly this text."""
        if index is None or not rel or not supported(request.language):
            return None
        row = index.store.file(rel)
        if row is None or row.language != request.language or \
                row.hash != content_digest(request.text.encode("utf-8", "replace")):
            return None
        return FileExtract(request.language, tuple(index.store.symbols_of(rel)), tuple(index.store.imports_of(rel)), True)

    def _doc_windows(self, uri: str, text: str) -> tuple[list[str], list[tuple[int, int, frozenset[str]]]]:
        """An open document's lines and identifier windows, computed once per text (worker thread only)."""
        cached = self._doc_windows_cache.get(uri)
        if cached is not None and cached[0] is text:
            return cached[1], cached[2]
        lines = split_lines(text)
        windows = [(s, e, frozenset(t.lower() for t in identifiers("\n".join(lines[s:e]))))
                   for s, e in analogy.sliding(lines)]
        self._doc_windows_cache[uri] = (text, lines, windows)
        if len(self._doc_windows_cache) > 256:
            self._doc_windows_cache.pop(next(iter(self._doc_windows_cache)))
        return lines, windows

    def _query(self, request: Request, index: RepoIndex | None) -> analogy.Query:
        """The cursor's identifier query, IDF-weighted over the index (analogy and usages score with it)."""
        position = analogy.query_terms(request.text, request.offset)
        if not position:
            return analogy.Query({}, 0.0)
        total = self._window_total(index) if index is not None else 0
        doc_counts = self._df(index, list(position)) if index is not None else {}
        return analogy.build_query(position, doc_counts, total)

    def _other_documents(self, request: Request, index: RepoIndex | None,
                         snap: _Snapshot) -> tuple[list[tuple[str, str, str]], set[str]]:
        """Open documents other than the request's as (uri, shown path, text), and the paths of those
        in the request's index (their live text replaces the index's copy as a source)."""
        others, open_rels = [], set()
        for uri, (path, text) in snap.documents.items():
            if uri == request.uri:
                continue
            doc_index, doc_rel = self.locate(path, uri)
            if doc_index is index:
                open_rels.add(doc_rel)
            others.append((uri, doc_rel, text))
        return others, open_rels

    def _analogy(self, request: Request, index: RepoIndex | None, rel: str, snap: _Snapshot,
                 query: analogy.Query) -> list[Candidate]:
        if not query.weights:
            return []
        out: list[Candidate] = []
        others, open_rels = self._other_documents(request, index, snap)
        documents = snap.documents
        for uri, doc_rel, text in others:
            lines, windows = self._doc_windows(uri, text)
            best = sorted(windows, key=lambda w: -query.score(w[2]))[:3]
            for s, e, tokens in best:
                if query.score(tokens) > 0:
                    c = analogy.window_candidate(doc_rel, lines, s, e, query, "open")
                    if c is not None:
                        out.append(c)
        cursor_line = request.line
        for uri, line in snap.recent:
            if uri not in documents or (uri == request.uri and abs(line - cursor_line) < 40):
                continue
            path, text = documents[uri]
            _, doc_rel = self.locate(path, uri)
            lines, _ = self._doc_windows(uri, text)
            c = analogy.window_candidate(doc_rel, lines, line - 6, line + 6, query, "recent", bonus=0.1)
            if c is not None:
                out.append(c)
        if index is not None and self.settings.index:
            hits = self._search(index, list(query.search))
            scored = []
            for h in hits:
                if h.path == rel or h.path in open_rels:
                    continue  # the cursor's file (masked, and in the prompt anyway) and live buffers
                scored.append((query.score(set(h.tokens.lower().split())), h))
            scored.sort(key=lambda sh: -sh[0])
            for _, h in scored[: self.settings.max_windows + 2]:
                lines = index.read_lines(h.path)
                if lines is None:
                    continue
                c = analogy.window_candidate(h.path, lines, h.start, h.end, query, "index")
                if c is not None:
                    out.append(c)
        return analogy.dedupe(out, self.settings.max_windows)

    def _usages(self, request: Request, index: RepoIndex | None, rel: str, snap: _Snapshot,
                query: analogy.Query, access: usages.MemberAccess) -> list[Candidate]:
        """At `name.|`, lines of other files that use `name.`: open documents first, then the index."""
        found: list[usages.Usage] = []
        others, open_rels = self._other_documents(request, index, snap)
        for uri, doc_rel, text in others:
            lines, _ = self._doc_windows(uri, text)
            found += usages.find_usages(doc_rel, lines, [(0, len(lines))], access, query.score)
        if index is not None and self.settings.index:
            hits = self._search(index, list(query.search), require=access.receiver)
            spans: dict[str, list[tuple[int, int]]] = {}
            for h in hits:
                if h.path != rel and h.path not in open_rels:
                    spans.setdefault(h.path, []).append((h.start, h.end))
            for path, ranges in spans.items():
                lines = index.read_lines(path)
                if lines is not None:
                    found += usages.find_usages(path, lines, ranges, access, query.score)
        return usages.usage_candidates(found, access)

    def _reserve(self) -> dict[str, float] | None:
        """Budget shares packed first, per kind: usages (small, targeted), then analogy windows."""
        s = self.settings
        reserve = {"usage": USAGE_SHARE} if s.usages else {}
        if s.analogy_share > 0:
            reserve["analogy"] = s.analogy_share
        return reserve or None

    def _imports_block(self, view: FileView) -> list[Candidate]:
        """The file's import block, when the prefix window is likely to have cut it off."""
        if not view.imports:
            return []
        first = min(i.line for i in view.imports)
        last = max(i.line for i in view.imports)
        lines = split_lines(view.text)
        block_end = sum(len(l) + 1 for l in lines[: last + 1])
        if view.offset - block_end < self.settings.imports_after_chars or last - first > 60:
            return []
        text = "\n".join(lines[first: last + 1])
        return [Candidate(key=f"imp|{view.rel}", kind="imports", path=view.rel, text=text, score=0.8,
                          source="file", start_line=first, end_line=last + 1)]

    async def gather(self, request: Request, budget_tokens: int, count: Callable[[str], int]) -> ContextResult:
        """The context for `request`, gathered on the worker thread from a snapshot taken here, on the loop."""
        snap = _Snapshot({d.uri: (d.path, d.text) for d in self.documents.values()}, tuple(self.recent))
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker, self._gather, request, budget_tokens, count, snap)

    def _gather(self, request: Request, budget_tokens: int, count: Callable[[str], int], snap: _Snapshot) -> ContextResult:
        t0 = time.perf_counter()
        s = self.settings
        index, rel = self.locate(request.path, request.uri)
        candidates: list[Candidate] = []
        with index.busy() if index is not None else contextlib.nullcontext():
            view = self._view(request, rel, index) if (s.signatures or s.keep_imports) else None
            # `self.`/`this.` count for the member rule only: their usages elsewhere are other objects
            rule_access = usages.member_access(request.line_prefix, with_self=True)
            access = rule_access if rule_access is not None and rule_access.receiver not in usages.OWN_RECEIVERS else None
            query = self._query(request, index) if (s.analogy or s.usages) else None
            if s.analogy and query is not None:
                candidates += self._analogy(request, index, rel, snap, query)
            if s.usages and query is not None and access is not None:
                candidates += self._usages(request, index, rel, snap, query, access)
            members: frozenset[str] = frozenset()
            if s.signatures and view is not None and index is not None:
                resolver = SignatureResolver(index, view, self._namespaces.setdefault(str(index.root), {}))
                candidates += resolver.candidates(refs_near_cursor(view.text, view.offset))
                if rule_access is not None and s.member_rule \
                        and usages.rule_applies(request.text, request.offset, request.language):
                    members = resolver.member_names(rule_access.receiver, rule_access.lead) or frozenset()
            if s.keep_imports and view is not None:
                candidates += self._imports_block(view)
            previous = self._previous.get(request.uri, [])
            chosen = pack(candidates, budget_tokens, self._count(count), previous,
                          reserve=self._reserve())
            ordered = stable_order(chosen, previous)
        self._previous[request.uri] = [c.key for c in ordered]
        self._previous.move_to_end(request.uri)
        while len(self._previous) > 64:
            self._previous.popitem(last=False)
        self.last_ms = (time.perf_counter() - t0) * 1000
        report = tuple(c.describe() for c in ordered)
        if ordered:
            log.debug("context for %s: %d of %d candidates, %d tokens, %.1f ms: %s", rel, len(ordered),
                      len(candidates), sum(c.cost for c in ordered), self.last_ms,
                      "; ".join(f"{c.kind} {c.path}:{c.key.split('|')[-1]}" for c in ordered))
        # Usage lines, a module listing and the module's names are specific to the `name.` at the
        # cursor; the engine re-gathers a kept context once per new `name.` and takes it only if it
        # holds some.
        specific = bool(members) or any(c.kind == "usage" or c.source == "module" for c in ordered)
        member = rule_access.key if rule_access is not None and specific else ""
        return ContextResult(tuple(to_files(ordered)), sum(c.cost for c in ordered), report,
                             member=member, members=members)
