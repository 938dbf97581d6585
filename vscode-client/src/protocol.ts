/**
 * Messages beyond LSP 3.18 that the server understands, shaped as Copilot's language
 * server defines them so one server serves every client. Pure.
 */

export const DID_SHOW_COMPLETION = "textDocument/didShowCompletion";
export const DID_PARTIALLY_ACCEPT_COMPLETION = "textDocument/didPartiallyAcceptCompletion";
/** The command the server attaches to each item; executing it sends workspace/executeCommand. */
export const ACCEPT_COMMAND = "tabstop.accept";

/** VS Code's PartialAcceptTriggerKind (proposed API), by value. */
export const PARTIAL_ACCEPT_KINDS: Record<number, string> = { 0: "unknown", 1: "word", 2: "line", 3: "suggest" };

/** The LSP item as the server sent it (kept so notifications carry the server's own data). */
export interface LspInlineItem {
  insertText: string | { kind: string; value: string };
  range?: unknown;
  command?: { title: string; command: string; arguments?: unknown[] };
  filterText?: string;
}

export function didShowParams(item: LspInlineItem): { item: LspInlineItem } {
  return { item };
}

/**
 * VS Code passes either a length (older API) or `{kind, acceptedLength}` (1.86+).
 * Returns undefined for a zero-length or malformed report: there is nothing to record.
 */
export function didPartiallyAcceptParams(
  item: LspInlineItem,
  info: number | { acceptedLength: number; kind?: number },
): { item: LspInlineItem; acceptedLength: number; kind?: string } | undefined {
  const acceptedLength = typeof info === "number" ? info : info?.acceptedLength;
  if (typeof acceptedLength !== "number" || !Number.isInteger(acceptedLength) || acceptedLength <= 0) {
    return undefined;
  }
  const kind = typeof info === "object" && typeof info.kind === "number" ? PARTIAL_ACCEPT_KINDS[info.kind] : undefined;
  return kind ? { item, acceptedLength, kind } : { item, acceptedLength };
}

/** The completion id the server put in the accept command, for logs. */
export function completionId(item: LspInlineItem): string | undefined {
  const arg = item.command?.command === ACCEPT_COMMAND ? item.command.arguments?.[0] : undefined;
  return typeof arg === "string" ? arg : undefined;
}

/**
 * VS Code (1.86+) calls `handleDidPartiallyAcceptCompletionItem` twice for one partial
 * accept: first with the bare length (the old signature), then with `{kind, acceptedLength}`.
 * Older versions make only the first call. This sends one report per accept: a bare-length
 * report waits one tick and is dropped if the richer form for the same item arrives.
 */
export class PartialAcceptDeduper<K extends object> {
  private readonly pending = new WeakMap<K, object>();

  constructor(private readonly defer: (fn: () => void) => void = (fn) => setTimeout(fn, 0)) {}

  report(key: K, info: number | { acceptedLength: number; kind?: number }, send: () => void): void {
    if (typeof info === "number") {
      const token = {};
      this.pending.set(key, token);
      this.defer(() => {
        if (this.pending.get(key) === token) {
          this.pending.delete(key);
          send();
        }
      });
      return;
    }
    this.pending.delete(key); // supersedes the bare-length report of the same accept
    send();
  }
}
