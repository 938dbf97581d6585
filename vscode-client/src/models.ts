/**
 * Choices for "Tabstop: Choose Model" / "Choose Backend". Pure: parses `tabstop model list`.
 */

export interface ModelChoice {
  name: string;
  isDefault: boolean;
  installed: boolean;
  /** "491 MB, qwen FIM" */
  detail: string;
  description: string;
}

/**
 * One line per model, as lsp/cli.py prints it:
 * `qwen2.5-coder-0.5b (default): 491 MB, qwen FIM, installed — default: fast, …`
 * Lines that do not match (warnings, blank lines) are skipped.
 */
export function parseModelList(output: string): ModelChoice[] {
  const models: ModelChoice[] = [];
  const line = /^(\S+?)( \(default\))?: (.*?), (installed|not installed)(?: — (.*))?$/;
  for (const raw of output.split(/\r?\n/)) {
    const m = line.exec(raw.trim());
    if (!m) {
      continue;
    }
    models.push({ name: m[1], isDefault: Boolean(m[2]), detail: m[3], installed: m[4] === "installed", description: m[5] ?? "" });
  }
  return models;
}

export interface BackendChoice {
  id: string;
  label: string;
  detail: string;
  remote: boolean;
}

export const BACKENDS: readonly BackendChoice[] = [
  { id: "local", label: "Local (llama.cpp in the server)", detail: "Private and offline: your code never leaves this machine.", remote: false },
  { id: "llamacpp", label: "llama.cpp server", detail: "A llama-server you run (GPU box); uses /infill. Code is sent to it.", remote: true },
  { id: "openai", label: "OpenAI-compatible", detail: "A /v1/completions endpoint (vLLM, LM Studio, …). Code is sent to it.", remote: true },
  { id: "ollama", label: "Ollama", detail: "An Ollama server. Code is sent to it.", remote: true },
];
