/** Checks on the labelled data in data/. */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { STAGES } from "../src/pipeline";

// Compiled to dist/test/, so the app root is two levels up.
const DATA = join(__dirname, "..", "..", "data");

test("lead_scores.jsonl is well formed", () => {
  const rows = readFileSync(join(DATA, "lead_scores.jsonl"), "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line));
  assert.ok(rows.length >= 20);
  const ids = new Set<string>();
  const tiers = new Set<string>();
  for (const row of rows) {
    assert.deepEqual(Object.keys(row).sort(), ["expected", "lead"]);
    const lead = row.lead;
    assert.deepEqual(Object.keys(lead).sort(), [
      "company", "contactName", "dealValue", "email", "employees", "id", "industry", "lastContacted", "notes", "stage",
    ]);
    assert.ok(STAGES.includes(lead.stage));
    assert.ok(typeof lead.dealValue === "number" && lead.dealValue > 0);
    assert.ok(lead.lastContacted === null || /^\d{4}-\d{2}-\d{2}$/.test(lead.lastContacted));
    assert.ok(["hot", "warm", "cold"].includes(row.expected.tier));
    ids.add(lead.id);
    tiers.add(row.expected.tier);
  }
  assert.equal(ids.size, rows.length);
  assert.equal(tiers.size, 3);
});
