import { strict as assert } from "node:assert";
import { test } from "node:test";
import { ClientState, formatLatency, parseStatus, statusView } from "../src/status";

const on: ClientState = { inFlight: 0, enabledGlobally: true, languageId: "python", enabledForLanguage: true };

test("parseStatus accepts the server's payload and rejects junk", () => {
  assert.deepEqual(parseStatus({ state: "ready", message: "m", backend: "local", model: "q", latencyMs: 812.5 }), {
    state: "ready", message: "m", backend: "local", model: "q", latencyMs: 812.5,
  });
  assert.equal(parseStatus(null), undefined);
  assert.equal(parseStatus({ message: "no state" }), undefined);
  assert.equal(parseStatus("ready"), undefined);
  assert.equal(parseStatus({ state: "ready", latencyMs: "fast" })?.latencyMs, null);
});

test("latency formatting", () => {
  assert.equal(formatLatency(null), "");
  assert.equal(formatLatency(843.4), "843 ms");
  assert.equal(formatLatency(2450), "2.5 s");
});

test("loading, ready with latency, generating, error", () => {
  assert.match(statusView({ state: "loading", message: "model not loaded yet" }, on).text, /loading~spin.*loading model/);
  const ready = statusView({ state: "ready", model: "qwen2.5-coder-0.5b", backend: "local", latencyMs: 640 }, on);
  assert.equal(ready.text, "$(check) Tabstop · 640 ms");
  assert.match(ready.tooltip, /qwen2\.5-coder-0\.5b \(local\)/);
  assert.match(ready.tooltip, /for python/);
  assert.match(statusView({ state: "ready", latencyMs: 640 }, { ...on, inFlight: 1 }).text, /sync~spin/);
  const error = statusView({ state: "error", message: "could not load model.gguf" }, on);
  assert.equal(error.severity, "error");
  assert.match(error.tooltip, /could not load model\.gguf/);
});

test("disabled globally, by the server, or for the language", () => {
  assert.match(statusView({ state: "ready" }, { ...on, enabledGlobally: false }).text, /circle-slash/);
  assert.match(statusView({ state: "disabled" }, on).text, /circle-slash/);
  const lang = statusView({ state: "ready" }, { ...on, enabledForLanguage: false });
  assert.match(lang.text, /circle-slash/);
  assert.match(lang.tooltip, /off for python/);
});

test("a server that is not running wins over everything", () => {
  const v = statusView({ state: "ready" }, { ...on, serverDown: "tabstop not found" });
  assert.equal(v.severity, "error");
  assert.match(v.tooltip, /tabstop not found/);
});

test("unknown or degraded states show as warnings, not as ready", () => {
  const v = statusView({ state: "fallback", message: "remote down; using local" }, on);
  assert.equal(v.severity, "warning");
  assert.match(v.text, /fallback/);
});

test("before the first notification the server is starting", () => {
  assert.match(statusView(undefined, on).tooltip, /starting/);
});
