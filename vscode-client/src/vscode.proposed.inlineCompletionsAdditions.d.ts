/**
 * The two members of VS Code's proposed `inlineCompletionsAdditions` API that Tabstop uses
 * (declared in package.json#enabledApiProposals). VS Code calls them only when the proposal
 * is enabled for the extension: always in code-server, and in desktop VS Code after
 * `"enable-proposed-api": ["tabstop.tabstop"]` in argv.json. Without it, completions and
 * accepts work; only the shown / partially-accepted reports are missing.
 */
declare module "vscode" {
  export interface PartialAcceptInfo {
    /** PartialAcceptTriggerKind: 0 unknown, 1 word, 2 line, 3 suggest. */
    kind: number;
    acceptedLength: number;
  }

  export interface InlineCompletionItemProvider {
    handleDidShowCompletionItem?(completionItem: InlineCompletionItem, updatedInsertText: string): void;
    handleDidPartiallyAcceptCompletionItem?(completionItem: InlineCompletionItem, info: PartialAcceptInfo | number): void;
  }
}
