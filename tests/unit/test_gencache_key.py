"""The flywheel's generation cache keys on everything that decides a generation (completion/flywheel/gencache.py)."""
from __future__ import annotations

import hashlib
import json

from completion.flywheel.gencache import prompt_key
from runtime.backend import GenerationRequest, Prompt
from runtime.members import MemberRule


def test_a_member_rule_is_part_of_the_key_and_other_keys_are_unchanged():
    prompt = Prompt(text="<|fim_prefix|>import x\nx<|fim_suffix|><|fim_middle|>", prefix="import x\nx", suffix="",
                    family="qwen", heal=".")
    plain = GenerationRequest(prompt=prompt, max_tokens=24)
    ruled = GenerationRequest(prompt=prompt, max_tokens=24, members=MemberRule.of(["load", "dump"]))
    other = GenerationRequest(prompt=prompt, max_tokens=24, members=MemberRule.of(["load", "dump"], "lo"))
    assert len({prompt_key(plain), prompt_key(ruled), prompt_key(other)}) == 3
    # recordings made before the rule existed still match prompts it does not apply to
    legacy = json.dumps([prompt.text, prompt.heal, 24, 0.0, 0], ensure_ascii=False)
    assert prompt_key(plain) == hashlib.sha256(legacy.encode("utf-8")).hexdigest()[:32]
