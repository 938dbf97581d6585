"""The eval harness's pure parts: case building (the masked-file rule), metrics, arms."""
from __future__ import annotations

from pathlib import Path

import pytest

from completion.config import CompletionSettings, ContextSettings
from completion.context.provider import RepositoryContext
from completion.evaluation import arms
from completion.evaluation.cases import VARIANTS, build_cases, copyable_cases, candidates_in_file, line_rng, load_cases, save_cases
from completion.evaluation.metrics import edit_similarity, exact_match, identifier_f1, percentile
from completion.types import Request

BILLING = '''"""Billing helpers."""


def compute_total(items, *, tax_rate: float = 0.0) -> float:
    """Sum of item prices with tax."""
    return sum(i.price for i in items) * (1 + tax_rate)


class Invoice:
    def __init__(self, customer: str) -> None:
        self.customer = customer
'''
CHECKOUT = '''from shop.billing import compute_total, Invoice


def checkout(cart, customer):
    """Close a cart."""
    invoice = Invoice(customer)
    total = compute_total(cart.items, tax_rate=0.21)
    message = "compute_total is not used here"
    return invoice, total
'''


@pytest.fixture
def shop(tmp_path: Path):
    root = tmp_path / "shop_repo"
    (root / "shop").mkdir(parents=True)
    (root / "shop/__init__.py").write_text("# shop\n")
    (root / "shop/billing.py").write_text(BILLING)
    (root / "shop/checkout.py").write_text(CHECKOUT)
    ctx = RepositoryContext(ContextSettings(index_dir=str(tmp_path / "idx")), [str(root)])
    assert ctx.wait_ready(30)
    yield root, ctx
    ctx.close()


def test_cases_are_cross_file_uses_with_the_rest_of_the_line_as_answer(shop):
    root, ctx = shop
    index = ctx.indexes[str(root.resolve())]
    cases = candidates_in_file(index, "shop/checkout.py", "python")
    answers = {c.answer for c in cases}
    assert answers == {"Invoice(customer)", "compute_total(cart.items, tax_rate=0.21)"}
    for c in cases:
        assert c.defined_in == "shop/billing.py" and c.variant == "name-start"
        assert CHECKOUT[c.cursor_offset:].startswith(c.answer)


def test_copyable_cases_look_in_every_other_file_but_the_cases_own(shop):
    root, ctx = shop
    index = ctx.indexes[str(root.resolve())]
    cases = {c.answer: c for c in candidates_in_file(index, "shop/checkout.py", "python")}
    assert copyable_cases(index, list(cases.values())) == set()  # only in checkout.py itself
    (root / "shop/report.py").write_text("from shop.billing import Invoice\n\nfirst = Invoice(customer)\n")
    index.submit_paths(changed=("shop/report.py",))
    assert ctx.wait_ready(30)
    assert copyable_cases(index, list(cases.values())) == {cases["Invoice(customer)"].id}


def test_mid_identifier_cursor_sits_inside_the_name_and_the_answer_is_the_rest_of_the_line(shop):
    root, ctx = shop
    index = ctx.indexes[str(root.resolve())]
    lines = CHECKOUT.split("\n")
    positions = set()
    for seed in range(12):
        cases = candidates_in_file(index, "shop/checkout.py", "python", "mid-identifier", seed)
        assert {c.name for c in cases} == {"Invoice", "compute_total"}
        for c in cases:
            line = lines[c.line]
            start = CHECKOUT.rfind("\n", 0, c.cursor_offset) + 1
            column = c.cursor_offset - start
            name_at = line.index(c.name)
            typed = column - name_at
            assert 1 <= typed <= len(c.name) - 2, (c.name, typed)  # inside: typed some, 2+ characters to go
            assert c.answer == line[column:].rstrip() and c.answer.startswith(c.name[typed:])
            assert c.variant == "mid-identifier" and c.defined_in == "shop/billing.py"
            positions.add((c.name, typed))
        assert cases == candidates_in_file(index, "shop/checkout.py", "python", "mid-identifier", seed)
    assert len(positions) > 2  # the seed moves the cursor within the name


