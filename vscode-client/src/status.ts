/**
 * What the status-bar item shows, computed from the server's `tabstop/status` notification
 * (lsp/server.py: `{state, message, backend, model, latencyMs}`) and the client's own state
 * (requests in flight, whether completions are on for the active language). Pure.
 */

export const STATUS_METHOD = "tabstop/status";

export interface ServerStatus {
  /** loading | ready | degraded | fallback | error | disabled (server side); more may come. */
  state: string;
  message?: string;
  backend?: string;
  model?: string;
  latencyMs?: number | null;
}

export interface ClientState {
  /** The server process is not running (not found, crashed, stopped). */
  serverDown?: string;
  /** Inline requests currently waiting for the server. */
  inFlight: number;
  enabledGlobally: boolean;
  /** The active editor's language, when there is one. */
  languageId?: string;
  enabledForLanguage: boolean;
}

export type Severity = "normal" | "warning" | "error";

export interface StatusView {
  text: string;
  tooltip: string;
  severity: Severity;
}

/** Parse a notification payload defensively: a malformed one must not break the status bar. */
export function parseStatus(payload: unknown): ServerStatus | undefined {
  if (typeof payload !== "object" || payload === null) {
    return undefined;
  }
  const p = payload as Record<string, unknown>;
  if (typeof p.state !== "string") {
    return undefined;
  }
  const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
  const latency = typeof p.latencyMs === "number" && Number.isFinite(p.latencyMs) ? p.latencyMs : null;
  return { state: p.state, message: str(p.message), backend: str(p.backend), model: str(p.model), latencyMs: latency };
}

export function formatLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) {
    return "";
  }
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

export function statusView(server: ServerStatus | undefined, client: ClientState): StatusView {
  const lines: string[] = [];
  const latency = formatLatency(server?.latencyMs);
  const where = server?.model ? `${server.model}${server.backend ? ` (${server.backend})` : ""}` : "";
  if (where) {
    lines.push(`Model: ${where}`);
  }
  if (latency) {
    lines.push(`Last completion: ${latency}`);
  }
  if (server?.message) {
    lines.push(server.message);
  }
  const click = client.languageId
    ? `Click to turn completions on or off (everywhere or for ${client.languageId}).`
    : "Click to turn completions on or off.";
  const tooltip = (head: string): string => [head, ...lines, click].join("\n");
  const withLatency = (label: string): string => (latency ? `${label} · ${latency}` : label);

  if (client.serverDown) {
    return { text: "$(error) Tabstop", tooltip: [`Tabstop server is not running: ${client.serverDown}`, click].join("\n"), severity: "error" };
  }
  if (!client.enabledGlobally || server?.state === "disabled") {
    return { text: "$(circle-slash) Tabstop", tooltip: tooltip("Tabstop: completions are off"), severity: "normal" };
  }
  if (!client.enabledForLanguage) {
    return {
      text: "$(circle-slash) Tabstop",
      tooltip: tooltip(`Tabstop: completions are off for ${client.languageId ?? "this language"}`),
      severity: "normal",
    };
  }
  if (server === undefined) {
    return { text: "$(loading~spin) Tabstop", tooltip: tooltip("Tabstop: starting the server"), severity: "normal" };
  }
  if (server.state === "error") {
    return { text: "$(error) Tabstop", tooltip: tooltip("Tabstop: error"), severity: "error" };
  }
  if (server.state === "loading") {
    return { text: "$(loading~spin) Tabstop: loading model", tooltip: tooltip("Tabstop: loading the model"), severity: "normal" };
  }
  if (client.inFlight > 0) {
    return { text: withLatency("$(sync~spin) Tabstop"), tooltip: tooltip("Tabstop: generating"), severity: "normal" };
  }
  if (server.state === "ready") {
    return { text: withLatency("$(check) Tabstop"), tooltip: tooltip("Tabstop: ready"), severity: "normal" };
  }
  // degraded, fallback, or a state this client does not know yet: usable, but worth a look.
  return { text: withLatency(`$(warning) Tabstop: ${server.state}`), tooltip: tooltip(`Tabstop: ${server.state}`), severity: "warning" };
}
