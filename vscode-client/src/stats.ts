/**
 * "Tabstop: Show Stats": runs `tabstop stats --html FILE` and shows the report in a webview.
 */
import { promises as fs } from "fs";
import * as os from "os";
import * as path from "path";
import * as vscode from "vscode";
import { ServerCommand } from "./locate";
import { run } from "./serverSetup";

export async function showStats(server: ServerCommand, env: NodeJS.ProcessEnv, log: vscode.OutputChannel): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tabstop-stats-"));
  const file = path.join(dir, "stats.html");
  try {
    await run(server.command, [...server.args, "stats", "--html", file], log, env);
    const html = await fs.readFile(file, "utf8");
    const panel = vscode.window.createWebviewPanel("tabstop.stats", "Tabstop Stats", vscode.ViewColumn.Active, {
      // The report is self-contained (inline charts); it loads nothing from disk or network.
      enableScripts: true,
      localResourceRoots: [],
    });
    panel.webview.html = html;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    void vscode.window
      .showErrorMessage(
        `Tabstop: could not build the stats report (\`tabstop stats --html\` failed: ${message}). ` +
          "It needs a Tabstop server with telemetry support; see Tabstop: Show Logs.",
        "Show Logs",
      )
      .then((choice) => {
        if (choice) {
          log.show();
        }
      });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
