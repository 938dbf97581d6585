/**
 * Turning VS Code's `tabstop.*` configuration into what the server's settings parser
 * (lsp/settings.py) accepts. Pure: no `vscode` import, so it is unit-tested under node.
 */

/** Sections that configure the extension itself; the server would warn "unknown setting". */
export const CLIENT_ONLY_SECTIONS: readonly string[] = ["server"];

/** Where the remote API key lives in the server's tree (it never comes from settings.json). */
export const API_KEY_SECRET = "tabstop.remote.apiKey";

export type JsonObject = { [key: string]: unknown };

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The settings tree sent as `initializationOptions` and in `workspace/didChangeConfiguration`.
 *
 * `raw` is `workspace.getConfiguration("tabstop")` flattened to JSON (camelCase keys, nested
 * by the dots of the setting names). Client-only sections are dropped; the API key from
 * secret storage is added under `remote.apiKey` only when there is one, so an empty secret
 * never overrides the server's `remote.apiKeyEnv` lookup.
 */
export function serverSettings(raw: JsonObject, apiKey?: string): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(raw)) {
    if (CLIENT_ONLY_SECTIONS.includes(key) || typeof value === "function") {
      continue;
    }
    out[key] = structuredClone(value);
  }
  if (apiKey) {
    const remote = isObject(out.remote) ? out.remote : {};
    out.remote = { ...remote, apiKey };
  }
  return out;
}

/** Whether completions should be requested for a document of this language. */
export function completionsEnabledFor(enabled: boolean, disabledLanguages: readonly string[], languageId: string): boolean {
  return enabled && !disabledLanguages.includes(languageId);
}

/** The disabled-language list with `languageId` toggled (added if absent, removed if present). */
export function toggleLanguage(disabledLanguages: readonly string[], languageId: string): string[] {
  return disabledLanguages.includes(languageId)
    ? disabledLanguages.filter((id) => id !== languageId)
    : [...disabledLanguages, languageId];
}

/** Keys whose change needs a new server process rather than a settings notification. */
export function needsRestart(changedSection: (section: string) => boolean): boolean {
  return changedSection("tabstop.server");
}
