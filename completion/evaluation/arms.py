"""The compared configurations ("arms") as data: context-settings and completion-settings overrides.

An arm is named after its context arm (`in-file`, `+analogy`, `+signatures`,
`+both`), optionally followed by `:` and a variant: a completion variant
(`heal`, `no-heal`, `no-gate`, `suffix-N`: N tokens of text after the cursor) —
e.g. `in-file:no-heal,in-file:heal` measures token healing alone — or a context
variant (`usages`, `no-usages`). Without a variant the settings are the run's own.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from completion.config import CompletionSettings, ContextSettings


@dataclass(frozen=True)
class Arm:
    name: str
    context: dict[str, Any] = field(default_factory=dict)  # ContextSettings field overrides
    completion: dict[str, Any] = field(default_factory=dict)  # CompletionSettings field overrides

    def settings(self, base: ContextSettings) -> ContextSettings:
        return dataclasses.replace(base, **self.context)

    def completion_settings(self, base: CompletionSettings) -> CompletionSettings:
        return dataclasses.replace(base, **self.completion)


ARMS: tuple[Arm, ...] = (
    Arm("in-file", {"enabled": False}),
    Arm("+analogy", {"enabled": True, "analogy": True, "signatures": False, "keep_imports": False}),
    Arm("+signatures", {"enabled": True, "analogy": False, "usages": False, "signatures": True,
                        "keep_imports": True}),
    Arm("+both", {"enabled": True, "analogy": True, "signatures": True, "keep_imports": True}),
)

COMPLETION_VARIANTS: dict[str, dict[str, Any]] = {
    "heal": {"token_healing": True},
    "no-heal": {"token_healing": False},
    "no-gate": {"syntax_gate": False},
}
CONTEXT_VARIANTS: dict[str, dict[str, Any]] = {  # usage lines are retrieved code: they go with analogy arms
    "usages": {"usages": True},
    "no-usages": {"usages": False},
    "no-member-rule": {"member_rule": False},  # decoding free at `name.` (the rule is on by default)
}


def _completion_variant(variant: str) -> dict[str, Any] | None:
    """A named completion variant, or `suffix-N` (the prompt's suffix budget: how much the code below
    the cursor pulls the model, measured in the editing setting, `tabstop eval --whole-file`)."""
    if variant in COMPLETION_VARIANTS:
        return COMPLETION_VARIANTS[variant]
    size = variant.removeprefix("suffix-")
    return {"suffix_tokens": int(size)} if size != variant and size.isdigit() else None


def _one(name: str) -> Arm:
    by_name = {a.name: a for a in ARMS}
    base, sep, variant = name.partition(":")
    completion = _completion_variant(variant) if sep else None
    if base not in by_name or (sep and variant not in CONTEXT_VARIANTS and completion is None):
        known = [*COMPLETION_VARIANTS, "suffix-N", *CONTEXT_VARIANTS]
        raise ValueError(f"unknown arm {name}; known: {', '.join(by_name)}, each optionally followed by "
                         f":{' / :'.join(known)}")
    arm = by_name[base]
    if not sep:
        return arm
    if variant in CONTEXT_VARIANTS:
        return dataclasses.replace(arm, name=name, context={**arm.context, **CONTEXT_VARIANTS[variant]})
    return dataclasses.replace(arm, name=name, completion=dict(completion))


def select(names: str | None) -> tuple[Arm, ...]:
    """Arms by comma-separated names (all context arms when empty); unknown names are an error."""
    if not names:
        return ARMS
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    errors, chosen = [], []
    for name in wanted:
        try:
            chosen.append(_one(name))
        except ValueError as exc:
            errors.append(str(exc))
    if errors:
        raise ValueError("; ".join(errors))
    return tuple(chosen)
