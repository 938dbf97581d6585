"""The engine's latency machinery against the real model: supersession, typing-through,
typed-middle prompt reuse, deadlines and prefetch."""
from __future__ import annotations

import asyncio
import re
import time
from dataclasses import replace

import pytest

from completion.config import CompletionSettings
from completion.engine import CompletionEngine
from completion.types import Request

pytestmark = pytest.mark.model

DOC = (
    "import math\n\n\n"
    "def circle_area(radius):\n"
    "    \"\"\"Area of a circle.\"\"\"\n"
    "    return \n\n\n"
    "def main():\n"
    "    print(circle_area(2.0))\n"
)
CURSOR = DOC.index("return ") + len("return ")


def engine(backend, **settings) -> CompletionEngine:
    s = CompletionSettings(deadline_ms=120_000, debounce=False, latency_budget_ms=0, **settings)
    return CompletionEngine(backend, s)


def request(text=DOC, offset=CURSOR, rid="r", trigger="invoked") -> Request:
    return Request(uri="file:///w/geo.py", text=text, offset=offset, language="python", path="/w/geo.py",
                   trigger=trigger, request_id=rid, workspace_folders=("/w",))


def test_typing_through_is_served_from_cache(local_backend):
    e = engine(local_backend)
    first = asyncio.run(e.complete(request(rid="a")))
    assert first.items, first.info
    text = first.items[0].text
    assert len(text) >= 3
    typed = text[:2]
    second = asyncio.run(e.complete(request(DOC[:CURSOR] + typed + DOC[CURSOR:], CURSOR + 2, rid="b")))
    assert second.info.cache_hit and second.items[0].text == text[2:]
    assert second.info.prompt_tokens == 0  # no model call at all
    # typing something else is a miss and goes to the model
    third = asyncio.run(e.complete(request(DOC[:CURSOR] + "0" + DOC[CURSOR:], CURSOR + 1, rid="c")))
    assert not third.info.cache_hit


def test_typed_middle_reuses_the_prompt(local_backend):
    e = engine(local_backend, cache=False)
    asyncio.run(e.complete(request(rid="a")))
    typed = "math"
    r = asyncio.run(e.complete(request(DOC[:CURSOR] + typed + DOC[CURSOR:], CURSOR + len(typed), rid="b")))
    assert r.info.extra_layout == "typed-middle"
    assert r.info.prompt_tokens_evaluated <= 6  # a keystroke costs a few tokens, not the suffix
    assert r.items and r.items[0].text.startswith(".")  # healing: 'math' continues as 'math.pi ...'
    # leaving the line rebuilds the prompt
    moved = DOC.index("print(") + len("print(")
    r2 = asyncio.run(e.complete(request(offset=moved, rid="c")))
    assert r2.info.extra_layout == "full"


def test_newer_request_supersedes_older(local_backend):
    e = engine(local_backend, cache=False, max_tokens=200)
    long_doc = "\n".join(f"x{i} = {i}" for i in range(300)) + "\nvalues = ["

    async def run():
        older = asyncio.ensure_future(e.complete(request(long_doc, len(long_doc), rid="old")))
        await asyncio.sleep(0.5)
        t0 = time.monotonic()
        newer = await e.complete(request(rid="new"))
        return await older, newer, time.monotonic() - t0

    older, newer, _ = asyncio.run(run())
    assert older.info.stop_reason == "cancelled" and not older.items
    assert newer.items


def test_deadline_returns_partial_or_empty_never_error(local_backend):
    e = CompletionEngine(local_backend, CompletionSettings(deadline_ms=300, debounce=False, cache=False,
                                                           latency_budget_ms=0, max_tokens=200))
    long_doc = "\n".join(f"y{i} = {i} * 2" for i in range(400)) + "\n"
    r = asyncio.run(e.complete(request(long_doc, len(long_doc), rid="d")))
    assert r.info.stop_reason == "deadline"
    assert isinstance(r.items, list)


def test_prefetch_after_accept_answers_the_next_request(local_backend):
    e = engine(local_backend)

    async def run():
        first = await e.complete(request(rid="a"))
        assert first.items
        accepted = first.items[0].text
        e.on_accept(first.items[0].id)
        after = DOC[:CURSOR] + accepted + DOC[CURSOR:]
        await asyncio.sleep(0)  # the prefetch is running now
        return await e.complete(request(after, CURSOR + len(accepted), rid="b", trigger="automatic"))

    nxt = asyncio.run(run())
    assert nxt.info.cache_hit  # answered by the prefetch started at accept time


