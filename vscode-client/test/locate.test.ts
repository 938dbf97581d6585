import { strict as assert } from "node:assert";
import { test } from "node:test";
import { commandFor, installSteps, LocateProbes, locateServer, looksLikePython, serveArgs } from "../src/locate";

function probes(over: Partial<LocateProbes>): LocateProbes {
  return {
    settingPath: "",
    pythonInterpreter: () => Promise.resolve(undefined),
    canImportTabstop: () => Promise.resolve(false),
    isFile: () => Promise.resolve(false),
    which: () => Promise.resolve(undefined),
    managedVenv: "/store/venv",
    platform: "linux",
    ...over,
  };
}

test("python interpreters are recognised by name", () => {
  for (const p of ["/usr/bin/python3", "/v/bin/python", "python3.11", "C:\\Py\\python.exe", "pythonw.exe"]) {
    assert.equal(looksLikePython(p), true, p);
  }
  for (const p of ["/usr/bin/tabstop", "/x/python-tools", "ipython"]) {
    assert.equal(looksLikePython(p), false, p);
  }
  assert.deepEqual(serveArgs(commandFor("/v/bin/python3", "setting")), ["-m", "lsp.cli", "serve"]);
  assert.deepEqual(serveArgs(commandFor("/v/bin/tabstop", "setting")), ["serve"]);
});

test("the setting wins, and a wrong setting is reported, not skipped", async () => {
  const ok = await locateServer(probes({ settingPath: "/opt/tabstop", isFile: (f) => Promise.resolve(f === "/opt/tabstop"), which: () => Promise.resolve("/usr/bin/tabstop") }));
  assert.deepEqual(ok, { ok: true, server: { command: "/opt/tabstop", args: [], source: "setting" } });
  const bad = await locateServer(probes({ settingPath: "/nope", which: () => Promise.resolve("/usr/bin/tabstop") }));
  assert.equal(bad.ok, false);
  assert.match(!bad.ok ? bad.reason : "", /\/nope/);
  assert.equal(!bad.ok && bad.offerInstall, false);
});

test("the Python extension's interpreter is used when it can import tabstop", async () => {
  const r = await locateServer(probes({
    pythonInterpreter: () => Promise.resolve("/proj/.venv/bin/python"),
    canImportTabstop: (p) => Promise.resolve(p === "/proj/.venv/bin/python"),
    which: () => Promise.resolve("/usr/bin/tabstop"),
  }));
  assert.deepEqual(r, { ok: true, server: { command: "/proj/.venv/bin/python", args: ["-m", "lsp.cli"], source: "python-extension" } });
});

test("then PATH, then the private venv", async () => {
  const path = await locateServer(probes({
    pythonInterpreter: () => Promise.resolve("/usr/bin/python3"),
    which: (n) => Promise.resolve(n === "tabstop" ? "/home/u/.local/bin/tabstop" : undefined),
  }));
  assert.equal(path.ok && path.server.source, "path");
  const managed = await locateServer(probes({ isFile: (f) => Promise.resolve(f === "/store/venv/bin/tabstop") }));
  assert.deepEqual(managed, { ok: true, server: { command: "/store/venv/bin/tabstop", args: [], source: "managed" } });
  const win = await locateServer(probes({ platform: "win32", managedVenv: "C:\\s\\venv", isFile: (f) => Promise.resolve(f === "C:\\s\\venv\\Scripts\\tabstop.exe") }));
  assert.equal(win.ok && win.server.command, "C:\\s\\venv\\Scripts\\tabstop.exe");
});

test("nothing found: offer to install, and say what was tried", async () => {
  const r = await locateServer(probes({ pythonInterpreter: () => Promise.resolve("/usr/bin/python3") }));
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.offerInstall, true);
  assert.match(!r.ok ? r.reason : "", /\/usr\/bin\/python3 cannot import it/);
});

test("install creates a venv then pip-installs the spec with the venv's own python", () => {
  assert.deepEqual(installSteps("/usr/bin/python3", "/s/venv", "tabstop==0.1.0", "linux"), [
    { command: "/usr/bin/python3", args: ["-m", "venv", "/s/venv"] },
    { command: "/s/venv/bin/python", args: ["-m", "pip", "install", "--upgrade", "tabstop==0.1.0"] },
  ]);
});
