import { strict as assert } from "node:assert";
import { test } from "node:test";
import { BACKENDS, parseModelList } from "../src/models";

test("parses `tabstop model list` as lsp/cli.py prints it", () => {
  const out = [
    "qwen2.5-coder-0.5b (default): 491 MB, qwen FIM, installed — default: fast, ~25 tokens/s on 2 CPU cores",
    "qwen2.5-coder-1.5b: 1117 MB, qwen FIM, not installed — quality option: ~3x slower",
    "WARNING something unrelated",
    "",
  ].join("\n");
  assert.deepEqual(parseModelList(out), [
    { name: "qwen2.5-coder-0.5b", isDefault: true, detail: "491 MB, qwen FIM", installed: true, description: "default: fast, ~25 tokens/s on 2 CPU cores" },
    { name: "qwen2.5-coder-1.5b", isDefault: false, detail: "1117 MB, qwen FIM", installed: false, description: "quality option: ~3x slower" },
  ]);
});

test("backend choices match the server's BACKENDS and say which send code away", () => {
  assert.deepEqual(BACKENDS.map((b) => b.id), ["local", "llamacpp", "openai", "ollama"]);
  assert.deepEqual(BACKENDS.filter((b) => !b.remote).map((b) => b.id), ["local"]);
});
