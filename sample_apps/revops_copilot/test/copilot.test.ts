/**
 * Tests for the copilot stubs: they check the contract (types, ranges,
 * unions), never the values, so they hold for the prototype and for a model.
 */

import assert from "node:assert/strict";
import { test } from "node:test";

import { MOCK_ACTIONS, draftFollowUp, nextBestAction, scoreLead } from "../src/copilot";
import { leadCard } from "../src/index";
import type { Lead } from "../src/types";

export const LEAD: Lead = {
  id: "L100",
  company: "Harbor Logistics",
  contactName: "Maya Chen",
  email: "maya@harborlogistics.example",
  dealValue: 120000,
  stage: "negotiation",
  employees: 850,
  industry: "logistics",
  notes: "Legal is reviewing the MSA; budget approved.",
  lastContacted: "2024-06-10",
};

const TIERS = ["hot", "warm", "cold"];
const ACTIONS = ["call", "email", "demo", "nurture"];

test("scoreLead returns a score in 0..100, a known tier and string reasons", async () => {
  const result = await scoreLead(LEAD);
  assert.equal(typeof result.score, "number");
  assert.ok(Number.isFinite(result.score));
  assert.ok(result.score >= 0 && result.score <= 100);
  assert.ok(TIERS.includes(result.tier));
  assert.ok(Array.isArray(result.reasons));
  for (const reason of result.reasons) {
    assert.equal(typeof reason, "string");
    assert.ok(reason.trim().length > 0);
  }
});

test("draftFollowUp returns non-empty text", async () => {
  const draft = await draftFollowUp(LEAD, "met at the trade show, wants pricing");
  assert.equal(typeof draft, "string");
  assert.ok(draft.trim().length > 0);
});

test("nextBestAction returns a known action and a note", async () => {
  const next = await nextBestAction(LEAD);
  assert.ok(ACTIONS.includes(next.action));
  assert.equal(typeof next.note, "string");
  assert.ok(next.note.trim().length > 0);
});

test("MOCK_ACTIONS only holds valid actions", () => {
  for (const item of MOCK_ACTIONS) {
    assert.ok(ACTIONS.includes(item.action));
    assert.ok(item.note.trim().length > 0);
  }
});

test("leadCard combines pipeline data with the copilot's output", async () => {
  const card = await leadCard(LEAD, "wants pricing", new Date("2024-06-14T09:00:00Z"));
  const lines = card.split("\n");
  assert.equal(lines[0], "Harbor Logistics - $120,000.00 - negotiation");
  assert.match(lines[1], /^Score: \d+\/100 \((hot|warm|cold)\)$/);
  assert.ok(card.includes("Contact: last contact 4 day(s) ago\n"));
  assert.match(card, /\nNext: (call|email|demo|nurture) - \S/);
});

test("leadCard marks never-contacted leads as stale", async () => {
  const card = await leadCard({ ...LEAD, lastContacted: null }, "", new Date("2024-06-14T00:00:00Z"));
  assert.ok(card.includes("Contact: never contacted (stale)"));
});
