"""Hostile input for `tabstop serve`: hypothesis strategies and the harness that checks every answer.

Shared by the fuzz test (tests/e2e/test_fuzz.py, a few hundred cases) and the
benchmark (benchmarks/fuzz_server.py, thousands). One *case* is a short list of
actions — raw bytes, junk frames, malformed and well-formed JSON-RPC messages,
edits, cancellations — sent to one long-lived server process, followed by a
sentinel request. The rules checked after every case:

* the process is alive and its output is well-formed;
* every message we sent that is a request (an object with a method and a string
  or integer id, correctly framed) got exactly one response;
* the sentinel got its answer (the stream is in sync again after any junk).
"""
from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from tests.rawlsp import RawServer, frame

DOC_URIS = ("file:///fuzz/a.py", "untitled:fuzz-b", "file:///fuzz/dir%20x/c.rs")
DOC_TEXT = "def add(a, b):\n    return a + b\r\n\nclass K:\n    s = '😀 é \u2028 x'\n    def m(self):\n        return "
SENTINEL = "tabstop/fuzz-sentinel"
REQUEST_METHODS = ("textDocument/inlineCompletion", "textDocument/completion", "workspace/executeCommand",
                   "initialize", "textDocument/hover", "tabstop/unknown", "$/weird", "textDocument/didOpen")
NOTIFY_METHODS = ("textDocument/didOpen", "textDocument/didChange", "textDocument/didClose", "textDocument/didSave",
                  "$/cancelRequest", "workspace/didChangeConfiguration", "initialized", "$/setTrace",
                  "workspace/didChangeWorkspaceFolders", "window/workDoneProgress/cancel", "tabstop/unknown")

# -- values ----------------------------------------------------------------------------------
EDGE_INTS = st.sampled_from([0, 1, 2, 3, 4, 5, 6, 7, 8, -1, -2**31, 2**31 - 1, 2**31, 2**32, 2**53, 2**63, 10**30])
ints = st.one_of(st.integers(0, 9), EDGE_INTS)
odd_strings = st.sampled_from(["", "\ud800", "a\udc00b", "😀", "\x00", "\u2028", "\r\n", "'\"\\", "x" * 3000,
                               "<|fim_middle|>", "../../etc/passwd", "%zz", "\ufeff"])
texts = st.one_of(st.text(max_size=30), odd_strings)
leaves = st.one_of(st.none(), st.booleans(), ints, st.integers(), st.floats(), texts)
json_values = st.recursive(leaves, lambda c: st.one_of(st.lists(c, max_size=4),
                                                       st.dictionaries(texts, c, max_size=4)), max_leaves=12)
uris = st.one_of(st.sampled_from(DOC_URIS), st.sampled_from(
    ["file:///never/opened.py", "untitled:x", "", "::::", "file:///a%00b.py", "http://example.com/x.py",
     "file://[bad/x", "file:///" + "d/" * 500 + "x.py", "vscode-notebook-cell:/n.ipynb#W1"]), texts)


def maybe_broken(d: dict) -> st.SearchStrategy:
    """The dict as is, or with one key dropped or replaced by a hostile value."""
    keys = sorted(d)
    return st.one_of(
        st.just(d), st.just(d), st.just(d),
        st.sampled_from(keys).map(lambda k: {x: v for x, v in d.items() if x != k}),
        st.tuples(st.sampled_from(keys), json_values).map(lambda kv: {**d, kv[0]: kv[1]}),
    )


def _dict(**parts: st.SearchStrategy) -> st.SearchStrategy:
    return st.fixed_dictionaries(parts).flatmap(maybe_broken)


positions = st.one_of(_dict(line=ints, character=ints), json_values)
ranges = _dict(start=positions, end=positions)
text_documents = _dict(uri=uris)
inline_params = _dict(textDocument=text_documents, position=positions,
                      context=_dict(triggerKind=st.one_of(st.sampled_from([1, 2]), ints, json_values)))
open_params = _dict(textDocument=_dict(uri=uris, languageId=st.sampled_from(["python", "rust", "", "x" * 100]),
                                       version=ints, text=st.one_of(st.just(DOC_TEXT), texts)))
changes = st.one_of(_dict(range=ranges, text=texts), _dict(text=st.one_of(st.just(DOC_TEXT), texts)))
change_params = _dict(textDocument=_dict(uri=uris, version=ints), contentChanges=st.lists(changes, max_size=3))
settings_values = st.one_of(
    json_values,
    st.sampled_from([{"completion": {"maxTokens": "many"}}, {"completion": [1]}, {"model": 5}, {"logLevel": "loud"},
                     {"tabstop": {"completion": {"deadlineMs": -5}}}, {"backend": "quantum"}, None, {}, "settings",
                     {"completion": {"maxTokens": 3, "deadlineMs": 300}}]))
