"""The completion lifecycle logic (pure): events keyed by id, implicit rejects, survival, records, stats.

The sink is a plain list here; the real SQLite path is covered in tests/telemetry and tests/e2e.
"""
from __future__ import annotations

from completion.filter.features import History, char_class, feature_names, pre_features, vectorize
from completion.flywheel.dataset import build_records
from completion.flywheel.stats import summarize
from completion.flywheel.survival import survival
from completion.flywheel.tracker import FeedbackTracker
from completion.types import CompletionInfo, CompletionResponse, Request, Suggestion

URI = "file:///w/a.py"
DOC = "def area(w, h):\n    return "


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def make(store_code: bool = False, capacity: int = 512):
    events: list[dict] = []
    clock = Clock()
    return FeedbackTracker(events.append, store_code=store_code, capacity=capacity, clock=clock), events, clock


def request(text: str = DOC, offset: int | None = None) -> Request:
    return Request(uri=URI, text=text, offset=len(text) if offset is None else offset, language="python",
                   trigger="automatic")


def respond(tracker: FeedbackTracker, req: Request, text: str, cid: str, logprob: float = -0.3):
    decision = tracker.before(req)
    info = CompletionInfo(model="m", backend="local", mode="line", stop_reason="rule", prompt_tokens=40,
                          prompt_tokens_evaluated=12, generated_tokens=5, total_ms=321.0)
    return tracker.after(req, CompletionResponse([Suggestion(cid, text, logprob)], info), decision)


def kinds(events, cid):
    return [e["kind"] for e in events if e["completion_id"] == cid]


def test_requested_event_carries_the_attributes_and_features():
    tracker, events, _ = make()
    out = respond(tracker, request(), "w * h", "c1")
    assert [s.id for s in out.items] == ["c1"]
    (e,) = [e for e in events if e["completion_id"] == "c1"]
    assert e["kind"] == "requested" and e["model"] == "m" and e["backend"] == "local"
    assert e["language"] == "python" and e["trigger"] == "automatic" and e["latency_ms"] == 321.0
    assert e["prompt_tokens"] == 40 and e["mean_logprob"] == -0.3 and e["completion_chars"] == 5
    assert e["features"]["chars_before"] == len("    return ") and e["features"]["prefix_end"] == "space"
    assert e["features"]["prev_outcome"] == "none"
    assert "prefix" not in e  # no code without the opt-in


def test_show_accept_and_outcome():
    tracker, events, clock = make()
    respond(tracker, request(), "w * h", "c1")
    tracker.shown("c1")
    tracker.shown("c1")  # clients may repeat it: one event
    clock.now += 2
    tracker.accepted("c1")
    final = DOC + "w * h\n"
    assert tracker.outcome("c1", final) == 1.0
    assert kinds(events, "c1") == ["requested", "shown", "accepted", "outcome"]
    accepted = events[2]
    assert accepted["accepted_chars"] == 5 and accepted["model"] == "m" and accepted["features"]
    assert tracker.history.last_outcome == "accepted"


def test_outcome_measures_what_survived_after_edits_above():
    tracker, events, _ = make()
    respond(tracker, request(), "w * h  # area", "c1")
    tracker.accepted("c1")
    edited = "import math\n\n" + DOC + "w * h\n"  # lines added above; the comment deleted
    share = tracker.outcome("c1", edited)
    assert share is not None and 0.3 < share < 0.6
    assert events[-1]["kind"] == "outcome" and events[-1]["survived_chars"] == 5


def test_partial_accept_is_clamped_and_counts_as_accepted():
    tracker, events, _ = make()
    respond(tracker, request(), "w * h", "c1")
    tracker.partial("c1", 1)
    tracker.partial("c1", 99)
    partials = [e for e in events if e["kind"] == "partial"]
    assert [e["accepted_chars"] for e in partials] == [1, 5]
    (rec,) = build_records(events)
    assert rec.outcome == "partial" and rec.accepted_chars == 5 and rec.label == 1


def test_typed_over_is_an_implicit_reject():
    tracker, events, _ = make()
    respond(tracker, request(), "w * h", "c1")
    tracker.shown("c1")
    respond(tracker, request(DOC + "max("), "w, h)", "c2")
    (rej,) = [e for e in events if e["kind"] == "rejected"]
    assert rej["completion_id"] == "c1" and rej["reason"] == "typed_over"
    assert tracker.history.last_outcome == "rejected"
    assert tracker.history.recent == [0]


def test_typing_through_is_not_a_reject():
    tracker, events, _ = make()
    respond(tracker, request(), "w * h", "c1")
    tracker.shown("c1")
    respond(tracker, request(DOC + "w *"), " h", "c2")
    assert not [e for e in events if e["kind"] == "rejected"]


