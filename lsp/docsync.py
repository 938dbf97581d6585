"""Text-document synchronisation that notices when it has lost track of the editor's text.

pygls applies an incremental edit whose range does not fit the document by
silently clamping it (and splits lines on U+2028 and form feeds, which LSP does
not), so after one bad edit every later completion is computed for text the
user does not have. Here an edit is applied only if its whole range exists in
the document; otherwise the document is marked *out of sync*, that is logged
once, and it gets no completions (an empty answer, never one for the wrong
text) until we hold the editor's full text again:

* a `didChange` whose change carries the full text (no range),
* `didSave` for a `file:` URI: right after a save the file on disk *is* the
  buffer, so we reload it from disk (or take the text, if the client sends it;
  we do not ask for `includeText`, which would send tens of MB on every save),
* `didClose` + `didOpen`.

We never reload from disk at the moment of the bad edit: the buffer may hold
unsaved changes, and completing against the saved file would be the stale
answer we are avoiding. LSP has no request for "send me the whole document".

Every applied edit bumps a sequence number per document; a request remembers
the sequence at the moment it arrived (see lsp/protocol.py), so a request whose
document changed before its handler ran is recognised as stale.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from lsprotocol import types as t

from lsp.convert import LineIndex, PositionError, encoding_name, position_to_offset, uri_to_path

log = logging.getLogger(__name__)


@dataclass
class DocState:
    seq: int = 0  # global edit sequence number at this document's last change
    out_of_sync: str = ""  # why, while we do not hold the editor's text


def find_document(workspace, uri: str):
    """The open document for `uri`, or None (pygls keys documents by the unquoted URI)."""
    docs = workspace.text_documents
    return docs.get(uri) or docs.get(unquote(uri))


class DocumentSync:
    def __init__(self) -> None:
        self.seq = 0
        self._states: dict[str, DocState] = {}

    # -- queries ---------------------------------------------------------------------------
    def state(self, uri: str) -> DocState:
        return self._states.get(unquote(uri)) or DocState()

    def changed_since(self, uri: str, seq: int) -> bool:
        return self.state(uri).seq > seq

    def out_of_sync(self, uri: str) -> str:
        return self.state(uri).out_of_sync

    # -- notifications ---------------------------------------------------------------------
    def _touch(self, uri: str, out_of_sync: str = "") -> None:
        self.seq += 1
        self._states[unquote(uri)] = DocState(self.seq, out_of_sync)

    def mark_out_of_sync(self, workspace, uri: str, reason: str) -> None:
        doc = find_document(workspace, uri)
        if doc is not None and not self.out_of_sync(uri):
            log.warning("%s is out of sync (%s); no completions there until the client sends the full text "
                        "(a save does)", uri, reason)
            self._touch(doc.uri, reason)

    def did_open(self, workspace, params: t.DidOpenTextDocumentParams) -> None:
        workspace.put_text_document(params.text_document)
        self._touch(params.text_document.uri)

    def did_close(self, workspace, params: t.DidCloseTextDocumentParams) -> None:
        workspace.remove_text_document(params.text_document.uri)
        self._states.pop(unquote(params.text_document.uri), None)
        self.seq += 1

    def did_change(self, workspace, params: t.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        doc = find_document(workspace, uri)
        if doc is None:
            log.warning("didChange for %s, which is not open: ignored (send didOpen first)", uri)
            return
        reason = self.out_of_sync(uri)
        text: str | None = None if reason else doc.source
        encoding = encoding_name(workspace.position_encoding)
        for change in params.content_changes:
            if isinstance(change, t.TextDocumentContentChangeWholeDocument):
                text, reason = change.text, ""
                continue
            if text is None:
                continue  # out of sync: partial edits cannot be applied to text we do not have
            try:
                text = apply_edit(text, change.range, change.text, encoding)
            except PositionError as exc:
                reason = f"edit {_fmt(change.range)} does not fit version {doc.version}: {exc}"
                log.warning("%s is out of sync (%s); no completions there until the client sends the full "
                            "text (a save does)", uri, reason)
                text = None
        self._replace(workspace, doc, params.text_document.version, text, reason)

    def did_save(self, workspace, params: t.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        doc = find_document(workspace, uri)
        if doc is None or not self.out_of_sync(uri):
            return
        text = params.text
        if text is None and (path := uri_to_path(uri)):
            try:
                text = Path(path).read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                log.warning("could not reload %s after save: %s", path, exc)
                return
        if text is not None:
            log.info("%s is in sync again (full text from didSave)", uri)
            self._replace(workspace, doc, doc.version, text, "")

    def _replace(self, workspace, doc, version: int | None, text: str | None, reason: str) -> None:
        if text is None:
            text = doc.source  # keep the last good text for anyone who reads it; never completed against
        workspace.put_text_document(t.TextDocumentItem(
            uri=doc.uri, language_id=doc.language_id or "", version=version if version is not None else 0, text=text))
        self._touch(doc.uri, reason)


def apply_edit(text: str, rng: t.Range, new_text: str, encoding: str) -> str:
    """`text` with `rng` replaced; PositionError unless the whole range exists in `text`.

    One lenient case, because some clients send it for "to the end": an end at
    (line count, 0), one line past the last, means the end of the text.
    """
    index = LineIndex(text)
    start = _offset(index, rng.start, encoding)
    end = _offset(index, rng.end, encoding)
    if end < start:
        raise PositionError(f"range end {_fmt_pos(rng.end)} is before its start {_fmt_pos(rng.start)}")
    return text[:start] + new_text + text[end:]


def _offset(index: LineIndex, pos: t.Position, encoding: str) -> int:
    if pos.line == index.line_count and pos.character == 0:
        return len(index.text)
    return position_to_offset(index, pos.line, pos.character, encoding)


def _fmt_pos(pos: t.Position) -> str:
    return f"{pos.line}:{pos.character}"


def _fmt(rng: t.Range) -> str:
    return f"{_fmt_pos(rng.start)}-{_fmt_pos(rng.end)}"