params_by_method = {
    "textDocument/inlineCompletion": inline_params,
    "textDocument/completion": inline_params,
    "textDocument/didOpen": open_params,
    "textDocument/didChange": change_params,
    "textDocument/didClose": _dict(textDocument=text_documents),
    "textDocument/didSave": _dict(textDocument=text_documents, text=st.one_of(st.none(), texts)),
    "workspace/didChangeConfiguration": _dict(settings=settings_values),
    "workspace/executeCommand": _dict(command=st.sampled_from(["tabstop.accept", "nope", ""]),
                                      arguments=st.one_of(st.lists(json_values, max_size=3), json_values)),
    "$/cancelRequest": _dict(id=st.one_of(st.just("LAST"), ints, texts, json_values)),
    "$/setTrace": _dict(value=st.sampled_from(["off", "messages", "verbose", "loud"])),
    "initialize": _dict(capabilities=st.one_of(st.just({}), json_values)),
}


def params_for(method: str) -> st.SearchStrategy:
    return params_by_method.get(method, json_values)


# -- messages --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Message:
    """A JSON-RPC-ish object; `id_kind` int/str are filled with fresh ids by the harness."""

    body: dict
    id_kind: str  # "int" | "str" | "none" | "bad"


bad_ids = st.sampled_from([1.5, True, None, [1], {"a": 1}, -0.0])


@st.composite
def messages(draw) -> Message:
    is_request = draw(st.booleans())
    method = draw(st.sampled_from(REQUEST_METHODS if is_request else NOTIFY_METHODS))
    body: dict[str, Any] = {"jsonrpc": draw(st.sampled_from(["2.0"] * 12 + ["1.0", 2]))}
    if draw(st.integers(0, 30)) == 0:
        body["method"] = draw(st.one_of(st.integers(), st.none(), texts))
    elif draw(st.integers(0, 30)) != 0:
        body["method"] = method
    params = draw(params_for(method))
    if draw(st.integers(0, 10)) != 0:
        body["params"] = params
    id_kind = "none"
    if is_request:
        id_kind = draw(st.sampled_from(["int"] * 6 + ["str"] * 3 + ["bad"]))
        if id_kind == "bad":
            body["id"] = draw(bad_ids)
    return Message(body, id_kind)


small = st.one_of(st.integers(0, 9), st.integers(0, 9), EDGE_INTS)
pos = st.fixed_dictionaries({"line": small, "character": small})
doc_uris = st.one_of(st.sampled_from(DOC_URIS), st.sampled_from(DOC_URIS), uris)


