// Tests for the real text helpers: exact results.

import assert from "node:assert/strict";
import { test } from "node:test";

import { statsLine } from "../src/studio.js";
import {
  WORDS_PER_MINUTE,
  escapeHtml,
  readingTimeMinutes,
  splitSentences,
  toParagraphs,
  truncateWords,
  wordCount,
  wordsPerMinute,
} from "../src/text.js";

test("wordCount", () => {
  assert.equal(wordCount(""), 0);
  assert.equal(wordCount("   "), 0);
  assert.equal(wordCount("Hello, world!"), 2);
  assert.equal(wordCount("It's a well-known fact — truly."), 5);
  assert.equal(wordCount("Война и мир"), 3);
});

test("readingTimeMinutes rounds up", () => {
  assert.equal(readingTimeMinutes(""), 0);
  assert.equal(readingTimeMinutes("one"), 1);
  assert.equal(readingTimeMinutes(Array(230).fill("w").join(" ")), 1);
  assert.equal(readingTimeMinutes(Array(231).fill("w").join(" ")), 2);
  assert.equal(readingTimeMinutes("a b c d", 2), 2);
});

test("wordsPerMinute returns the configured constant", () => {
  assert.equal(wordsPerMinute(), WORDS_PER_MINUTE);
});

test("splitSentences", () => {
  assert.deepEqual(splitSentences(""), []);
  assert.deepEqual(splitSentences("One. Two!  Three?"), ["One.", "Two!", "Three?"]);
  assert.deepEqual(splitSentences('He said "Go!" Then\nhe left... And'), ['He said "Go!"', "Then he left...", "And"]);
});

test("truncateWords", () => {
  assert.equal(truncateWords("a b c", 5), "a b c");
  assert.equal(truncateWords("  a   b c  ", 3), "a b c");
  assert.equal(truncateWords("a b c d", 2), "a b…");
  assert.equal(truncateWords("a b", 0), "…");
});

test("escapeHtml", () => {
  assert.equal(escapeHtml(`<a href="x">Tom & Jerry's</a>`), "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
  assert.equal(escapeHtml("plain"), "plain");
});

test("toParagraphs", () => {
  assert.equal(toParagraphs("One\nline.\n\n  <Two>  \n\n\n"), "<p>One<br>line.</p>\n<p>&lt;Two&gt;</p>");
  assert.equal(toParagraphs(""), "");
});

test("statsLine", () => {
  assert.equal(statsLine("Hello there. Bye!"), "3 words · 2 sentences · 1 min read");
  assert.equal(statsLine("Hi"), "1 word · 1 sentence · 1 min read");
  assert.equal(statsLine(""), "0 words · 0 sentences · 0 min read");
});
