"""Usage lines at `name.|`: which receiver, which lines elsewhere, how they are grouped (pure functions)."""
from __future__ import annotations

from completion.context import usages
from completion.context.usages import MemberAccess, Usage, find_usages, member_access, usage_candidates


def test_member_access_at_the_cursor():
    assert member_access("    response = httpx.") == MemberAccess("httpx", ".", "", "response =")
    assert member_access("    x = fields.Int") == MemberAccess("fields", ".", "Int", "x =")
    assert member_access("    let v = Vec::wi") == MemberAccess("Vec", "::", "wi", "let v =")
    assert member_access("return notifyManager.").receiver == "notifyManager"
    assert member_access("  $store.").receiver == "$store"
    for not_member in ("        self.", "    this.", "cls.", "x = call().", "a = b", "", "    x.", "3.", "print(\"a."):
        assert member_access(not_member) is None, not_member


def _score_none(tokens: set[str]) -> float:
    return 0.0


def test_find_usages_matches_the_receiver_and_the_typed_part_only():
    lines = [
        "import httpx",
        "def go():",
        "    response = httpx.Response(200, content=b'hi')",
        "    client = httpx.Client()",
        "    not_httpx.Response(1)",  # another receiver that merely ends the same way
        "    myhttpx = 1",
        "    return httpx . get(url)",
    ]
    found = find_usages("a.py", lines, [(0, len(lines))], member_access("    response = httpx."), _score_none)
    assert [u.line for u in found] == [2, 3, 6]
    typed = find_usages("a.py", lines, [(0, 4), (2, 7)], member_access("    r = httpx.Re"), _score_none)
    assert [u.line for u in typed] == [2]  # overlapping ranges scan each line once


def test_usages_whose_line_starts_like_the_cursor_line_rank_first():
    lines = ["client = httpx.Client()", "response = httpx.Response(200)", "url = httpx.URL('x')"]
    found = find_usages("a.py", lines, [(0, 3)], member_access("    response = httpx."), _score_none)
    best = max(found, key=lambda u: u.score)
    assert best.text == "response = httpx.Response(200)" and best.score > 0
    assert usages.lead_similarity("", "anything") == 0.0


def test_candidates_group_by_file_drop_repeats_and_dedent():
    access = member_access("    x = fields.")
    found = [
        Usage("b.py", 9, "        name = fields.Str(required=True)", 0.9),
        Usage("b.py", 3, "        age = fields.Int()", 0.4),
        Usage("a.py", 5, "    name = fields.Str(required=True)", 0.8),  # same statement as b.py:9
        Usage("a.py", 7, "    when = fields.DateTime()", 0.7),
        Usage("c.py", 1, "x = fields.Raw()", 0.1),
    ]
    cands = usage_candidates(found, access, per_file=4, max_files=2)
    assert [c.path for c in cands] == ["b.py", "a.py"]  # best file first; c.py over the file limit
    assert cands[0].text == "age = fields.Int()\nname = fields.Str(required=True)"  # file order, dedented
    assert cands[1].text == "when = fields.DateTime()"  # the repeated line is shown once
    assert all(c.kind == "usage" and 0.5 <= c.score <= 1.0 for c in cands)
    assert cands[0].key == "use|b.py|fields." and (cands[0].start_line, cands[0].end_line) == (3, 10)
    assert len(usage_candidates(found, access, per_file=1, max_files=9)[0].text.splitlines()) == 1
