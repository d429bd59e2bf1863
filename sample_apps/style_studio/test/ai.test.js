// Tests for the AI functions: they check the contract (a non-empty string),
// never the values, so they hold for the prototype and for a model.

import assert from "node:assert/strict";
import { test } from "node:test";

import { FAKE_TITLES, rewriteInStyle, suggestTitle, summarize } from "../src/ai.js";
import { renderStudio } from "../src/studio.js";

const PASSAGE = "The train was late, so Anna waited on the platform and watched the snow. She thought about home.";

test("rewriteInStyle returns non-empty text", async () => {
  const rewritten = await rewriteInStyle(PASSAGE, "Tolstoy");
  assert.equal(typeof rewritten, "string");
  assert.ok(rewritten.trim().length > 0);
});

test("summarize returns non-empty text", async () => {
  const summary = await summarize(PASSAGE, 20);
  assert.equal(typeof summary, "string");
  assert.ok(summary.trim().length > 0);
});

test("suggestTitle returns a short non-empty title", async () => {
  const title = await suggestTitle(PASSAGE);
  assert.equal(typeof title, "string");
  assert.ok(title.trim().length > 0);
  assert.ok(!title.includes("\n"));
});

test("FAKE_TITLES are non-empty strings", () => {
  assert.ok(FAKE_TITLES.length > 0);
  for (const title of FAKE_TITLES) {
    assert.ok(title.trim().length > 0);
  }
});

test("renderStudio builds the result panel", async () => {
  const html = await renderStudio(PASSAGE, "Tolstoy & <Co>", 10);
  assert.match(html, /^<h2>[^<]+<\/h2>\n/);
  assert.ok(html.includes('<p class="meta">In the style of Tolstoy &amp; &lt;Co&gt; · '));
  assert.match(html, /\d+ words? · \d+ sentences? · \d+ min read<\/p>/);
  assert.match(html, /<p class="summary">[^<]+<\/p>$/);
  const summary = html.slice(html.lastIndexOf('<p class="summary">') + 19, -4);
  assert.ok(summary.split(/\s+/).filter(Boolean).length <= 10);
});

test("renderStudio rejects empty text", async () => {
  await assert.rejects(renderStudio("   ", "Tolstoy", 10), /text is empty/);
});
