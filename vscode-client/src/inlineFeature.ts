/**
 * Inline completion through LSP, with the show / partial-accept reports VS Code's
 * provider API offers.
 *
 * vscode-languageclient 11 registers `textDocument/inlineCompletion` itself, but its provider
 * object has only `provideInlineCompletionItems`, and VS Code decides at registration time
 * whether a provider wants show/partial-accept events. So the client's built-in feature is
 * swapped for this one (same registration logic, built on the library's public
 * `TextDocumentLanguageFeature`), whose provider also implements
 * `handleDidShowCompletionItem` and `handleDidPartiallyAcceptCompletionItem` and forwards
 * them as Copilot-style notifications. Accepting runs the item's `tabstop.accept` command,
 * which the client's ExecuteCommandFeature turns into `workspace/executeCommand`.
 */
import * as vscode from "vscode";
import {
  DynamicFeature,
  FeatureClient,
  InlineCompletionOptions,
  InlineCompletionRegistrationOptions,
  InlineCompletionRequest,
  InlineCompletionItem as LspItem,
  LanguageClient,
  LanguageClientOptions,
  Middleware,
  ServerCapabilities,
  ServerOptions,
  StaticFeature,
  TextDocumentLanguageFeature,
  ClientCapabilities,
  DocumentSelector,
} from "vscode-languageclient/node";
import { completionId, DID_PARTIALLY_ACCEPT_COMPLETION, DID_SHOW_COMPLETION, didPartiallyAcceptParams, didShowParams, PartialAcceptDeduper } from "./protocol";

/** What the extension plugs into the provider: gating and the "generating" indicator. */
export interface InlineHooks {
  /** False: answer nothing without asking the server (completions off for this document). */
  isEnabled(document: vscode.TextDocument): boolean;
  /** Called with +1 when a request starts and -1 when it ends. */
  onInFlight(delta: number): void;
  /** Informational: what was reported to the server (one line per item shown / accepted). */
  info(message: string): void;
  warn(message: string): void;
}

const noHooks: InlineHooks = { isEnabled: () => true, onInFlight: () => undefined, info: () => undefined, warn: () => undefined };

export class TabstopInlineFeature extends TextDocumentLanguageFeature<
  boolean | InlineCompletionOptions,
  InlineCompletionRegistrationOptions,
  vscode.InlineCompletionItemProvider,
  Middleware
> {
  hooks: InlineHooks = noHooks;

  constructor(client: FeatureClient<Middleware>) {
    super(client, InlineCompletionRequest.type);
  }

  fillClientCapabilities(capabilities: ClientCapabilities): void {
    capabilities.textDocument = capabilities.textDocument ?? {};
    capabilities.textDocument.inlineCompletion = { dynamicRegistration: true };
  }

  initialize(capabilities: ServerCapabilities, documentSelector: DocumentSelector): void {
    const options = this.getRegistrationOptions(documentSelector, capabilities.inlineCompletionProvider);
    if (!options) {
      return;
    }
    this.register({ id: crypto.randomUUID(), registerOptions: options });
  }

  protected registerLanguageProvider(options: InlineCompletionRegistrationOptions): [vscode.Disposable, vscode.InlineCompletionItemProvider] {
    const provider = new TabstopInlineProvider(this._client, () => this.hooks);
    const selector = this._client.protocol2CodeConverter.asDocumentSelector(options.documentSelector ?? []);
    return [vscode.languages.registerInlineCompletionItemProvider(selector, provider), provider];
  }
}

export class TabstopInlineProvider implements vscode.InlineCompletionItemProvider {
  /** The server's item behind each VS Code item, so reports carry the server's own data. */
  private readonly origin = new WeakMap<vscode.InlineCompletionItem, LspItem>();
  private readonly reportedShown = new WeakSet<vscode.InlineCompletionItem>();
  private readonly partialAccepts = new PartialAcceptDeduper<vscode.InlineCompletionItem>();

