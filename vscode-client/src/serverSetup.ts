/**
 * Real probes for locate.ts (files, PATH, the Python extension) and the private install.
 */
import { execFile, spawn } from "child_process";
import { promises as fs } from "fs";
import * as path from "path";
import * as vscode from "vscode";
import { installSteps, locateServer, LocateResult } from "./locate";

const PROBE_TIMEOUT_MS = 20_000;

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

async function which(name: string): Promise<string | undefined> {
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      await fs.access(candidate, fs.constants.X_OK);
      if (await isFile(candidate)) {
        return candidate;
      }
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Whether `python` can import Tabstop's CLI (and it is Tabstop's, not another `lsp` package). */
function canImportTabstop(python: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(python, ["-c", "import lsp.cli as c; print(c.build_parser().prog)"], { timeout: PROBE_TIMEOUT_MS }, (error, stdout) => {
      resolve(!error && stdout.trim() === "tabstop");
    });
  });
}

interface PythonEnvironmentApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(env: { path: string } | string): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  };
}

/** The interpreter selected in the Python extension (ms-python.python), if it is installed. */
export async function pythonExtensionInterpreter(): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonEnvironmentApi>("ms-python.python");
  if (!ext) {
    return undefined;
  }
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const envs = api?.environments;
    if (!envs) {
      return undefined;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const resolved = await envs.resolveEnvironment(envs.getActiveEnvironmentPath(folder));
    return resolved?.executable.uri?.fsPath;
  } catch {
    return undefined; // an older or broken Python extension: fall through to PATH
  }
}

export function managedVenv(context: vscode.ExtensionContext): string {
  return path.join(context.globalStorageUri.fsPath, "venv");
}

export function locate(context: vscode.ExtensionContext): Promise<LocateResult> {
  const settingPath = vscode.workspace.getConfiguration("tabstop").get<string>("server.path", "").trim();
  return locateServer({
    settingPath,
    pythonInterpreter: pythonExtensionInterpreter,
    canImportTabstop,
    isFile,
    which,
    managedVenv: managedVenv(context),
    platform: process.platform,
  });
}

/** Run a process, streaming its output to the log; resolve with stdout, reject on failure. */
export function run(command: string, args: string[], log: vscode.OutputChannel, env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    log.appendLine(`$ ${command} ${args.join(" ")}`);
    const child = spawn(command, args, { env: env ?? process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      log.append(chunk.toString());
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      log.append(chunk.toString());
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) {
        resolve(stdout);
      } else {
        const tail = stderr.trim().split("\n").slice(-3).join(" ");
        reject(new Error(`${path.basename(command)} exited with ${code}${tail ? `: ${tail}` : ""}`));
      }
    });
  });
}

/** pip-install Tabstop into a private virtual environment under the extension's global storage. */
export async function installServer(context: vscode.ExtensionContext, log: vscode.OutputChannel): Promise<void> {
  const basePython = (await pythonExtensionInterpreter()) ?? (await which(process.platform === "win32" ? "python.exe" : "python3"));
  if (!basePython) {
    throw new Error("no Python 3 interpreter found (install Python 3.11+ or the Python extension)");
  }
  const spec = vscode.workspace.getConfiguration("tabstop").get<string>("server.pipSpec", "tabstop");
  await fs.mkdir(context.globalStorageUri.fsPath, { recursive: true });
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: "Tabstop: installing the server", cancellable: false },
    async (progress) => {
      for (const step of installSteps(basePython, managedVenv(context), spec, process.platform)) {
        progress.report({ message: `${path.basename(step.command)} ${step.args.slice(0, 3).join(" ")}…` });
        await run(step.command, step.args, log);
      }
    },
  );
}
