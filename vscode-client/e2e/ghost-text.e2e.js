#!/usr/bin/env node
/*
 * End-to-end test of the Tabstop extension in a real VS Code: code-server (VS Code 1.100)
 * driven by headless Chromium through playwright-core, the extension installed from the
 * .vsix, the real `tabstop serve` with the bundled model behind it.
 *
 * It opens a Python file, types, waits for ghost text, takes a screenshot, presses Tab,
 * saves, and prints one JSON line (prefixed "RESULT ") with what it saw and the timings.
 * The pytest wrapper (tests/editors/test_vscode.py) installs everything, runs this, and
 * checks the saved file, the server log and the telemetry database.
 *
 * Inputs (environment): CODE_SERVER, CHROMIUM, VSIX, WORKDIR, PORT, SERVER_PYTHON,
 * SERVER_PYTHONPATH, SCREENSHOT; playwright-core is found through NODE_PATH.
 * Times are generous: the machine this runs on may be a loaded 2-core box.
 */
"use strict";
const { spawn, execFileSync } = require("child_process");
const fs = require("fs");
const http = require("http");
const path = require("path");
const { chromium } = require("playwright-core");

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`missing environment variable ${name}`);
  return v;
};
const CODE_SERVER = env("CODE_SERVER");
const CHROMIUM = env("CHROMIUM");
const VSIX = env("VSIX");
const WORKDIR = env("WORKDIR");
const PORT = Number(env("PORT"));
const SCREENSHOT = env("SCREENSHOT");
const GHOST_TIMEOUT_MS = Number(process.env.GHOST_TIMEOUT_MS || 120000);
const READY_TIMEOUT_MS = Number(process.env.READY_TIMEOUT_MS || 180000);

const USER_DIR = path.join(WORKDIR, "user");
const EXT_DIR = path.join(WORKDIR, "extensions");
const WS = path.join(WORKDIR, "ws");
const FILE = path.join(WS, "shapes.py");
const SERVER_LOG = path.join(WORKDIR, "server.log");
const TELEMETRY_DB = path.join(WORKDIR, "telemetry.sqlite");

