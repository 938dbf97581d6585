/**
 * Tabstop for VS Code: starts `tabstop serve` over stdio and wires it to the editor.
 *
 * Everything that can be decided without VS Code lives in pure modules (settings, status,
 * locate, models, protocol) with unit tests; this file only connects them to the API.
 */
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClientOptions,
  ServerOptions,
  State,
} from "vscode-languageclient/node";
import { TabstopLanguageClient } from "./inlineFeature";
import { ServerCommand, serveArgs } from "./locate";
import { BACKENDS, parseModelList } from "./models";
import { ACCEPT_COMMAND } from "./protocol";
import { installServer, locate, run } from "./serverSetup";
import { API_KEY_SECRET, completionsEnabledFor, JsonObject, serverSettings, toggleLanguage } from "./settings";
import { showStats } from "./stats";
import { parseStatus, ServerStatus, STATUS_METHOD, statusView } from "./status";

let extension: TabstopExtension | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extension = new TabstopExtension(context);
  context.subscriptions.push(extension);
  await extension.start();
}

export async function deactivate(): Promise<void> {
  await extension?.stop();
}

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration("tabstop");
}

/** Write a setting where it currently takes effect (workspace if set there, else user settings). */
async function updateSetting(key: string, value: unknown): Promise<void> {
  const inspected = config().inspect(key);
  const target =
    inspected?.workspaceFolderValue !== undefined
      ? vscode.ConfigurationTarget.WorkspaceFolder
      : inspected?.workspaceValue !== undefined
        ? vscode.ConfigurationTarget.Workspace
        : vscode.ConfigurationTarget.Global;
  await config().update(key, value, target);
}