def test_mid_identifier_skips_short_names_and_ids_differ_from_name_start():
    place = VARIANTS["mid-identifier"]
    assert place("    x = abc(1)", 8, "abc", line_rng("r", "f.py", 3, 0)) is None
    assert place("    x = abcd(1)", 8, "abcd", line_rng("r", "f.py", 3, 0)) in (9, 10)
    assert VARIANTS["name-start"]("    x = abcd(1)", 8, "abcd", line_rng("r", "f.py", 3, 0)) == 8
    # The generator depends on the line and seed only (not on salted hashing or what ran before).
    assert line_rng("r", "f.py", 3, 0).random() == line_rng("r", "f.py", 3, 0).random()
    assert line_rng("r", "f.py", 3, 0).random() != line_rng("r", "f.py", 3, 1).random()


REPORT = '''from shop import billing
from shop.billing import Invoice


def report(cart, customer):
    """Totals, CrossCodeEval style: the member of an imported module or class is what needs the other file."""
    total = billing.compute_total(cart.items, tax_rate=0.1)
    invoice = Invoice(customer)
    copy = Invoice.from_customer(customer)
    return total, invoice, copy
'''


def test_member_cursor_sits_after_the_qualifier_and_lines_without_a_member_are_skipped(shop):
    root, ctx = shop
    index = ctx.indexes[str(root.resolve())]
    (root / "shop/report.py").write_text(REPORT)
    index.submit_paths(changed=("shop/report.py",))
    assert ctx.wait_ready(30)
    cases = candidates_in_file(index, "shop/report.py", "python", "member")
    assert {(c.name, c.answer) for c in cases} == {("billing", "compute_total(cart.items, tax_rate=0.1)"),
                                                  ("Invoice", "from_customer(customer)")}
    for c in cases:
        assert REPORT[: c.cursor_offset].endswith(c.name + ".") and c.defined_in == "shop/billing.py"
    place = VARIANTS["member"]
    rng = line_rng("r", "f.rs", 1, 0)
    assert place("    let x = Shape :: new(1);", 12, "Shape", rng) == 21  # Rust paths, spaces allowed
    assert place("    x = Invoice(1)", 8, "Invoice", rng) is None
    assert place("    x = Invoice.", 8, "Invoice", rng) is None  # nothing after the dot: no answer to score