const log = (...a) => console.error(`[e2e ${new Date().toISOString().slice(11, 23)}]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The file ends inside a method; the test types the start of the body and lets the model finish it.
const SOURCE = [
  "import math",
  "",
  "",
  "class Circle:",
  "    def __init__(self, radius):",
  "        self.radius = radius",
  "",
  "    def area(self):",
  "        ",
].join("\n");
const TYPED = "return ";

function prepare() {
  fs.mkdirSync(path.join(USER_DIR, "User"), { recursive: true });
  fs.mkdirSync(EXT_DIR, { recursive: true });
  fs.mkdirSync(WS, { recursive: true });
  fs.writeFileSync(FILE, SOURCE);
  const settings = {
    "tabstop.server.path": env("SERVER_PYTHON"),
    "tabstop.server.env": {
      PYTHONPATH: env("SERVER_PYTHONPATH"),
      TABSTOP_LOG_FILE: SERVER_LOG,
      TABSTOP_LOG_LEVEL: "info",
      TABSTOP_TELEMETRY_DB: TELEMETRY_DB,
    },
    "tabstop.completion.maxTokens": 32,
    // The default 4 s deadline returns a cut-off suggestion (or none) on a loaded 2-core CI box.
    "tabstop.completion.deadlineMs": 60000,
    "tabstop.telemetry.path": TELEMETRY_DB,
    // Nothing else may claim Tab or cover the editor.
    "editor.quickSuggestions": { other: "off", comments: "off", strings: "off" },
    "editor.suggestOnTriggerCharacters": false,
    "editor.wordBasedSuggestions": "off",
    "editor.inlineSuggest.enabled": true,
    "editor.fontSize": 16,
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "workbench.welcomePage.walkthroughs.openOnInstall": false,
    "security.workspace.trust.enabled": false,
    "telemetry.telemetryLevel": "off",
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "update.mode": "none",
    "files.autoSave": "off",
    "window.commandCenter": false,
    "chat.commandCenter.enabled": false,
  };
  fs.writeFileSync(path.join(USER_DIR, "User", "settings.json"), JSON.stringify(settings, null, 2));
}

function installExtension() {
  const t = Date.now();
  execFileSync(CODE_SERVER, ["--install-extension", VSIX, "--force", "--extensions-dir", EXT_DIR, "--user-data-dir", USER_DIR], {
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 180000,
  });
  return Date.now() - t;
}

function startCodeServer() {
  const child = spawn(
    CODE_SERVER,
    [
      "--bind-addr", `127.0.0.1:${PORT}`, "--auth", "none", "--disable-telemetry", "--disable-update-check",
      "--disable-workspace-trust", "--disable-getting-started-override",
      "--extensions-dir", EXT_DIR, "--user-data-dir", USER_DIR, WS,
    ],
    { detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  const out = fs.createWriteStream(path.join(WORKDIR, "code-server.log"));
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  return child;
}

function get(url) {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on("error", () => resolve(0));
    req.setTimeout(2000, () => {
      req.destroy();
      resolve(0);
    });
  });
}

async function waitFor(what, fn, timeoutMs, intervalMs = 250) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** The Tabstop status-bar entry: its text and whether it shows a given codicon. */
async function statusEntry(page) {
  return page.evaluate(() => {
    for (const el of document.querySelectorAll(".statusbar-item")) {
      const text = el.textContent || "";
      if (text.includes("Tabstop")) {
        const icons = [...el.querySelectorAll(".codicon")].map((i) => [...i.classList].find((c) => c.startsWith("codicon-") && c !== "codicon-modifier-spin"));
        return { text: text.trim(), icons, label: el.getAttribute("aria-label") || "" };
      }
    }
    return null;
  });
}

/** The extension's own log (the "Tabstop" output channel), as VS Code writes it to disk. */
function extensionLog() {
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name === "Tabstop.log") found.push(p);
    }
  };
  walk(path.join(USER_DIR, "logs"));
  return found.map((f) => fs.readFileSync(f, "utf8")).join("\n");
}

async function ghostText(page) {
  return page.evaluate(() => {
    // The rest of the cursor's line is rendered as inline decorations (one span per token);
    // further lines, if any, as view lines inside a `.ghost-text` view zone.
    const inline = [...document.querySelectorAll(".monaco-editor .ghost-text-decoration")].map((p) => p.textContent || "").join("");
    const more = [...document.querySelectorAll(".monaco-editor .ghost-text .view-line")].map((l) => l.textContent || "");
    const text = [inline, ...more].join("\n").replace(/\u00a0/g, " ");
    return text.trim() ? text : null;
  });
}

async function runCommand(page, title) {
  await page.keyboard.press("F1");
  await page.waitForSelector(".quick-input-widget:not(.hidden) input", { timeout: 15000 });
  await page.keyboard.type(title, { delay: 10 });
  await sleep(800);
  await page.keyboard.press("Enter");
}

async function main() {
  const result = { timings: {} };
  prepare();
  result.timings.installExtensionMs = installExtension();
  log(`extension installed in ${result.timings.installExtensionMs} ms`);

  const t0 = Date.now(); // "VS Code start"
  const server = startCodeServer();
  let browser;
  let page;
  try {
    await waitFor("code-server to answer", async () => (await get(`http://127.0.0.1:${PORT}/healthz`)) === 200, 90000, 300);
    result.timings.codeServerUpMs = Date.now() - t0;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    page.on("pageerror", (e) => log("page error:", e.message));
    await page.goto(`http://127.0.0.1:${PORT}/?folder=${encodeURIComponent(WS)}`, { waitUntil: "domcontentloaded", timeout: 90000 });
    await page.waitForSelector(".monaco-workbench", { timeout: 90000 });
    result.timings.workbenchMs = Date.now() - t0;
    log(`workbench up after ${result.timings.workbenchMs} ms`);

    // Open the file through Quick Open, as a user would.
    await sleep(2000);
    await page.keyboard.press("Control+P");
    await page.waitForSelector(".quick-input-widget:not(.hidden) input", { timeout: 30000 });
    await page.keyboard.type(path.basename(FILE), { delay: 20 });
    await page.waitForSelector(`.quick-input-list .monaco-list-row[aria-label*="${path.basename(FILE)}"]`, { timeout: 30000 });
    await sleep(500);
    await page.keyboard.press("Enter");
    await page.waitForSelector(".monaco-editor .view-lines", { timeout: 60000 });
    result.timings.editorOpenMs = Date.now() - t0;

    // The status bar shows the server's state: wait until the model is loaded.
    const ready = await waitFor(
      "the Tabstop status item to say ready",
      async () => {
        const s = await statusEntry(page);
        return s && s.icons.includes("codicon-check") ? s : null;
      },
      READY_TIMEOUT_MS,
      500,
    ).catch(async (e) => {
      result.statusAtTimeout = await statusEntry(page);
      throw e;
    });
    result.timings.serverReadyMs = Date.now() - t0;
    result.statusReady = ready;
    log(`status bar says ready after ${result.timings.serverReadyMs} ms: ${JSON.stringify(ready)}`);

    // Type at the end of the last line; each keystroke is an automatic trigger.
    await page.click(".monaco-editor .view-lines");
    await page.keyboard.press("Control+End");
    const typedAt = Date.now();
    await page.keyboard.type(TYPED, { delay: 60 });
    let ghost = await waitFor("automatic ghost text", () => ghostText(page), GHOST_TIMEOUT_MS, 200).catch(() => null);
    result.trigger = "automatic";
    if (!ghost) {
      // Not shown automatically (e.g. the request was superseded and dropped): ask explicitly,
      // through the extension's own command; the test still fails if this shows nothing.
      log("no automatic ghost text; running Tabstop: Trigger Completion");
      result.trigger = "invoked";
      await runCommand(page, "Tabstop: Trigger Completion");
      ghost = await waitFor("invoked ghost text", () => ghostText(page), GHOST_TIMEOUT_MS, 200);
    }
    result.timings.firstGhostMs = Date.now() - t0;
    result.timings.typingToGhostMs = Date.now() - typedAt;
    result.ghostText = ghost;
    log(`ghost text after ${result.timings.firstGhostMs} ms from VS Code start (${result.trigger}): ${JSON.stringify(ghost)}`);
    await page.screenshot({ path: SCREENSHOT });

    // Accept the first word (VS Code's partial accept), then the rest with Tab.
    await page.keyboard.press("Control+ArrowRight");
    result.ghostAfterWord = await waitFor("the ghost text to shrink", async () => {
      const g = await ghostText(page);
      return g !== ghost ? { text: g } : null;
    }, 10000, 100).then((r) => r.text).catch(() => ghost);
    log(`after accept-word: ghost ${JSON.stringify(result.ghostAfterWord)}`);
    if (result.ghostAfterWord) {
      await page.keyboard.press("Tab");
      await sleep(1000);
    }
    result.ghostAfterTab = await ghostText(page);
    await page.keyboard.press("Control+S");
    await waitFor("the file to be saved", () => fs.readFileSync(FILE, "utf8") !== SOURCE, 20000, 250).catch(() => null);
    result.savedText = fs.readFileSync(FILE, "utf8");

    // After a completion the server reports its latency to the status bar.
    result.statusAfter = await waitFor("the status bar to show a latency", async () => {
      const s = await statusEntry(page);
      return s && /\d+(\.\d+)? (ms|s)\b/.test(s.text) ? s : null;
    }, 20000, 250).catch(async () => statusEntry(page));
    result.timings.totalMs = Date.now() - t0;
  } catch (error) {
    if (page) {
      const shot = path.join(WORKDIR, "failure.png");
      await page.screenshot({ path: shot }).catch(() => undefined);
      log(`screenshot of the failure: ${shot}`);
    }
    throw error;
  } finally {
    if (browser) await browser.close().catch(() => undefined);
    try {
      process.kill(-server.pid, "SIGTERM"); // code-server and its extension host (our server's parent)
    } catch {
      // already gone
    }
    // VS Code buffers output-channel log files and flushes them when it shuts down.
    await waitFor("code-server to exit", () => server.exitCode !== null || server.signalCode !== null, 10000, 200).catch(() => null);
    try {
      process.kill(-server.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  // The extension host flushes its log while shutting down, after code-server's own process exits.
  result.extensionLog = await waitFor("the extension log to be flushed", () => {
    const text = extensionLog();
    return text.includes("didPartiallyAcceptCompletion") ? text : null;
  }, 15000, 250).catch(() => extensionLog());
  result.file = FILE;
  result.serverLog = SERVER_LOG;
  result.telemetryDb = TELEMETRY_DB;
  result.source = SOURCE;
  result.typed = TYPED;
  console.log("RESULT " + JSON.stringify(result));
}

main().catch((e) => {
  console.error("E2E FAILED:", e && e.stack ? e.stack : e);
  process.exit(1);
});
