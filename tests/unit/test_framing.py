"""The framer recovers every well-formed message that follows junk (sans-I/O, so no process needed)."""
from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from lsp.framing import MAX_BODY, MessageFramer, ParseFailure, decode_body


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


MSG = [json.dumps({"jsonrpc": "2.0", "id": i, "method": "m", "params": {"text": "é\n" * i}}).encode() for i in range(4)]


def drain(framer: MessageFramer) -> list[bytes]:
    """What the transport does: parse each body; rescan the ones that are not JSON."""
    good = []
    while (body := framer.next_body()) is not None:
        if isinstance(decode_body(body), ParseFailure):
            framer.pushback(body)
        else:
            good.append(body)
    return good


def test_plain_messages_in_one_chunk_and_byte_by_byte():
    data = b"".join(frame(m) for m in MSG)
    assert MessageFramer().bodies(data) == MSG
    framer, out = MessageFramer(), []
    for i in range(len(data)):
        out += framer.bodies(data[i : i + 1])
    assert out == MSG


def test_other_headers_lowercase_name_and_lf_only():
    data = (b"content-type: application/vscode-jsonrpc; charset=utf-8\r\nContent-length:%d\r\n\r\n" % len(MSG[0])
            + MSG[0] + b"Content-Length: %d\n\n" % len(MSG[1]) + MSG[1])
    assert MessageFramer().bodies(data) == MSG[:2]


def test_junk_without_header_is_skipped():
    framer = MessageFramer()
    assert framer.bodies(b"X-Garbage: yes\r\n\r\n" + frame(MSG[0])) == [MSG[0]]
    assert framer.junk_bytes == len(b"X-Garbage: yes\r\n\r\n")


def test_lying_huge_length_is_never_allocated_or_waited_for():
    framer = MessageFramer()
    assert framer.bodies(b"Content-Length: 99999999999\r\n\r\n" + frame(MSG[0])) == [MSG[0]]
    assert framer.bodies(b"Content-Length: %d\r\n\r\n" % (MAX_BODY + 1) + frame(MSG[1])) == [MSG[1]]


def test_length_too_long_recovers_the_swallowed_message_without_waiting():
    framer = MessageFramer()
    assert framer.bodies(b"Content-Length: 5000\r\n\r\n{\"x\": 1" + frame(MSG[0])) == [MSG[0]]


def test_length_too_short_recovers_via_pushback():
    framer = MessageFramer()
    framer.feed(b"Content-Length: 3\r\n\r\n" + frame(MSG[0]))
    assert drain(framer) == [MSG[0]]


def test_partial_header_glued_to_the_next_one():
    framer = MessageFramer()
    assert drain_all(framer, b"Content-Length: 12" + frame(MSG[1])) == [MSG[1]]


def drain_all(framer: MessageFramer, data: bytes) -> list[bytes]:
    framer.feed(data)
    return drain(framer)


def test_endless_junk_is_bounded():
    framer = MessageFramer()
    for _ in range(40):
        framer.feed(b"x" * 100_000)
        assert framer.next_body() is None
    assert len(framer._buf) < 100_000 + 70_000
    assert drain_all(framer, frame(MSG[2])) == [MSG[2]]


def test_many_tiny_junk_headers_do_not_recurse():
    framer = MessageFramer()
    assert drain_all(framer, b"\n\n" * 200_000 + b"Content-Length: 0\r\n\r\n" * 20_000 + frame(MSG[3])) == [MSG[3]]


def test_decode_body():
    assert decode_body(b'{"a": "\xff"}') == {"a": "\ufffd"}
    assert isinstance(decode_body(b"[" * 100_000), ParseFailure)
    assert isinstance(decode_body(b'{"id": ' + b"9" * 5000 + b"}"), ParseFailure)
    assert isinstance(decode_body(b""), ParseFailure)


@settings(max_examples=300, deadline=None)
@given(junk=st.lists(st.one_of(
    st.binary(max_size=200),
    st.builds(lambda n, tail: b"Content-Length: %d\r\n\r\n" % n + tail, st.integers(0, 10**13), st.binary(max_size=50)),
    st.sampled_from([b"Content-Length: ", b"Content-Length: 7", b"\r\n", b"\r\n\r\n", b"\n\n", b"{", b'"']),
), max_size=6), split=st.integers(1, 4096))
def test_any_junk_then_a_message_yields_that_message(junk, split):
    """Whatever precedes it, a well-formed message is delivered (possibly after junk bodies)."""
    data = b"".join(junk) + frame(MSG[1]) + frame(MSG[2])
    framer, got = MessageFramer(), []
    for i in range(0, len(data), split):
        got += drain_all(framer, data[i : i + split])
    assert got[-2:] == [MSG[1], MSG[2]]
