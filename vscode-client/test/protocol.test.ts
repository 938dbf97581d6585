import { strict as assert } from "node:assert";
import { test } from "node:test";
import { completionId, didPartiallyAcceptParams, didShowParams, LspInlineItem, PartialAcceptDeduper } from "../src/protocol";

const item: LspInlineItem = {
  insertText: "self.width * self.height",
  range: { start: { line: 11, character: 15 }, end: { line: 11, character: 15 } },
  command: { title: "Accept completion", command: "tabstop.accept", arguments: ["c-42"] },
};

test("didShowCompletion carries the server's own item", () => {
  assert.deepEqual(didShowParams(item), { item });
  assert.equal(completionId(item), "c-42");
  assert.equal(completionId({ insertText: "x" }), undefined);
});

test("partial accept: both VS Code signatures, with the kind when known", () => {
  assert.deepEqual(didPartiallyAcceptParams(item, 5), { item, acceptedLength: 5 });
  assert.deepEqual(didPartiallyAcceptParams(item, { kind: 1, acceptedLength: 5 }), { item, acceptedLength: 5, kind: "word" });
  assert.deepEqual(didPartiallyAcceptParams(item, { kind: 2, acceptedLength: 24 }), { item, acceptedLength: 24, kind: "line" });
  assert.deepEqual(didPartiallyAcceptParams(item, { kind: 99, acceptedLength: 3 }), { item, acceptedLength: 3 });
});

test("nothing to report for zero or malformed lengths", () => {
  assert.equal(didPartiallyAcceptParams(item, 0), undefined);
  assert.equal(didPartiallyAcceptParams(item, { kind: 1, acceptedLength: -2 }), undefined);
  assert.equal(didPartiallyAcceptParams(item, 1.5), undefined);
});

test("one report per partial accept, whichever signatures VS Code calls", () => {
  const queue: (() => void)[] = [];
  const flush = () => queue.splice(0).forEach((fn) => fn());
  const dedupe = new PartialAcceptDeduper<object>((fn) => queue.push(fn));
  const sent: string[] = [];
  const a = {};
  // VS Code 1.86+: bare length, then {kind, acceptedLength}, synchronously.
  dedupe.report(a, 4, () => sent.push("bare"));
  dedupe.report(a, { kind: 1, acceptedLength: 4 }, () => sent.push("rich"));
  flush();
  assert.deepEqual(sent, ["rich"]);
  // Older VS Code: only the bare length.
  const b = {};
  dedupe.report(b, 7, () => sent.push("bare-only"));
  flush();
  assert.deepEqual(sent, ["rich", "bare-only"]);
  // A second partial accept of the same item is reported again.
  dedupe.report(a, 9, () => sent.push("bare2"));
  dedupe.report(a, { kind: 1, acceptedLength: 9 }, () => sent.push("rich2"));
  flush();
  assert.deepEqual(sent, ["rich", "bare-only", "rich2"]);
});