class TabstopExtension implements vscode.Disposable {
  private readonly log: vscode.LogOutputChannel;
  private readonly statusItem: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private client: TabstopLanguageClient | undefined;
  private server: ServerCommand | undefined;
  private serverStatus: ServerStatus | undefined;
  private serverDown: string | undefined;
  private inFlight = 0;
  private clientDisposables: vscode.Disposable[] = [];
  private endLoadingProgress: (() => void) | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel("Tabstop", { log: true });
    this.statusItem = vscode.window.createStatusBarItem("tabstop.status", vscode.StatusBarAlignment.Right, 100);
    this.statusItem.name = "Tabstop";
    this.statusItem.command = "tabstop.toggle";
    this.statusItem.show();
    const command = (id: string, fn: (...args: unknown[]) => unknown) =>
      this.disposables.push(vscode.commands.registerCommand(id, fn));
    command("tabstop.toggle", () => this.toggle());
    command("tabstop.enable", () => this.setEnabled(true));
    command("tabstop.disable", () => this.setEnabled(false));
    command("tabstop.triggerCompletion", () => vscode.commands.executeCommand("editor.action.inlineSuggest.trigger"));
    command("tabstop.showLogs", () => this.log.show());
    command("tabstop.showStats", () => this.showStats());
    command("tabstop.chooseModel", () => this.chooseModel());
    command("tabstop.chooseBackend", () => this.chooseBackend());
    command("tabstop.setApiKey", () => this.setApiKey());
    command("tabstop.installServer", () => this.install());
    command("tabstop.restartServer", () => this.restart());
    this.disposables.push(
      this.log,
      this.statusItem,
      vscode.workspace.onDidChangeConfiguration((e) => this.onConfigurationChanged(e)),
      vscode.window.onDidChangeActiveTextEditor(() => this.render()),
      context.secrets.onDidChange((e) => {
        if (e.key === API_KEY_SECRET) {
          void this.pushSettings();
        }
      }),
    );
    this.render();
  }

  // -- server lifecycle ---------------------------------------------------------------------
  async start(): Promise<void> {
    const found = await locate(this.context);
    if (!found.ok) {
      this.serverDown = found.reason;
      this.log.warn(`server not started: ${found.reason}`);
      this.render();
      void this.offerSetup(found.reason, found.offerInstall);
      return;
    }
    this.server = found.server;
    this.serverDown = undefined;
    this.log.info(`starting ${found.server.command} ${serveArgs(found.server).join(" ")} (found via ${found.server.source})`);
    const serverOptions: ServerOptions = {
      command: found.server.command,
      // Plain stdio without `transport`: TransportKind.stdio would append `--stdio`.
      args: serveArgs(found.server),
      options: { env: this.serverEnv() },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
      outputChannel: this.log,
      initializationOptions: await this.settingsForServer(),
      middleware: {
        workspace: {
          // The server asks for `tabstop` when a didChangeConfiguration carries no settings.
          configuration: async (params, token, next) => {
            const answer = await next(params, token);
            if (!Array.isArray(answer)) {
              return answer;
            }
            const ours = await this.settingsForServer();
            return params.items.map((item, i): unknown => (item.section === "tabstop" ? ours : answer[i]));
          },
        },
      },
    };
    const client = new TabstopLanguageClient("tabstop", "Tabstop", serverOptions, clientOptions);
    const feature = client.inlineFeature;
    if (feature) {
      feature.hooks = {
        isEnabled: (document) => this.enabledFor(document.languageId),
        onInFlight: (delta) => {
          this.inFlight = Math.max(0, this.inFlight + delta);
          this.render();
        },
        info: (message) => this.log.info(message),
        warn: (message) => this.log.warn(message),
      };
    }
    this.clientDisposables.push(
      client.onNotification(STATUS_METHOD, (payload: unknown) => this.onStatus(payload)),
      client.onDidChangeState((e) => {
        if (e.newState === State.Stopped && this.client === client) {
          this.serverDown = "the server stopped (see Tabstop: Show Logs)";
          this.endLoading();
          this.render();
        } else if (e.newState === State.Running) {
          this.serverDown = undefined;
          this.render();
        }
      }),
    );
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      this.serverDown = `could not start ${found.server.command}: ${error instanceof Error ? error.message : String(error)}`;
      this.log.error(this.serverDown);
      this.render();
      return;
    }
    await this.ensureAcceptCommand(client);
    this.render();
  }

  /**
   * The server lists `tabstop.accept` in executeCommandProvider, and the client's
   * ExecuteCommandFeature registers it as a VS Code command that sends
   * workspace/executeCommand. If a server version did not advertise it, accepting would run
   * an unknown command; register the same forwarding ourselves then.
   */
  private async ensureAcceptCommand(client: TabstopLanguageClient): Promise<void> {
    const commands = await vscode.commands.getCommands(true);
    if (commands.includes(ACCEPT_COMMAND)) {
      return;
    }
    this.log.info(`server did not advertise ${ACCEPT_COMMAND}; forwarding it ourselves`);
    this.clientDisposables.push(
      vscode.commands.registerCommand(ACCEPT_COMMAND, (...args: unknown[]) =>
        client.sendRequest(ExecuteCommandRequest.type, { command: ACCEPT_COMMAND, arguments: args }),
      ),
    );
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.clientDisposables.forEach((d) => void d.dispose());
    this.clientDisposables = [];
    this.endLoading();
    this.serverStatus = undefined;
    this.inFlight = 0;
    if (client?.isRunning()) {
      await client.stop();
    }
  }

  private async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  private serverEnv(): NodeJS.ProcessEnv {
    const extra = config().get<Record<string, string>>("server.env", {});
    return { ...process.env, ...extra };
  }

  private async settingsForServer(): Promise<JsonObject> {
    const raw = JSON.parse(JSON.stringify(config())) as JsonObject;
    return serverSettings(raw, await this.context.secrets.get(API_KEY_SECRET));
  }

  private async pushSettings(): Promise<void> {
    const client = this.client;
    if (client?.isRunning()) {
      await client.sendNotification(DidChangeConfigurationNotification.type, { settings: await this.settingsForServer() });
    }
  }

  private onConfigurationChanged(e: vscode.ConfigurationChangeEvent): void {
    if (e.affectsConfiguration("tabstop.server")) {
      void this.restart();
    } else if (e.affectsConfiguration("tabstop")) {
      void this.pushSettings();
    }
    this.render();
  }

  private async offerSetup(reason: string, offerInstall: boolean): Promise<void> {
    const actions = offerInstall ? ["Install", "Set Path…"] : ["Set Path…"];
    const detail = offerInstall ? " Install it with pip into a private environment?" : "";
    const choice = await vscode.window.showWarningMessage(`Tabstop: ${reason}.${detail}`, ...actions);
    if (choice === "Install") {
      await this.install();
    } else if (choice === "Set Path…") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "tabstop.server.path");
    }
  }

  private async install(): Promise<void> {
    try {
      await installServer(this.context, this.log);
      void vscode.window.showInformationMessage("Tabstop: server installed.");
      await this.restart();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log.error(`install failed: ${message}`);
      void vscode.window.showErrorMessage(`Tabstop: install failed: ${message}`, "Show Logs").then((c) => c && this.log.show());
    }
  }

  // -- status ------------------------------------------------------------------------------
  private onStatus(payload: unknown): void {
    const status = parseStatus(payload);
    if (!status) {
      this.log.warn(`ignoring malformed ${STATUS_METHOD}: ${JSON.stringify(payload)}`);
      return;
    }
    this.serverStatus = status;
    if (status.state === "loading") {
      this.beginLoading(status.message);
    } else {
      this.endLoading();
    }
    this.render();
  }

  /** A window progress indicator while the model loads (it can take seconds on a laptop). */
  private beginLoading(message: string | undefined): void {
    if (this.endLoadingProgress) {
      return;
    }
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: "Tabstop: loading model" }, (progress) => {
      if (message) {
        progress.report({ message });
      }
      return new Promise<void>((resolve) => {
        this.endLoadingProgress = resolve;
      });
    });
  }

  private endLoading(): void {
    this.endLoadingProgress?.();
    this.endLoadingProgress = undefined;
  }

  private enabledFor(languageId: string): boolean {
    return completionsEnabledFor(
      config().get<boolean>("completion.enabled", true),
      config().get<string[]>("completion.disabledLanguages", []),
      languageId,
    );
  }

  private render(): void {
    const languageId = vscode.window.activeTextEditor?.document.languageId;
    const view = statusView(this.serverStatus, {
      serverDown: this.serverDown,
      inFlight: this.inFlight,
      enabledGlobally: config().get<boolean>("completion.enabled", true),
      languageId,
      enabledForLanguage: languageId === undefined || this.enabledFor(languageId),
    });
    this.statusItem.text = view.text;
    this.statusItem.tooltip = view.tooltip;
    this.statusItem.backgroundColor =
      view.severity === "error"
        ? new vscode.ThemeColor("statusBarItem.errorBackground")
        : view.severity === "warning"
          ? new vscode.ThemeColor("statusBarItem.warningBackground")
          : undefined;
  }

  // -- commands ----------------------------------------------------------------------------
  private async toggle(): Promise<void> {
    const enabled = config().get<boolean>("completion.enabled", true);
    const languageId = vscode.window.activeTextEditor?.document.languageId;
    const disabled = config().get<string[]>("completion.disabledLanguages", []);
    type Item = vscode.QuickPickItem & { run: () => Promise<void> };
    const items: Item[] = [
      {
        label: enabled ? "$(circle-slash) Disable completions everywhere" : "$(check) Enable completions",
        run: () => updateSetting("completion.enabled", !enabled),
      },
    ];
    if (languageId) {
      const off = disabled.includes(languageId);
      items.push({
        label: off ? `$(check) Enable completions for ${languageId}` : `$(circle-slash) Disable completions for ${languageId}`,
        run: () => updateSetting("completion.disabledLanguages", toggleLanguage(disabled, languageId)),
      });
    }
    items.push(
      { label: "$(output) Show logs", run: () => Promise.resolve(this.log.show()) },
      { label: "$(graph) Show stats", run: () => this.showStats() },
      { label: "$(server) Choose model…", run: () => this.chooseModel() },
    );
    const picked = await vscode.window.showQuickPick(items, { title: "Tabstop" });
    await picked?.run();
  }

  private async setEnabled(on: boolean): Promise<void> {
    await updateSetting("completion.enabled", on);
    const languageId = vscode.window.activeTextEditor?.document.languageId;
    const disabled = config().get<string[]>("completion.disabledLanguages", []);
    if (on && languageId && disabled.includes(languageId)) {
      await updateSetting("completion.disabledLanguages", toggleLanguage(disabled, languageId));
    }
  }

  private async showStats(): Promise<void> {
    if (!this.server) {
      void vscode.window.showErrorMessage(`Tabstop: no server to ask for stats (${this.serverDown ?? "not started"}).`);
      return;
    }
    await showStats(this.server, this.serverEnv(), this.log);
  }

  private async chooseModel(): Promise<void> {
    type Item = vscode.QuickPickItem & { value?: string; installed?: boolean };
    const items: Item[] = [];
    if (this.server) {
      try {
        const output = await run(this.server.command, [...this.server.args, "model", "list"], this.log, this.serverEnv());
        for (const m of parseModelList(output)) {
          items.push({
            label: m.name,
            description: `${m.detail}${m.installed ? "" : " · not installed"}${m.isDefault ? " · default" : ""}`,
            detail: m.description,
            value: m.name,
            installed: m.installed,
          });
        }
      } catch (error) {
        this.log.warn(`tabstop model list failed: ${String(error)}`);
      }
    }
    items.push({ label: "$(file) Browse for a GGUF file…" });
    const picked = await vscode.window.showQuickPick(items, {
      title: "Tabstop: model",
      placeHolder: `Current: ${config().get<string>("model.name", "default")}`,
    });
    if (!picked) {
      return;
    }
    let value = picked.value;
    if (value === undefined) {
      const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { "GGUF model": ["gguf"] } });
      value = files?.[0]?.fsPath;
    }
    if (value && picked.installed === false && this.server) {
      const fetch = await vscode.window.showInformationMessage(
        `Tabstop: ${value} is not installed yet. Fetch it now (\`tabstop model fetch\`)?`, "Fetch", "Cancel");
      if (fetch !== "Fetch") {
        return;
      }
      const server = this.server;
      try {
        await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `Tabstop: fetching ${value}` },
          () => run(server.command, [...server.args, "model", "fetch", value], this.log, this.serverEnv()),
        );
      } catch (error) {
        void vscode.window.showErrorMessage(`Tabstop: could not fetch ${value}: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
    }
    if (value) {
      await updateSetting("model.name", value);
      if (config().get<string>("backend", "local") !== "local") {
        void vscode.window.showInformationMessage("Tabstop: the model is used by the local backend; choose it with Tabstop: Choose Backend.");
      }
    }
  }

  private async chooseBackend(): Promise<void> {
    const current = config().get<string>("backend", "local");
    const picked = await vscode.window.showQuickPick(
      BACKENDS.map((b) => ({ label: b.label, detail: b.detail, description: b.id === current ? "current" : "", backend: b })),
      { title: "Tabstop: where completions come from" },
    );
    if (!picked) {
      return;
    }
    if (picked.backend.remote) {
      const url = await vscode.window.showInputBox({
        title: `Tabstop: ${picked.backend.label} URL`,
        value: config().get<string>("remote.url", ""),
        placeHolder: "http://127.0.0.1:8080",
        ignoreFocusOut: true,
      });
      if (url === undefined) {
        return;
      }
      await updateSetting("remote.url", url.trim());
      const key = await vscode.window.showInformationMessage("Tabstop: does this server need an API key?", "Set API Key", "No");
      if (key === "Set API Key") {
        await this.setApiKey();
      }
    }
    await updateSetting("backend", picked.backend.id);
  }

  private async setApiKey(): Promise<void> {
    const key = await vscode.window.showInputBox({
      title: "Tabstop: API key for the remote server",
      prompt: "Kept in VS Code's secret storage and passed to the server at start-up; empty removes it.",
      password: true,
      ignoreFocusOut: true,
    });
    if (key === undefined) {
      return;
    }
    if (key) {
      await this.context.secrets.store(API_KEY_SECRET, key);
    } else {
      await this.context.secrets.delete(API_KEY_SECRET);
    }
  }

  dispose(): void {
    void this.stop();
    this.disposables.forEach((d) => void d.dispose());
  }
}
