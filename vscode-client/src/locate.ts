/**
 * Finding the `tabstop serve` command. Pure decision logic; the file-system and process
 * probes are passed in, so every branch is unit-tested without spawning anything.
 *
 * Order: the `tabstop.server.path` setting; the Python extension's interpreter when Tabstop
 * is importable there; `tabstop` on PATH; the private virtual environment that
 * "Tabstop: Install Server" makes under the extension's global storage.
 */
import * as path from "path";

export type ServerSource = "setting" | "python-extension" | "path" | "managed";

/** A way to run the Tabstop CLI: `command ...args <subcommand>`. */
export interface ServerCommand {
  command: string;
  /** Arguments before the subcommand (`["-m", "lsp.cli"]` for an interpreter). */
  args: string[];
  source: ServerSource;
}

export interface LocateProbes {
  /** `tabstop.server.path`; empty when unset. */
  settingPath: string;
  /** The Python extension's interpreter for the workspace, if that extension is installed. */
  pythonInterpreter: () => Promise<string | undefined>;
  /** Whether `python -c "import lsp.cli"` finds Tabstop's CLI. */
  canImportTabstop: (python: string) => Promise<boolean>;
  isFile: (file: string) => Promise<boolean>;
  /** The full path of an executable on PATH, or undefined. */
  which: (name: string) => Promise<string | undefined>;
  /** Folder of the private virtual environment (it may not exist). */
  managedVenv: string;
  platform: NodeJS.Platform;
}

export type LocateResult =
  | { ok: true; server: ServerCommand }
  | { ok: false; reason: string; offerInstall: boolean };

/** `python`, `python3`, `python3.11`, `python.exe`, `pythonw.exe`… */
export function looksLikePython(file: string): boolean {
  const base = file.split(/[\\/]/).pop() ?? file; // either separator: settings may come from Windows
  return /^python(w)?(\d+(\.\d+)*)?(\.exe)?$/i.test(base);
}

export function commandFor(file: string, source: ServerSource): ServerCommand {
  return looksLikePython(file) ? { command: file, args: ["-m", "lsp.cli"], source } : { command: file, args: [], source };
}

export function serveArgs(server: ServerCommand): string[] {
  return [...server.args, "serve"];
}

export function venvBin(venv: string, name: string, platform: NodeJS.Platform): string {
  return platform === "win32" ? path.win32.join(venv, "Scripts", `${name}.exe`) : path.posix.join(venv, "bin", name);
}

export async function locateServer(p: LocateProbes): Promise<LocateResult> {
  if (p.settingPath) {
    if (await p.isFile(p.settingPath)) {
      return { ok: true, server: commandFor(p.settingPath, "setting") };
    }
    // An explicit setting that points nowhere is a mistake to report, not to paper over.
    return { ok: false, reason: `tabstop.server.path is set to ${p.settingPath}, which does not exist`, offerInstall: false };
  }
  const python = await p.pythonInterpreter();
  if (python && (await p.canImportTabstop(python))) {
    return { ok: true, server: commandFor(python, "python-extension") };
  }
  const onPath = await p.which(p.platform === "win32" ? "tabstop.exe" : "tabstop");
  if (onPath) {
    return { ok: true, server: commandFor(onPath, "path") };
  }
  const managed = venvBin(p.managedVenv, "tabstop", p.platform);
  if (await p.isFile(managed)) {
    return { ok: true, server: commandFor(managed, "managed") };
  }
  const tried = python ? `the Python interpreter ${python} cannot import it, ` : "";
  return { ok: false, reason: `the Tabstop server is not installed (${tried}no \`tabstop\` on PATH)`, offerInstall: true };
}

/** The commands that create the private virtual environment and install Tabstop into it. */
export function installSteps(basePython: string, venv: string, pipSpec: string, platform: NodeJS.Platform): { command: string; args: string[] }[] {
  const python = venvBin(venv, "python", platform);
  return [
    { command: basePython, args: ["-m", "venv", venv] },
    { command: python, args: ["-m", "pip", "install", "--upgrade", pipSpec] },
  ];
}