class CountingContext:
    """The real RepositoryContext, counting how often the engine asks it to gather."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.calls = 0

    async def gather(self, request, budget_tokens, count):
        self.calls += 1
        return await self.inner.gather(request, budget_tokens, count)


def engine_with_context(backend, root, tmp_path):
    """An engine over a real index of `root` whose gather() calls are counted: (engine, counter, provider)."""
    from completion.config import ContextSettings
    from completion.context.provider import RepositoryContext

    settings = ContextSettings(index_dir=str(tmp_path / "idx"))
    inner = RepositoryContext(settings, [str(root)])
    assert inner.wait_ready(30)
    ctx = CountingContext(inner)
    e = CompletionEngine(backend, CompletionSettings(deadline_ms=120_000, debounce=False, latency_budget_ms=0,
                                                     cache=False, max_tokens=4), settings, context=ctx)
    return e, ctx, inner


def test_context_sticks_while_the_cursor_stays_near_so_the_prompt_start_is_reused(local_backend, tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "shapes.py").write_text("class Circle:\n    def __init__(self, radius):\n        self.radius = radius\n\n"
                                    "    def area(self):\n        return 3.14159 * self.radius ** 2\n")
    body = "from shapes import Circle\n\n\n" + "".join(
        f"def size_{i}(r):\n    c = Circle(r)\n    return c.area() * {i}\n\n\n" for i in range(12))
    path = root / "main.py"
    path.write_text(body)
    e, ctx, inner = engine_with_context(local_backend, root, tmp_path)

    def at(line: int, rid: str) -> Request:
        offset = sum(len(x) + 1 for x in body.split("\n")[:line])
        return Request(uri=path.as_uri(), text=body, offset=offset, language="python", path=str(path),
                       trigger="invoked", request_id=rid, workspace_folders=(str(root),))

    try:
        first = asyncio.run(e.complete(at(20, "a")))
        assert first.info.context_tokens > 0 and ctx.calls == 1
        near = asyncio.run(e.complete(at(26, "b")))  # six lines down: same context, only the tail is new
        assert ctx.calls == 1 and near.info.context_tokens == first.info.context_tokens
        assert any(line.endswith("(kept)") for line in near.info.context_report)
        reused = near.info.prompt_tokens - near.info.prompt_tokens_evaluated
        assert reused >= near.info.context_tokens  # the context at the start of the prompt was not evaluated again
        far = asyncio.run(e.complete(at(55, "c")))  # far away: gathered again
        assert ctx.calls == 2 and far.info.prompt_tokens > 0
    finally:
        inner.close()


def spy_on_requests(backend, monkeypatch) -> list:
    """The generation requests the engine sends to `backend`, in order (the backend still runs them)."""
    sent = []
    generate = backend.generate

    async def spy(request, cancel):
        sent.append(request)
        return await generate(request, cancel)

    monkeypatch.setattr(backend, "generate", spy)
    return sent


def test_a_new_member_access_looks_for_its_own_context_once(local_backend, tmp_path, monkeypatch):
    """A kept context predates `shapes.`: the module listing and namespace for it are looked for once
    (the prompt start changes only if there are some), then typing the member keeps the new context.
    The module's names reach the backend as the member rule, with what is typed of the member."""
    sent = spy_on_requests(local_backend, monkeypatch)
    root = tmp_path / "proj"
    root.mkdir()
    (root / "shapes.py").write_text("class Circle:\n    def area(self):\n        return 1.0\n\n\n"
                                    "def unit_circle():\n    return Circle()\n")
    (root / "report.py").write_text("import shapes\n\n\ndef total():\n    return shapes.unit_circle().area()\n")
    head = "import shapes\n\n\n" + "".join(f"def size_{i}(r):\n    return r * {i}\n\n\n" for i in range(6))
    path = root / "main.py"
    e, ctx, inner = engine_with_context(local_backend, root, tmp_path)

    def at(line_text: str, rid: str) -> Request:
        text = head + "def main():\n    " + line_text
        return Request(uri=path.as_uri(), text=text, offset=len(text), language="python", path=str(path),
                       trigger="invoked", request_id=rid, workspace_folders=(str(root),))

    try:
        first = asyncio.run(e.complete(at("value = ", "a")))
        assert ctx.calls == 1
        dotted = asyncio.run(e.complete(at("value = shapes.", "b")))
        assert ctx.calls == 2 and not any(line.endswith("(kept)") for line in dotted.info.context_report)
        shown = "\n".join(dotted.info.context_report)
        assert " usage " in shown or " module " in shown, shown
        assert sent[0].members is None and {"Circle", "unit_circle"} <= set(sent[1].members.names)
        assert "area" not in sent[1].members.names and sent[1].members.typed == ""
        typing = asyncio.run(e.complete(at("value = shapes.un", "c")))
        assert ctx.calls == 2 and typing.info.extra_layout == "typed-middle"
        assert sent[2].members.typed == "un" and sent[2].members.names == sent[1].members.names
        assert typing.items and typing.items[0].text.startswith("it_circle")  # only a name shapes has
        local = asyncio.run(e.complete(at("value = shapes.unit_circle()\n    result = value.", "d")))
        assert ctx.calls == 3  # looked for once; nothing uses `value.` elsewhere, so the context was kept
        assert local.info.context_report and all(line.endswith("(kept)") for line in local.info.context_report)
        assert sent[3].members is None  # a local variable: its names are not known completely
        asyncio.run(e.complete(at("value = shapes.unit_circle()\n    result = value.ar", "e")))
        assert ctx.calls == 3
    finally:
        inner.close()