def test_new_request_at_the_same_place_rejects_and_late_accept_still_wins():
    tracker, events, _ = make()
    respond(tracker, request(), "w * h", "c1")
    tracker.shown("c1")
    respond(tracker, request(), "w*h", "c2")
    assert [e["reason"] for e in events if e["kind"] == "rejected"] == ["new_request"]
    tracker.accepted("c1")  # the accept command raced the next request
    recs = {r.completion_id: r for r in build_records(events)}
    assert recs["c1"].outcome == "accepted"


def test_clients_that_report_shown_get_no_reject_for_unshown_items():
    tracker, events, _ = make()
    respond(tracker, request(), "w * h", "c0")
    tracker.shown("c0")
    tracker.accepted("c0")
    respond(tracker, request(DOC + "w * h\n"), "pass", "c1")  # never shown
    respond(tracker, request(DOC + "w * h\nx"), "yz", "c2")
    assert not [e for e in events if e["kind"] == "rejected"]


def test_explicit_reject_and_unknown_ids():
    tracker, events, _ = make()
    respond(tracker, request(), "w * h", "c1")
    tracker.rejected("c1")
    tracker.accepted("nope")
    assert [(e["kind"], e.get("reason")) for e in events if e["completion_id"] == "c1"][-1] == ("rejected", "explicit")
    unknown = [e for e in events if e["completion_id"] == "nope"]
    assert unknown and unknown[0]["kind"] == "accepted" and unknown[0]["reason"] == "unknown_id"


def test_store_code_puts_code_on_accepted_events_only():
    tracker, events, _ = make(store_code=True)
    respond(tracker, request(), "w * h", "c1")
    tracker.accepted("c1")
    req_e, acc_e = events
    assert "prefix" not in req_e
    assert acc_e["prefix"] == DOC and acc_e["completion"] == "w * h" and acc_e["suffix"] == ""


def test_without_a_sink_nothing_is_emitted_but_history_is_kept():
    tracker = FeedbackTracker(None)
    respond(tracker, request(), "w * h", "c1")
    tracker.accepted("c1")
    assert tracker.history.last_outcome == "accepted"


def test_memory_is_bounded():
    tracker, events, _ = make(capacity=3)
    for i in range(10):
        respond(tracker, request(DOC + "x" * i), "y", f"c{i}")
    assert len(tracker._recent) == 3 and tracker.get("c9") is not None and tracker.get("c0") is None
    tracker.accepted("c0")  # forgotten: still recorded, flagged
    assert events[-1]["reason"] == "unknown_id"


def test_empty_answers_are_recorded_with_the_reason():
    tracker, events, _ = make()
    req = request()
    decision = tracker.before(req)
    tracker.after(req, CompletionResponse([], CompletionInfo(skipped="text after the cursor")), decision)
    assert events[-1]["kind"] == "requested" and events[-1]["reason"] == "text after the cursor"


def test_survival_locates_the_insertion_by_its_anchor():
    text = "a = 1\nb = compute(x)\nc = 3\n"
    assert survival("compute(x)", text, "a = 1\nb = ", 10) == 1.0
    assert survival("compute(x)", "a = 1\nb = \nc = 3\n", "a = 1\nb = ", 10) < 0.2


def test_features_and_vector():
    req = Request(uri=URI, text="x = foo.", offset=8, language="python", trigger="invoked")
    h = History()
    h.record(False, 10.0)
    f = pre_features(req, h, 12.5)
    assert f["prefix_end"] == "dot" and f["prev_outcome"] == "rejected" and f["since_last_s"] == 2.5
    assert f["whitespace_after"] is True and f["mid_word"] is True
    v = vectorize(f, "pre")
    assert v["prev=rejected"] == 1.0 and v["end=dot"] == 1.0 and v["lang=python"] == 1.0
    assert list(v) == feature_names("pre")
    assert set(feature_names("pre")) < set(feature_names("full"))
    assert char_class("(") == "open" and char_class("") == "none"


def test_stats_by_dimension():
    tracker, events, _ = make()
    respond(tracker, request(), "w * h", "c1")
    tracker.accepted("c1")
    respond(tracker, request(DOC + "q"), "zz", "c2")
    tracker.rejected("c2")
    summary = summarize(build_records(events))
    assert summary.total.accepted == 1 and summary.total.rejected == 1 and summary.total.rate == 0.5
    assert summary.total.accepted_chars == 5
    assert [g.key for g in summary.groups["language"]] == ["python"]
    assert [g.key for g in summary.groups["latency"]] == ["250-500 ms"]


def test_context_kinds_are_read_from_the_engine_report():
    """The report lines of completion/context (`score kind source where (cost) key`)."""
    from completion.filter.features import context_kinds

    report = ["0.812 analogy   open   a.py:3-12 (40 tok) win", "0.500 signature index  b.py:1-2 (12 tok) f",
              "0.400 imports   file   c.py (8 tok) imports", "0.300 analogy   index  d.py:1-9 (30 tok) w"]
    assert context_kinds(report) == ["analogy", "import", "signature"]
    assert context_kinds([]) == []
