import { strict as assert } from "node:assert";
import { test } from "node:test";
import { completionsEnabledFor, needsRestart, serverSettings, toggleLanguage } from "../src/settings";

test("client-only sections are not sent to the server", () => {
  const raw = { server: { path: "/x/tabstop", env: {} }, backend: "local", completion: { maxTokens: 32 } };
  assert.deepEqual(serverSettings(raw), { backend: "local", completion: { maxTokens: 32 } });
});

test("the API key from secret storage lands under remote.apiKey, next to the other remote keys", () => {
  const raw = { backend: "openai", remote: { url: "http://127.0.0.1:8080", apiKeyEnv: "TABSTOP_API_KEY" } };
  const out = serverSettings(raw, "sk-123");
  assert.deepEqual(out.remote, { url: "http://127.0.0.1:8080", apiKeyEnv: "TABSTOP_API_KEY", apiKey: "sk-123" });
  assert.equal((raw.remote as Record<string, unknown>).apiKey, undefined, "the input is not mutated");
});

test("no secret means no apiKey key at all (the server then reads remote.apiKeyEnv)", () => {
  assert.deepEqual(serverSettings({ remote: { url: "u" } }, undefined), { remote: { url: "u" } });
  assert.deepEqual(serverSettings({ remote: { url: "u" } }, ""), { remote: { url: "u" } });
  assert.deepEqual(serverSettings({}, "k"), { remote: { apiKey: "k" } });
});

test("the result is a deep copy", () => {
  const raw = { context: { exclude: [".env"] } };
  const out = serverSettings(raw) as { context: { exclude: string[] } };
  out.context.exclude.push("x");
  assert.deepEqual(raw.context.exclude, [".env"]);
});

test("per-language enablement", () => {
  assert.equal(completionsEnabledFor(true, [], "python"), true);
  assert.equal(completionsEnabledFor(true, ["markdown"], "markdown"), false);
  assert.equal(completionsEnabledFor(false, [], "python"), false);
});

test("toggleLanguage adds and removes", () => {
  assert.deepEqual(toggleLanguage([], "go"), ["go"]);
  assert.deepEqual(toggleLanguage(["go", "rust"], "go"), ["rust"]);
});

test("only server.* changes restart the process", () => {
  assert.equal(needsRestart((s) => s === "tabstop.server"), true);
  assert.equal(needsRestart(() => false), false);
});