@pytest.mark.parametrize("variant", ["name-start", "mid-identifier"])
async def test_masked_file_rule_the_answer_is_nowhere_the_pipeline_can_see(shop, variant):
    root, ctx = shop
    index = ctx.indexes[str(root.resolve())]
    case = next(c for c in build_cases(index, 10, seed=1, variant=variant) if c.name == "compute_total")
    masked = case.masked()
    answer_line = CHECKOUT.split("\n")[case.line]
    assert case.answer not in masked and answer_line not in masked
    assert masked == CHECKOUT[: case.cursor_offset]
    # What retrieval can reach — the index (the file's disk copy holds the answer) and open buffers — never
    # yields it, while the definition in the other file does come through.
    path = str(root / case.path)
    ctx.document_opened(Path(path).as_uri(), path, "python", masked, 1, index=False)
    request = Request(uri=Path(path).as_uri(), text=masked, offset=len(masked), language="python", path=path,
                      workspace_folders=(str(root),))
    result = await ctx.gather(request, 2000, lambda t: len(t) // 3 + 1)
    seen = "\n".join(f.text for f in result.files)
    assert "def compute_total(items, *, tax_rate: float = 0.0) -> float:" in seen
    assert "tax_rate=0.21" not in seen and answer_line.strip() not in seen
    assert all(f.path != case.path for f in result.files)
    # `--whole-file`: the lines below stay, the answer does not
    edited = case.edited()
    assert case.answer not in edited and edited.startswith(masked) and edited.endswith(CHECKOUT[CHECKOUT.index(answer_line) + len(answer_line):])


@pytest.mark.parametrize("variant", ["name-start", "mid-identifier"])
def test_cases_are_deterministic_and_round_trip(shop, tmp_path, variant):
    root, ctx = shop
    index = ctx.indexes[str(root.resolve())]
    first, second = build_cases(index, 5, seed=3, variant=variant), build_cases(index, 5, seed=3, variant=variant)
    assert first == second and first
    save_cases(first, tmp_path / "cases.json")
    assert load_cases(tmp_path / "cases.json") == first


def test_metrics():
    assert exact_match("foo(a, b)\nextra", "foo(a, b)") == 1.0
    assert exact_match("foo(a)", "foo(a, b)") == 0.0
    assert edit_similarity("foo(a, b)", "foo(a, b)") == 1.0
    assert 0.5 < edit_similarity("foo(a, c)", "foo(a, b)") < 1.0
    assert identifier_f1("compute_total(cart.items)", "compute_total(cart.items, tax_rate=0.21)") == pytest.approx(
        2 * 1.0 * 0.75 / 1.75)
    assert identifier_f1("", "x") == 0.0
    assert percentile([5, 1, 3, 2, 4], 50) == 3 and percentile([1, 2, 3, 4, 100], 95) == 100


def test_arms_are_data():
    assert [a.name for a in arms.ARMS] == ["in-file", "+analogy", "+signatures", "+both"]
    both = arms.select("+both")[0].settings(ContextSettings(budget_tokens=99))
    assert both.enabled and both.analogy and both.signatures and both.budget_tokens == 99
    assert not arms.select("in-file")[0].settings(ContextSettings()).enabled
    assert not arms.select("+signatures")[0].settings(ContextSettings(usages=True)).usages
    with pytest.raises(ValueError):
        arms.select("+nonsense")


def test_arms_may_override_context_settings():
    plain, used = arms.select("+both:no-usages,+analogy:usages")
    settings = plain.settings(ContextSettings(usages=True))
    assert plain.name == "+both:no-usages" and not settings.usages and settings.analogy and settings.signatures
    assert used.settings(ContextSettings()).usages and not used.settings(ContextSettings()).signatures
    assert plain.completion_settings(CompletionSettings(candidates=3)).candidates == 3


def test_arms_may_override_completion_settings():
    from completion.config import CompletionSettings

    plain, healed, no_gate, default = arms.select("in-file:no-heal,+both:heal,in-file:no-gate,in-file")
    assert (plain.name, healed.name) == ("in-file:no-heal", "+both:heal")
    base = CompletionSettings(token_healing=True, candidates=3)
    assert not plain.completion_settings(base).token_healing and plain.completion_settings(base).candidates == 3
    assert not plain.settings(ContextSettings()).enabled  # the context arm's overrides still apply
    assert healed.completion_settings(CompletionSettings(token_healing=False)).token_healing
    assert healed.settings(ContextSettings()).signatures
    assert not no_gate.completion_settings(base).syntax_gate
    assert default.completion_settings(base) == base
    for bad in ("in-file:nonsense", "nonsense:heal", "in-file:heal,+both:what", "in-file:suffix-", "in-file:suffix-x"):
        with pytest.raises(ValueError):
            arms.select(bad)


def test_a_suffix_variant_sets_the_suffix_budget():
    short, none = arms.select("+both:suffix-32,in-file:suffix-0")
    assert short.completion_settings(CompletionSettings(suffix_tokens=128)).suffix_tokens == 32
    assert none.completion_settings(CompletionSettings()).suffix_tokens == 0
    assert short.settings(ContextSettings()).signatures and not none.settings(ContextSettings()).enabled


def test_a_docstring_line_that_names_an_imported_module_is_no_case(shop):
    """`:param billing.Invoice inv:` inside a docstring is prose: build_cases keeps only cursors in code."""
    root, ctx = shop
    index = ctx.indexes[str(root.resolve())]
    (root / "shop/notes.py").write_text(
        "from shop import billing\n\n\n"
        "def pay(inv):\n"
        '    """Pay an invoice.\n\n'
        "    :param billing.Invoice inv: the invoice to pay\n"
        '    """\n'
        "    return billing.compute_total(inv.items)\n")
    index.submit_paths(changed=("shop/notes.py",))
    assert ctx.wait_ready(30)
    found = candidates_in_file(index, "shop/notes.py", "python", "member")
    assert {c.answer for c in found} == {"Invoice inv: the invoice to pay", "compute_total(inv.items)"}
    built = [c for c in build_cases(index, 20, variant="member") if c.path == "shop/notes.py"]
    assert [c.answer for c in built] == ["compute_total(inv.items)"]