def test_asking_twice_at_the_same_place_builds_the_same_prompt(local_backend):
    """After `return ` the trailing space is healed; the second, typed-middle prompt must heal it too
    (it once put the bare space after <|fim_middle|> instead, and the 0.5B model answered `1`)."""
    e = engine(local_backend, cache=False)
    first = asyncio.run(e.complete(request(rid="a")))
    second = asyncio.run(e.complete(request(rid="b")))
    assert second.info.prompt_tokens == first.info.prompt_tokens
    assert second.info.prompt_tokens_evaluated <= 1
    assert [i.text for i in second.items] == [i.text for i in first.items]


def test_automatic_requests_generate_only_what_fits_the_latency_budget(local_backend):
    """A block after `:` asks for up to 64 tokens (~1.8 s); an automatic request gets what fits the budget."""
    doc = "def parse_config(path):\n    "
    e = CompletionEngine(local_backend, CompletionSettings(deadline_ms=120_000, debounce=False, cache=False,
                                                           latency_budget_ms=300, max_tokens=64))
    auto = asyncio.run(e.complete(request(doc, len(doc), rid="a", trigger="automatic")))
    assert auto.info.mode == "block"
    assert auto.info.generated_tokens <= 12  # 300 ms leaves nothing above the floor
    invoked = asyncio.run(e.complete(request(doc, len(doc), rid="b", trigger="invoked")))
    assert invoked.info.generated_tokens > 12  # the user asked: the full length


def test_a_typescript_instance_holds_the_completion_to_its_class_members(local_backend, tmp_path, monkeypatch):
    """`focus.` where `focus` is an imported `new FocusTracker()`: the class's public members and its
    base's reach the backend as the member rule, and the name written is one of them (the line above
    invites `setOnline`, a member of the other tracker)."""
    sent = spy_on_requests(local_backend, monkeypatch)
    root = tmp_path / "web"
    (root / "state").mkdir(parents=True)
    (root / "state/base.ts").write_text(
        "export class Emitter {\n  protected listeners: Array<() => void> = [];\n"
        "  subscribe(fn: () => void): () => void { return () => {}; }\n}\n")
    (root / "state/focus.ts").write_text(
        "import { Emitter } from './base';\n\nexport class FocusTracker extends Emitter {\n"
        "  setFocused(focused?: boolean): void {}\n  isFocused(): boolean { return true; }\n"
        "  private refresh(): void {}\n}\n\nexport const focus = new FocusTracker();\n")
    (root / "state/online.ts").write_text(
        "export class OnlineTracker {\n  setOnline(online: boolean): void {}\n}\n\n"
        "export const online = new OnlineTracker();\n")
    path = root / "app.ts"
    text = ("import { focus } from './state/focus';\nimport { online } from './state/online';\n\n"
            "export function reset(): void {\n  online.setOnline(true);\n  focus.")
    e, ctx, inner = engine_with_context(local_backend, root, tmp_path)
    try:
        result = asyncio.run(e.complete(Request(uri=path.as_uri(), text=text, offset=len(text), language="typescript",
                                                path=str(path), trigger="invoked", request_id="a",
                                                workspace_folders=(str(root),))))
        names = set(sent[-1].members.names)
        assert {"setFocused", "isFocused", "subscribe"} <= names
        assert not names & {"setOnline", "refresh", "listeners", "constructor"}
        assert result.items and re.match(r"\w+", result.items[0].text).group(0) in names
    finally:
        inner.close()


def test_python_self_holds_a_read_to_the_class_attributes(local_backend, tmp_path, monkeypatch):
    """`return self.` in a subclass of a repository class: the attributes of both (methods, what
    `self.x = …` binds) reach the backend as the member rule and the name written is one of them;
    `self.` starting a statement (it may bind a new attribute) gets no rule."""
    sent = spy_on_requests(local_backend, monkeypatch)
    root = tmp_path / "proj"
    root.mkdir()
    (root / "counters.py").write_text("class Counter:\n    def __init__(self):\n        self.total_count = 0\n\n"
                                      "    def bump(self):\n        self.total_count += 1\n")
    path = root / "stepped.py"
    head = ("from counters import Counter\n\n\nclass SteppedCounter(Counter):\n    def __init__(self, step):\n"
            "        super().__init__()\n        self.step_size = step\n\n    def current(self):\n        ")
    e, ctx, inner = engine_with_context(local_backend, root, tmp_path)

    def at(line_text: str, rid: str) -> Request:
        text = head + line_text + "\n"
        offset = len(head) + len(line_text)
        return Request(uri=path.as_uri(), text=text, offset=offset, language="python", path=str(path),
                       trigger="invoked", request_id=rid, workspace_folders=(str(root),))

    try:
        result = asyncio.run(e.complete(at("return self.", "a")))
        names = set(sent[-1].members.names)
        assert {"total_count", "bump", "step_size", "current"} <= names and "__init__" not in names
        assert result.items and re.match(r"\w+", result.items[0].text).group(0) in names
        asyncio.run(e.complete(at("self.", "b")))
        assert sent[-1].members is None
    finally:
        inner.close()
