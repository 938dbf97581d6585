from completion.prompt import TEMPLATES, family_from_metadata, get_template
from runtime.backend import ContextFile

import pytest


def test_qwen_psm_order_and_repo_format():
    tpl = get_template("qwen")
    text = tpl.render("def f():\n    return ", "\n", path="pkg/mod.py", repo="proj",
                      context=[ContextFile("pkg/util.py", "def helper(x): ...")])
    assert text == (
        "<|repo_name|>proj\n<|file_sep|>pkg/util.py\ndef helper(x): ...\n<|file_sep|>pkg/mod.py\n"
        "<|fim_prefix|>def f():\n    return <|fim_suffix|>\n<|fim_middle|>"
    )


def test_qwen_without_path_or_context_is_plain_fim():
    assert get_template("qwen").render("a", "b") == "<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>"


def test_middle_start_continues_typed_text():
    assert get_template("qwen").render("a", "b", middle_start="xy").endswith("<|fim_middle|>xy")


@pytest.mark.parametrize("family,expected", [
    ("deepseek", "<｜fim▁begin｜>P<｜fim▁hole｜>S<｜fim▁end｜>"),
    ("starcoder", "<fim_prefix>P<fim_suffix>S<fim_middle>"),
    ("codellama", "<PRE> P <SUF>S <MID>"),
    ("codestral", "[SUFFIX]S[PREFIX]P[MIDDLE]"),
])
def test_other_families(family, expected):
    assert get_template(family).render("P", "S") == expected


def test_comment_header_context_for_non_qwen():
    text = get_template("starcoder").render("x = ", "", path="a.py", language="python",
                                            context=[ContextFile("b.py", "def g():\n    pass")])
    assert text.startswith("<fim_prefix># Path: b.py\n# def g():\n#     pass\n# Path: a.py\nx = ")


def test_special_tokens_listed_for_safe_tokenization():
    specials = TEMPLATES["qwen"].special_tokens
    assert "<|fim_prefix|>" in specials and "<|file_sep|>" in specials and "<|endoftext|>" in specials


def test_prompt_carries_parts():
    p = get_template("qwen").prompt("pre", "suf", heal="fo")
    assert (p.prefix, p.suffix, p.heal, p.family) == ("pre", "suf", "fo", "qwen")


@pytest.mark.parametrize("meta,family", [
    ({"general.name": "Qwen2.5 Coder 0.5B Instruct", "general.architecture": "qwen2"}, "qwen"),
    ({"general.name": "deepseek-coder-1.3b-base"}, "deepseek"),
    ({"general.name": "starcoder2-3b"}, "starcoder"),
    ({"general.name": "CodeLlama-7b"}, "codellama"),
    ({"general.name": "Codestral-22B"}, "codestral"),
    ({}, "qwen"),
])
def test_family_from_metadata(meta, family):
    assert family_from_metadata(meta) == family


def test_unknown_family_is_an_error():
    with pytest.raises(ValueError):
        get_template("gpt")
