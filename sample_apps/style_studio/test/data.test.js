// Checks on the labelled data in data/.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { wordCount } from "../src/text.js";

const url = new URL("../data/style_rewrites.jsonl", import.meta.url);

test("style_rewrites.jsonl is well formed", () => {
  const rows = readFileSync(url, "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line));
  assert.ok(rows.length >= 20);
  assert.equal(new Set(rows.map((row) => row.text)).size, rows.length);
  for (const row of rows) {
    assert.deepEqual(Object.keys(row).sort(), ["author", "expected", "text"]);
    for (const key of ["author", "expected", "text"]) {
      assert.equal(typeof row[key], "string");
      assert.ok(row[key].trim().length > 0);
    }
    assert.notEqual(row.expected, row.text);
    assert.ok(wordCount(row.text) >= 5 && wordCount(row.text) <= 40);
  }
  assert.ok(new Set(rows.map((row) => row.author)).size >= 8);
});
