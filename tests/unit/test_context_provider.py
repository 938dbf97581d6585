"""RepositoryContext end to end over a real index (SQLite file, real folder): what a request gets."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from completion.config import ContextSettings
from completion.context.provider import RepositoryContext
from completion.types import Request

USERS = '''"""User storage."""


class UserStore:
    """Keeps users by e-mail."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.users = {}

    def add_user(self, user, *, overwrite: bool = False) -> bool:
        """Add a user; False if it exists."""
        if user.email in self.users and not overwrite:
            return False
        self.users[user.email] = user
        return True
'''
REPORTS = '''from app.users import UserStore


def weekly_report(store: UserStore, audit_log):
    audit_log.write_entry("weekly", level="info")
    for user in store.users.values():
        audit_log.write_entry(user.email, level="debug")
'''
SERVICE = '''from app.users import UserStore


class Service(UserStore):
    def register(self, name, email, audit_log):
        audit_log.write_entry(name, level="info")
        self.'''


def words(text: str) -> int:
    """Stand-in token counter (the budget rule is tested with the real tokenizer in test_packing_model)."""
    return len(text.split()) + text.count("\n") + 1


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "app/users.py").write_text(USERS)
    (root / "app/reports.py").write_text(REPORTS)
    (root / "app/service.py").write_text(SERVICE + "add_user(None)\n")  # on disk: the answer is there
    return root


def provider(root: Path, tmp_path: Path, **overrides) -> RepositoryContext:
    ctx = RepositoryContext(ContextSettings(index_dir=str(tmp_path / "idx"), **overrides), [str(root)])
    assert ctx.wait_ready(30)
    return ctx


def request(root: Path, text: str = SERVICE, rel: str = "app/service.py") -> Request:
    path = str(root / rel)
    return Request(uri=Path(path).as_uri(), text=text, offset=len(text), language="python", path=path,
                   workspace_folders=(str(root),))


async def test_gathers_signatures_and_analogy_but_not_the_cursor_file(repo, tmp_path):
    ctx = provider(repo, tmp_path)
    try:
        result = await ctx.gather(request(repo), 400, words)
        text = "\n".join(f.text for f in result.files)
        assert "def add_user(self, user, *, overwrite: bool = False) -> bool:" in text  # self. → base class
        signatures = [f.text for f, line in zip(result.files, result.report) if " signature " in line]
        assert signatures and not any("return True" in t for t in signatures)  # skeletons, not bodies
        assert any("audit_log.write_entry(user.email" in f.text for f in result.files)  # same names elsewhere
        assert all(f.path != "app/service.py" for f in result.files)  # its disk copy holds the answer
        assert 0 < result.tokens <= 400
        assert len(result.report) == len(result.files) and all(line[0].isdigit() for line in result.report)
    finally:
        ctx.close()


async def test_budget_and_toggles(repo, tmp_path):
    ctx = provider(repo, tmp_path, analogy=False)
    try:
        result = await ctx.gather(request(repo), 400, words)
        assert result.files and all("signature" in line or "imports" in line for line in result.report)
        small = await ctx.gather(request(repo), 30, words)
        assert small.tokens <= 30
    finally:
        ctx.close()
    ctx = provider(repo, tmp_path, signatures=False)
    try:
        result = await ctx.gather(request(repo), 400, words)
        assert result.files and all("analogy" in line for line in result.report)
    finally:
        ctx.close()


async def test_order_is_stable_while_typing(repo, tmp_path):
    ctx = provider(repo, tmp_path)
    try:
        first = await ctx.gather(request(repo, SERVICE + "add"), 400, words)
        second = await ctx.gather(request(repo, SERVICE + "add_"), 400, words)
        third = await ctx.gather(request(repo, SERVICE + "add_u"), 400, words)
        assert first.files and first.files == second.files == third.files
    finally:
        ctx.close()


async def test_open_buffers_and_recent_edits_are_candidates(repo, tmp_path):
    ctx = provider(repo, tmp_path)
    try:
        other = repo / "app/jobs.py"
        buffer = "def nightly(audit_log):\n    audit_log.write_entry('nightly', level='warn')\n    return 0\n"
        ctx.document_opened(other.as_uri(), str(other), "python", buffer, 1)  # never saved to disk
        result = await ctx.gather(request(repo), 400, words)
        assert any("'nightly'" in f.text for f in result.files)
        assert any(" open " in line for line in result.report)
        ctx.document_changed(other.as_uri(), buffer + "\ndef audit_cleanup(audit_log):\n    audit_log.rotate()\n", 2,
                             changed_line=4)
        assert ctx.recent and ctx.recent[-1] == (other.as_uri(), 4)
        ctx.document_closed(other.as_uri())
        result = await ctx.gather(request(repo), 400, words)
        assert not any("'nightly'" in f.text for f in result.files)
    finally:
        ctx.close()


async def test_edit_then_save_updates_signatures(repo, tmp_path):
    ctx = provider(repo, tmp_path, analogy=False)
    try:
        (repo / "app/users.py").write_text(USERS.replace("def add_user(self, user, *", "def add_member(self, member, *"))
        ctx.files_changed(changed=[str(repo / "app/users.py")])
        assert ctx.wait_ready(30)
        result = await ctx.gather(request(repo), 400, words)
        text = "\n".join(f.text for f in result.files)
        assert "def add_member(self, member" in text and "add_user" not in text
    finally:
        ctx.close()


async def test_settings_change_closes_or_reopens_indexes(repo, tmp_path):
    ctx = provider(repo, tmp_path)
    try:
        assert ctx.indexes
        ctx.apply_settings(ContextSettings(index_dir=str(tmp_path / "idx"), index=False))
        assert not ctx.indexes
        result = await ctx.gather(request(repo), 400, words)  # still answers: open buffers only
        assert all(" index " not in line for line in result.report)
        ctx.apply_settings(ContextSettings(index_dir=str(tmp_path / "idx"), exclude=["app/users.py"]))
        assert ctx.wait_ready(30)
        index = next(iter(ctx.indexes.values()))
        assert index.store.file("app/users.py") is None and index.store.file("app/reports.py") is not None
    finally:
        ctx.close()


async def test_gathering_runs_off_the_event_loop_on_a_snapshot(repo, tmp_path):
    """The first request of a line takes 10-40 ms of SQLite, parsing and tokenizing: not on the loop.
    Meanwhile the loop keeps changing the open documents; a gather sees the state of its start."""
    import asyncio
    import threading

    ctx = provider(repo, tmp_path)
    threads: set[str] = set()
    started = threading.Event()
    release = threading.Event()

    def slow_words(text: str) -> int:
        threads.add(threading.current_thread().name)
        started.set()
        release.wait(5)
        return words(text)

    try:
        other = repo / "app/jobs.py"
        buffer = "def nightly(audit_log):\n    audit_log.write_entry('nightly', level='warn')\n    return 0\n"
        ctx.document_opened(other.as_uri(), str(other), "python", buffer, 1)
        task = asyncio.ensure_future(ctx.gather(request(repo), 400, slow_words))
        while not started.is_set():  # the loop stays free while the worker counts tokens...
            await asyncio.sleep(0.005)
        ctx.document_closed(other.as_uri())  # ...and the loop changes the documents meanwhile
        for i in range(50):
            ctx.document_opened(f"file:///tmp/x{i}.py", f"/tmp/x{i}.py", "python", "audit_log.rotate()\n", 1)
        release.set()
        result = await task
        assert threading.main_thread().name not in threads and threads
        assert any("'nightly'" in f.text for f in result.files)  # gathered from the snapshot: still open then
        later = await ctx.gather(request(repo), 400, words)
        assert not any("'nightly'" in f.text for f in later.files)
    finally:
        ctx.close()


async def test_member_access_brings_usage_lines_from_other_files(repo, tmp_path):
    """At `audit_log.|` the lines of other files that call `audit_log.` are offered: which members
    exist and how they are called. The cursor's own file on disk (which holds the answer) is not."""
    (repo / "app/jobs.py").write_text("def nightly(audit_log):\n    audit_log.rotate(keep=7)\n")
    (repo / "app/service.py").write_text(SERVICE + "add_user(None)\n    audit_log.flush_secret_answer()\n")
    ctx = provider(repo, tmp_path, usages=True)
    try:
        text = SERVICE.replace("self.", "audit_log.")
        result = await ctx.gather(request(repo, text), 400, words)
        shown = {f.path: f.text for f, line in zip(result.files, result.report) if " usage " in line}
        assert shown["app/reports.py"] == ('audit_log.write_entry("weekly", level="info")\n'
                                           '    audit_log.write_entry(user.email, level="debug")')
        assert shown["app/jobs.py"] == "audit_log.rotate(keep=7)"
        assert "flush_secret_answer" not in "\n".join(f.text for f in result.files)
        assert [f.path for f, line in zip(result.files, result.report)][-1] in shown  # nearest the file

        typed = await ctx.gather(request(repo, text + "ro"), 400, words)
        assert [f.text for f, line in zip(typed.files, typed.report) if " usage " in line] == ["audit_log.rotate(keep=7)"]
        at_self = await ctx.gather(request(repo), 400, words)
        assert not any(" usage " in line for line in at_self.report)
    finally:
        ctx.close()
    ctx = provider(repo, tmp_path)  # off by default: no gain measured on the dev benchmark
    try:
        result = await ctx.gather(request(repo, text), 400, words)
        assert result.files and not any(" usage " in line for line in result.report)
    finally:
        ctx.close()


async def test_a_closed_document_forgets_what_its_context_was(repo, tmp_path):
    """The eval opens the same masked file once per arm: no arm may inherit another's choices
    (the sticky bonus would favour them)."""
    ctx = provider(repo, tmp_path)
    try:
        req = request(repo)
        ctx.document_opened(req.uri, req.path, "python", req.text, 1, index=False)
        await ctx.gather(req, 400, words)
        ctx.document_closed(req.uri)
        await ctx.gather(request(repo, "x = 1\n", "app/other.py"), 400, words)  # the worker has forgotten by now
        assert req.uri not in ctx._previous
    finally:
        ctx.close()


async def test_a_package_namespace_sees_a_new_submodule(repo, tmp_path):
    """`app.` offers the package's submodules; a file added later is offered once indexed, though no
    file the cached namespace was read from changed."""
    (repo / "app/__init__.py").write_text("VERSION = 1\n")
    ctx = provider(repo, tmp_path)
    index = next(iter(ctx.indexes.values()))
    try:
        text = "import app\n\n\ndef run():\n    app."
        first = await ctx.gather(request(repo, text), 400, words)
        assert "VERSION" in first.members and "extra" not in first.members
        (repo / "app/extra.py").write_text("def more():\n    pass\n")
        ctx.files_changed([str(repo / "app/extra.py")])
        assert index.wait_idle(30)
        later = await ctx.gather(request(repo, text), 400, words)
        assert "extra" in later.members
    finally:
        ctx.close()


async def test_a_module_namespace_is_remembered_until_one_of_its_files_changes(repo, tmp_path):
    """At `tools.` the result carries every name the module has (the member rule's input); it is
    computed once and recomputed when the module changes."""
    tools = repo / "app/tools.py"
    tools.write_text("def alpha():\n    pass\n")
    ctx = provider(repo, tmp_path)
    index = next(iter(ctx.indexes.values()))
    reads: list[str] = []
    read_lines = index.read_lines
    index.read_lines = lambda rel: (reads.append(rel), read_lines(rel))[1]  # count the module reads
    try:
        text = "import app.tools as tools\n\n\ndef run():\n    tools."
        first = await ctx.gather(request(repo, text), 400, words)
        assert "alpha" in first.members and "beta" not in first.members and "__name__" not in first.members
        assert first.member == "tools.="  # `=`: at a statement's start (where a Python object's rule stands down)
        again = await ctx.gather(request(repo, text + "al"), 400, words)
        assert again.members == first.members and reads.count("app/tools.py") == 1
        listing = lambda result: "\n".join(f.text for f in result.files if f.path == "app/tools.py")
        assert "def alpha()" in listing(first) and "def beta()" not in listing(first)
        tools.write_text("def alpha():\n    pass\n\n\ndef beta():\n    pass\n")
        ctx.files_changed([str(tools)])
        assert index.wait_idle(30)
        changed = await ctx.gather(request(repo, text), 400, words)
        assert "beta" in changed.members and reads.count("app/tools.py") == 2
        assert "def beta()" in listing(changed)  # the remembered listing was read from the old file
        no_module = await ctx.gather(request(repo, "def run(store):\n    store."), 400, words)
        assert no_module.members == frozenset()
        # No rule where the line names a module path or is prose: `from app.tools.` (submodules, private
        # ones too), a comment, a string, a docstring's line (its opening quotes on a line above).
        for line in ("from app.tools.", "# see tools.", "x = 'tools.", '"""Run it.\n\n    See tools.'):
            assert (await ctx.gather(request(repo, text.replace("tools.", line)), 400, words)).members == frozenset(), line
        closed = text.replace("tools.", '"""Run it."""\n    tools.')
        assert "alpha" in (await ctx.gather(request(repo, closed), 400, words)).members
        # Nor where the function rebinds the module's name, below the cursor too (a comprehension's
        # `for tools in …`, a parameter): `tools.` is that object there, not the module.
        for function in ("def run(items):\n    return [f(tools.", "def run(tools):\n    return tools."):
            shadowed = text.replace("def run():\n    tools.", function)
            suffix = ") for tools in items]\n" if "items" in function else "\n"
            whole = request(repo, shadowed + suffix)
            got = await ctx.gather(replace(whole, offset=len(shadowed)), 400, words)
            assert got.members == frozenset(), function
    finally:
        ctx.close()


async def test_a_file_as_the_index_has_it_is_not_parsed_again(repo, tmp_path, monkeypatch):
    """The first request in a just-opened, unchanged file reads its symbols and imports from the
    index (same content digest) instead of parsing it; an edited text is parsed, with the same result
    for what did not change."""
    import completion.context.provider as provider_module

    parses = []
    real = provider_module.extract_edited
    monkeypatch.setattr(provider_module, "extract_edited",
                        lambda text, language, previous: parses.append(1) or real(text, language, previous))
    disk = (repo / "app/service.py").read_text()
    ctx = provider(repo, tmp_path)
    try:
        whole = await ctx.gather(request(repo, disk), 400, words)  # the cursor at the end of the saved file
        assert parses == [] and "def add_user(self, user, *, overwrite: bool = False) -> bool:" in \
            "\n".join(f.text for f in whole.files)
        edited = await ctx.gather(request(repo, disk + "\n"), 400, words)
        assert parses == [1] and edited.files == whole.files
    finally:
        ctx.close()


async def test_an_edit_is_parsed_from_the_previous_tree(repo, tmp_path, monkeypatch):
    """After an edit off the cursor line, the document is re-parsed from its previous tree (incremental),
    and what it yields equals a parse from scratch."""
    import completion.context.provider as provider_module
    from cache.index.extract import extract

    previous = []
    real = provider_module.extract_edited
    monkeypatch.setattr(provider_module, "extract_edited",
                        lambda text, language, prev: previous.append(prev) or real(text, language, prev))
    ctx = provider(repo, tmp_path)
    try:
        first = SERVICE.replace("class Service", "# edited\nclass Service")  # not the indexed text: parsed
        await ctx.gather(request(repo, first), 400, words)
        second = first.replace("class Service", "\n\nclass Service")  # Enter above: every later line moves
        result = await ctx.gather(request(repo, second), 400, words)
        assert previous[0] is None and previous[1] is not None and previous[1].text == first
        view = ctx._views[request(repo, second).uri][1]
        assert view == extract(second, "python") and result.files
    finally:
        ctx.close()


async def test_self_gets_the_member_rule_at_a_read_not_where_it_may_bind_nor_in_a_string(repo, tmp_path):
    """`return self.|` in a subclass of a repository class: the names of both; `self.|` starting a
    statement (it may bind a new attribute), inside a string, or with `context.memberRule` off: none."""
    ctx = provider(repo, tmp_path)
    try:
        reading = SERVICE[: -len("self.")] + "return self."
        got = await ctx.gather(request(repo, reading), 400, words)
        assert {"register", "add_user", "users", "path"} <= got.members and got.member == "self."
        assert (await ctx.gather(request(repo, SERVICE), 400, words)).members == frozenset()
        quoted = SERVICE[: -len("self.")] + 'log("self.'
        assert (await ctx.gather(request(repo, quoted), 400, words)).members == frozenset()
    finally:
        ctx.close()
    off = provider(repo, tmp_path, member_rule=False)
    try:
        assert (await off.gather(request(repo, reading), 400, words)).members == frozenset()
    finally:
        off.close()
