"""The member-name rule as pure string logic (runtime/members.py)."""
from __future__ import annotations

from runtime.members import MemberRule, ends_name, gbnf


def test_a_name_is_open_until_a_non_name_character():
    rule = MemberRule.of(["Client", "AsyncClient", "get"])
    assert rule.open("") and rule.open("Cli") and not rule.open("Client(") and not rule.open("get ")
    assert MemberRule.of([]) is None


def test_allows_prefixes_of_names_and_whole_names_followed_by_anything():
    rule = MemberRule.of(["Client", "AsyncClient", "get"])
    assert rule.allows("Cl") and rule.allows("Client") and rule.allows("Client()") and rule.allows("get(url)")
    assert not rule.allows("ClientSession") and not rule.allows("Cx") and not rule.allows("post(")
    assert not rule.allows("(") and not rule.allows("Cli", ended=True) and rule.allows("get", ended=True)


def test_the_typed_part_is_part_of_the_name():
    rule = MemberRule.of(["Client", "get"], typed="Cl")
    assert rule.allows("ient(") and not rule.allows("ass(")
    assert rule.continuations("") == ["ient"] and rule.continuations("ient") == [""]
    assert sorted(MemberRule.of(["get", "get_all", "post"]).continuations("get")) == ["", "_all"]


def test_ends_name():
    assert all(ends_name(ord(c)) for c in "( .\n=,)[")
    assert not any(ends_name(ord(c)) for c in "aZ_0$") and not ends_name(0xC3)  # UTF-8 lead bytes may be letters


def test_no_rule_when_no_name_starts_with_what_is_typed():
    """`mod._x` typed where the rule offers no private names: decoding is free, not refused."""
    assert MemberRule.of(["echo", "style"], "_") is None
    assert MemberRule.of(["echo", "style"], "ec") is not None
    assert MemberRule.of([], "") is None


def test_the_rule_as_a_grammar_parses_and_spells_the_names_after_what_is_typed():
    """The GBNF text a llama.cpp server gets; parsed here by llama.cpp's own grammar parser."""
    import llama_cpp

    rule = MemberRule.of(["echo", "style", "Echo", "secho"], "e")
    text = gbnf(rule, '.e"\n')
    assert 'root ::= ".e\\"\\n" name tail' in text and 'name ::= "cho"' in text  # only names starting "e"
    assert llama_cpp.LlamaGrammar.from_string(text, verbose=False) is not None
    whole = gbnf(MemberRule.of(["e", "echo"], "e"))  # "e" is already a whole name: it may end here
    assert 'name ::= "" | "cho"' in whole and llama_cpp.LlamaGrammar.from_string(whole, verbose=False)


def test_a_js_private_name_is_spelled_with_its_hash():
    """`this.#count`: `#` starts a name only where the rule has `#` names (never in Python's rules)."""
    rule = MemberRule.of(["#count", "tick"])
    assert rule.open("#") and rule.allows("#") and rule.allows("#co") and rule.allows("#count.")
    assert not rule.allows("#", ended=True) and not rule.allows("#x")
    assert not MemberRule.of(["tick"]).allows("#")