@st.composite
def semantic_messages(draw) -> Message:
    """Well-formed messages with hostile *values*: positions, ranges, URIs, text, cancellations.

    Structural fuzzing alone almost never reaches the completion engine (one
    broken level anywhere and the message stops at deserialisation); these do.
    """
    kind = draw(st.sampled_from(["inline"] * 4 + ["change"] * 3 + ["open", "close", "cancel", "save", "accept"]))
    uri = draw(doc_uris)
    if kind == "inline":
        params = {"textDocument": {"uri": uri}, "position": draw(pos),
                  "context": {"triggerKind": draw(st.sampled_from([1, 1, 1, 2]))}}
        return Message({"jsonrpc": "2.0", "method": "textDocument/inlineCompletion", "params": params}, "int")
    if kind == "change":
        change = draw(st.one_of(
            st.fixed_dictionaries({"range": st.fixed_dictionaries({"start": pos, "end": pos}), "text": texts}),
            st.fixed_dictionaries({"text": st.one_of(st.just(DOC_TEXT), texts)})))
        params = {"textDocument": {"uri": uri, "version": draw(small)}, "contentChanges": [change]}
        return Message({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": params}, "none")
    if kind == "open":
        params = {"textDocument": {"uri": uri, "languageId": "python", "version": draw(small),
                                   "text": draw(st.one_of(st.just(DOC_TEXT), texts))}}
        return Message({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": params}, "none")
    if kind == "close":
        return Message({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}},
                       "none")
    if kind == "save":
        return Message({"jsonrpc": "2.0", "method": "textDocument/didSave", "params": {"textDocument": {"uri": uri}}},
                       "none")
    if kind == "accept":
        params = {"command": "tabstop.accept", "arguments": draw(st.lists(json_values, max_size=2))}
        return Message({"jsonrpc": "2.0", "method": "workspace/executeCommand", "params": params}, "str")
    return Message({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": "LAST"}}, "none")


@dataclass(frozen=True)
class Action:
    kind: str  # "message" | "batch" | "bytes"
    messages: tuple[Message, ...] = ()
    data: bytes = b""


raw_bytes = st.one_of(
    st.binary(max_size=300),
    st.binary(max_size=200).map(frame),
    st.builds(lambda n, tail: b"Content-Length: %d\r\n\r\n" % n + tail, st.integers(0, 10**13), st.binary(max_size=60)),
    st.sampled_from([b"Content-Length: ", b"Content-Length: 12", b"\r\n\r\n", b"\n\n", b"X-Junk: 1\r\n\r\n",
                     frame(b"[" * 50_000), frame(b"{not json"), frame(b'"\xff\xfe"'), frame(b"[]"), frame(b"null"),
                     frame(b'{"jsonrpc": "2.0", "id": 1e999, "method": "x"}'), frame(b'{"id": ' + b"9" * 5000 + b"}")]),
)
actions = st.one_of(
    messages().map(lambda m: Action("message", (m,))),
    semantic_messages().map(lambda m: Action("message", (m,))),
    semantic_messages().map(lambda m: Action("message", (m,))),
    semantic_messages().map(lambda m: Action("message", (m,))),
    st.lists(messages(), min_size=0, max_size=3).map(lambda ms: Action("batch", tuple(ms))),
    raw_bytes.map(lambda b: Action("bytes", data=b)),
)
cases = st.lists(actions, min_size=1, max_size=6)


# -- the harness -----------------------------------------------------------------------------
@dataclass
class FuzzStats:
    cases: int = 0
    messages: int = 0
    raw_chunks: int = 0
    requests: int = 0
    answered: int = 0
    unanswered: int = 0
    duplicates: int = 0
    crashes: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)  # "result" or the error code, per answered request

    def line(self) -> str:
        return (f"{self.cases} cases, {self.messages} messages + {self.raw_chunks} raw chunks, "
                f"{self.requests} requests: {self.answered} answered, {self.unanswered} unanswered, "
                f"{self.duplicates} answered twice, {self.crashes} crashes, {self.seconds:.0f} s")


FUZZ_OPTIONS = {"completion": {"maxTokens": 2, "deadlineMs": 400}}


class FuzzHarness:
    def __init__(self, server: RawServer, timeout: float = 120.0) -> None:
        self.server = server
        self.timeout = timeout
        self.stats = FuzzStats()
        self._last_request: Any = None

    def setup(self) -> None:
        self.server.initialize(FUZZ_OPTIONS)
        for uri in DOC_URIS:
            self.server.open(uri, DOC_TEXT)

    def _fill(self, message: Message) -> tuple[dict, Any]:
        body = dict(message.body)
        expected = None
        if message.id_kind in ("int", "str"):
            body["id"] = expected = self.server.next_id(message.id_kind)
        params = body.get("params")
        if isinstance(params, dict) and params.get("id") == "LAST" and self._last_request is not None:
            body["params"] = {**params, "id": self._last_request}
        if expected is not None and "method" not in body:
            expected = None  # a "response" from us: nothing to answer
        if expected is not None:
            self._last_request = expected
        return body, expected

    def run_case(self, case: list[Action]) -> None:
        if os.environ.get("TABSTOP_FUZZ_VERBOSE"):
            print(f"case {self.stats.cases}: {case!r}"[:2000], flush=True)
        t0 = time.monotonic()
        expected: list[Any] = []
        s = self.server
        for action in case:
            if action.kind == "bytes":
                s.send_bytes(action.data)
                self.stats.raw_chunks += 1
                continue
            bodies = []
            for message in action.messages:
                body, want = self._fill(message)
                bodies.append(body)
                if want is not None:
                    expected.append(want)
            self.stats.messages += len(bodies)
            payload = bodies[0] if action.kind == "message" else bodies
            s.send_bytes(frame(json.dumps(payload).encode("utf-8", "surrogatepass")))
        sentinel = s.request(SENTINEL)
        expected.append(sentinel)
        missing = s.wait_for(expected, self.timeout)
        self.stats.cases += 1
        self.stats.requests += len(expected)
        self.stats.unanswered += len(missing)
        self.stats.answered += len(expected) - len(missing)
        for i in expected:
            for reply in s.responses.get(i, ())[:1]:
                self.stats.outcomes["result" if "result" in reply else str(reply.get("error", {}).get("code"))] += 1
        twice = [i for i in expected if len(s.responses.get(i, ())) > 1]
        self.stats.duplicates += len(twice)
        if not s.alive():
            self.stats.crashes += 1
        self.stats.seconds += time.monotonic() - t0
        problems = []
        if missing:
            problems.append(f"unanswered ids {missing}")
        if twice:
            problems.append(f"answered twice {twice}")
        if not s.alive():
            problems.append(f"server exited with {s.proc.returncode}")
        if s.output_errors:
            problems.append(f"malformed output {s.output_errors[:3]}")
        if problems:
            self.stats.failures.append("; ".join(problems))
            raise AssertionError("; ".join(problems) + f"\ncase: {case!r}"[:3000])

    def restore(self) -> None:
        """Undo what the fuzz may have configured, so that a real completion can follow."""
        self.server.notify("workspace/didChangeConfiguration", {"settings": {
            "completion": {"enabled": True, "disabledLanguages": [], "maxTokens": 24, "deadlineMs": 60000},
            "logLevel": "info"}})

    def real_completion(self, uri: str = "untitled:fuzz-final") -> dict:
        """After everything: a real completion from the real model (see tests/e2e/test_robustness.py)."""
        self.restore()
        text = "def add(a, b):\n    return a + b\n\n\ndef subtract(a, b):\n    return \n"
        self.server.open(uri, text)
        return self.server.call("textDocument/inlineCompletion", self.server.inline_params(uri, 5, 11), timeout=300)
