"""The repository index's LSP hooks: documents, file watching, workspace folders, progress.

Editors tell us about buffers (didOpen/didChange/didSave/didClose) and, through a
watcher registered dynamically once the client is initialized, about files
changed on disk. All of it is handed to `completion.context.RepositoryContext`
as plain data; indexing itself runs on the index thread. Index progress is shown
with `$/progress` work-done progress when the client supports it.
"""
from __future__ import annotations

import asyncio
import logging
import uuid

from lsprotocol import types as t

from lsp.features.documents import DocumentListener

from completion.languages import EXTENSIONS
from lsp.convert import uri_to_path
from lsp.docsync import find_document

log = logging.getLogger(__name__)
WATCHER_ID = "tabstop-index-watcher"


def _folders(ls) -> list[str]:
    folders = [p for p in (uri_to_path(f.uri) for f in ls.workspace.folders.values()) if p]
    if not folders and ls.workspace.root_path:
        folders = [ls.workspace.root_path]
    return folders


def _capability(ls, dotted: str) -> bool:
    node = ls.client_capabilities
    for part in dotted.split("."):
        node = getattr(node, part, None) if node is not None else None
    return bool(node)


class IndexProgress:
    """Marshals index-thread progress onto the event loop as work-done progress."""

    def __init__(self, ls) -> None:
        self.ls = ls
        self.tokens: dict[str, str] = {}
        self._lock: asyncio.Lock | None = None  # keeps begin/report/end in order across the await in begin

    def __call__(self, folder: str, kind: str, message: str, percentage: int | None) -> None:
        loop = self.ls.loop
        if loop is None or loop.is_closed():
            return
        asyncio.run_coroutine_threadsafe(self._send(folder, kind, message, percentage), loop)

    async def _send(self, folder: str, kind: str, message: str, percentage: int | None) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            await self._send_now(folder, kind, message, percentage)

    async def _send_now(self, folder: str, kind: str, message: str, percentage: int | None) -> None:
        progress = self.ls.work_done_progress
        try:
            if kind == "begin":
                token = f"tabstop-index-{uuid.uuid4().hex[:8]}"
                await progress.create_async(token)
                self.tokens[folder] = token
                progress.begin(token, t.WorkDoneProgressBegin(title="Tabstop", message=message,
                                                              percentage=percentage, cancellable=False))
            elif kind == "report" and folder in self.tokens:
                progress.report(self.tokens[folder], t.WorkDoneProgressReport(message=message, percentage=percentage))
            elif kind == "end" and folder in self.tokens:
                progress.end(self.tokens.pop(folder), t.WorkDoneProgressEnd(message=message))
        except Exception as exc:  # a client that refuses progress must not stop indexing
            log.debug("index progress not shown: %s", exc)


def on_initialized(ls) -> None:
    services = ls.services
    if services is None:
        return
    if _capability(ls, "window.work_done_progress"):
        services.context.on_progress = IndexProgress(ls)
    services.context.set_folders(_folders(ls))
    if _capability(ls, "workspace.did_change_watched_files.dynamic_registration"):
        asyncio.ensure_future(_register_watcher(ls))


async def _register_watcher(ls) -> None:
    extensions = ",".join(sorted(e.lstrip(".") for e in EXTENSIONS))
    watchers = [t.FileSystemWatcher(glob_pattern=f"**/*.{{{extensions}}}"),
                t.FileSystemWatcher(glob_pattern="**/.gitignore")]
    try:
        await ls.client_register_capability_async(t.RegistrationParams(registrations=[t.Registration(
            id=WATCHER_ID, method=t.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=t.DidChangeWatchedFilesRegistrationOptions(watchers=watchers))]))
        log.info("file watcher registered for the repository index")
    except Exception as exc:  # the client said no: didSave still keeps the index fresh
        log.info("file watcher not registered: %s", exc)


def register(server) -> None:
    server.on_initialized.append(on_initialized)

    def context(ls):
        return ls.services.context if ls.services is not None else None

    def did_open(ls, params: t.DidOpenTextDocumentParams) -> None:
        ctx = context(ls)
        if ctx is not None:
            doc = params.text_document
            ctx.document_opened(doc.uri, uri_to_path(doc.uri), doc.language_id or "", doc.text, doc.version)

    def did_change(ls, params: t.DidChangeTextDocumentParams) -> None:
        ctx = context(ls)
        uri = params.text_document.uri
        doc = find_document(ls.workspace, uri)  # pygls keys by the unquoted URI
        if ctx is None or doc is None:
            return
        line = None
        for change in params.content_changes:
            if isinstance(change, t.TextDocumentContentChangePartial):
                line = change.range.start.line
        ctx.document_changed(uri, doc.source, doc.version, line)

    def did_save(ls, params: t.DidSaveTextDocumentParams) -> None:
        ctx = context(ls)
        if ctx is not None:
            ctx.document_saved(params.text_document.uri)

    def did_close(ls, params: t.DidCloseTextDocumentParams) -> None:
        ctx = context(ls)
        if ctx is not None:
            ctx.document_closed(params.text_document.uri)

    # didOpen/didChange/didSave/didClose are owned by lsp/features/documents.py (one handler
    # per notification in pygls); the index subscribes as a listener.
    server.document_listeners.append(DocumentListener(did_open, did_change, did_save, did_close))

    @server.feature(t.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls, params: t.DidChangeWatchedFilesParams) -> None:
        ctx = context(ls)
        if ctx is None:
            return
        changed, deleted = [], []
        for event in params.changes:
            path = uri_to_path(event.uri)
            if path:
                (deleted if event.type == t.FileChangeType.Deleted else changed).append(path)
        ctx.files_changed(changed, deleted)

    @server.feature(t.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(ls, params: t.DidChangeWorkspaceFoldersParams) -> None:
        ctx = context(ls)
        if ctx is not None:
            ctx.set_folders(_folders(ls))
