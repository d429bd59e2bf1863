/** Tests for the real pipeline logic: exact results. */

import assert from "node:assert/strict";
import { test } from "node:test";

import { DEFAULT_CURRENCY, defaultCurrency } from "../src/config";
import {
  STAGES,
  advanceStage,
  canTransition,
  daysSinceContact,
  formatCurrency,
  openPipelineValue,
  pipelineTotals,
  sortLeads,
} from "../src/pipeline";
import type { Lead, Stage } from "../src/types";

function lead(id: string, company: string, dealValue: number, stage: Stage): Lead {
  return {
    id,
    company,
    contactName: "Pat Doe",
    email: "pat@example.com",
    dealValue,
    stage,
    employees: 10,
    industry: "software",
    notes: "",
    lastContacted: null,
  };
}

const LEADS: Lead[] = [
  lead("a", "Beta", 1000, "new"),
  lead("b", "Alpha", 5000, "proposal"),
  lead("c", "Gamma", 5000, "won"),
  lead("d", "Delta", 250.5, "proposal"),
  lead("e", "Epsilon", 700, "lost"),
];

test("pipelineTotals sums deal values per stage, all stages present", () => {
  assert.deepEqual(pipelineTotals(LEADS), {
    new: 1000,
    qualified: 0,
    proposal: 5250.5,
    negotiation: 0,
    won: 5000,
    lost: 700,
  });
  assert.deepEqual(Object.keys(pipelineTotals([])), STAGES);
});

test("openPipelineValue excludes won and lost deals", () => {
  assert.equal(openPipelineValue(LEADS), 6250.5);
  assert.equal(openPipelineValue([]), 0);
});

test("stage transitions follow the pipeline rules", () => {
  assert.equal(canTransition("new", "qualified"), true);
  assert.equal(canTransition("new", "won"), false);
  assert.equal(canTransition("negotiation", "proposal"), true);
  assert.equal(canTransition("won", "lost"), false);
  assert.equal(canTransition("lost", "new"), true);
  const moved = advanceStage(LEADS[0], "qualified");
  assert.equal(moved.stage, "qualified");
  assert.equal(LEADS[0].stage, "new");
  assert.throws(() => advanceStage(LEADS[2], "new"), /cannot move lead c from won to new/);
});

test("formatCurrency", () => {
  assert.equal(formatCurrency(1234.5), "$1,234.50");
  assert.equal(formatCurrency(0), "$0.00");
  assert.equal(formatCurrency(-42), "-$42.00");
  assert.equal(formatCurrency(1000000, "EUR"), "€1,000,000.00");
});

test("sortLeads orders by value then company and does not mutate", () => {
  const sorted = sortLeads(LEADS);
  assert.deepEqual(
    sorted.map((item) => item.id),
    ["b", "c", "a", "e", "d"],
  );
  assert.deepEqual(
    LEADS.map((item) => item.id),
    ["a", "b", "c", "d", "e"],
  );
});

test("daysSinceContact counts whole UTC days", () => {
  const today = new Date("2024-06-14T23:59:00Z");
  assert.equal(daysSinceContact({ ...LEADS[0], lastContacted: "2024-06-14" }, today), 0);
  assert.equal(daysSinceContact({ ...LEADS[0], lastContacted: "2024-05-31" }, today), 14);
  assert.equal(daysSinceContact(LEADS[0], today), null);
});

test("defaultCurrency returns the configured constant", () => {
  assert.equal(defaultCurrency(), DEFAULT_CURRENCY);
  assert.equal(DEFAULT_CURRENCY, "USD");
});
