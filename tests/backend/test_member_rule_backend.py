"""The member-name rule with the real default model: at `mod.|` the generated name is one the module has."""
from __future__ import annotations

import re

import pytest

from completion.heal import heal_text, split_for_healing
from completion.prompt import get_template
from runtime.backend import CancelToken, GenerationRequest
from runtime.members import MemberRule

pytestmark = pytest.mark.model
QWEN = get_template("qwen")
PREFIX = "import requests\n\n\ndef fetch(url):\n    response = requests."


def line_stop(text: str) -> int | None:
    nl = text.find("\n")
    return nl if nl >= 0 else None


async def complete(backend, prefix: str, members: MemberRule | None, n: int = 1):
    heal = heal_text(prefix.split("\n")[-1])
    cut, middle = split_for_healing(prefix, heal)
    prompt = QWEN.prompt(cut, "\n", heal=heal, middle_start=middle)
    request = GenerationRequest(prompt=prompt, max_tokens=12, should_stop=line_stop, members=members, n=n,
                                branch_min_prob=0.001)
    return await backend.generate(request, CancelToken())


async def test_the_generated_name_is_one_the_module_has(local_backend):
    free = await complete(local_backend, PREFIX, None)
    assert free.text.startswith("get(")  # what the model writes unconstrained: not a name of this module
    names = ("fetch_page", "fetch_json", "Session")
    ruled = await complete(local_backend, PREFIX, MemberRule.of(names), n=3)
    name = re.match(r"\w*", ruled.text).group(0)
    assert name in names and ruled.text[len(name):len(name) + 1] in ("(", " ", "", ".")
    for alt in ruled.alternatives:  # branching alternatives obey the rule too
        assert re.match(r"\w*", alt.text).group(0) in names


async def test_a_typed_part_of_the_name_counts(local_backend):
    ruled = await complete(local_backend, PREFIX + "fe", MemberRule.of(("fetch_page", "Session"), "fe"))
    assert ruled.text.startswith("tch_page")
    # the namespace is complete by construction (SignatureResolver.namespace), so even a name the
    # model finds unlikely is spelled out rather than one the module does not have
    forced = await complete(local_backend, PREFIX, MemberRule.of(("zzqx_unlikely",)))
    assert forced.text.startswith("zzqx_unlikely") and not forced.text[len("zzqx_unlikely"):][:1].isalnum()