  constructor(
    private readonly client: FeatureClient<Middleware>,
    private readonly hooks: () => InlineHooks,
  ) {}

  provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): vscode.ProviderResult<vscode.InlineCompletionItem[] | vscode.InlineCompletionList> {
    if (!this.hooks().isEnabled(document)) {
      return undefined;
    }
    const middleware = this.client.middleware.provideInlineCompletionItems;
    const next = (d: vscode.TextDocument, p: vscode.Position, c: vscode.InlineCompletionContext, t: vscode.CancellationToken) =>
      this.request(d, p, c, t);
    return middleware ? middleware(document, position, context, token, next) : this.request(document, position, context, token);
  }

  private async request(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    const params = this.client.code2ProtocolConverter.asInlineCompletionParams(document, position, context);
    this.hooks().onInFlight(+1);
    try {
      const result = await this.client.sendRequest(InlineCompletionRequest.type, params, token);
      if (token.isCancellationRequested || !result) {
        return undefined;
      }
      const lspItems = Array.isArray(result) ? result : result.items;
      return lspItems.map((lspItem) => {
        const item = this.client.protocol2CodeConverter.asInlineCompletionItem(lspItem);
        this.origin.set(item, lspItem);
        return item;
      });
    } catch (error) {
      return this.client.handleFailedRequest(InlineCompletionRequest.type, token, error, undefined, false);
    } finally {
      this.hooks().onInFlight(-1);
    }
  }

  handleDidShowCompletionItem(item: vscode.InlineCompletionItem): void {
    const lspItem = this.origin.get(item);
    if (!lspItem || this.reportedShown.has(item)) {
      return; // VS Code re-reports an item while the user types through it; the server wants it once.
    }
    this.reportedShown.add(item);
    this.notify(DID_SHOW_COMPLETION, didShowParams(lspItem));
    this.hooks().info(`${DID_SHOW_COMPLETION} ${completionId(lspItem) ?? "?"}`);
  }

  handleDidPartiallyAcceptCompletionItem(item: vscode.InlineCompletionItem, info: vscode.PartialAcceptInfo | number): void {
    const lspItem = this.origin.get(item);
    const params = lspItem ? didPartiallyAcceptParams(lspItem, info) : undefined;
    if (params && lspItem) {
      this.partialAccepts.report(item, info, () => {
        this.notify(DID_PARTIALLY_ACCEPT_COMPLETION, params);
        this.hooks().info(`${DID_PARTIALLY_ACCEPT_COMPLETION} ${completionId(lspItem) ?? "?"} ${params.acceptedLength} (${params.kind ?? "unknown"})`);
      });
    }
  }

  private notify(method: string, params: object): void {
    if (!this.client.isRunning()) {
      return;
    }
    this.client.sendNotification(method, params).catch((error: unknown) => this.hooks().warn(`${method} failed: ${String(error)}`));
  }
}

/**
 * A LanguageClient whose built-in inline-completion feature is replaced by
 * TabstopInlineFeature. `registerFeature` is the library's public extension point; the
 * base constructor calls it for every built-in feature, so the swap happens before start.
 */
export class TabstopLanguageClient extends LanguageClient {
  constructor(id: string, name: string, serverOptions: ServerOptions, clientOptions: LanguageClientOptions) {
    super(id, name, serverOptions, clientOptions);
  }

  override registerFeature(feature: StaticFeature | DynamicFeature<unknown>): void {
    if (
      DynamicFeature.is(feature) &&
      feature.registrationType.method === InlineCompletionRequest.method &&
      !(feature instanceof TabstopInlineFeature)
    ) {
      super.registerFeature(new TabstopInlineFeature(this));
      return;
    }
    super.registerFeature(feature);
  }

  get inlineFeature(): TabstopInlineFeature | undefined {
    const feature = this.getFeature(InlineCompletionRequest.method);
    return feature instanceof TabstopInlineFeature ? feature : undefined;
  }
}
