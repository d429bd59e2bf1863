/**
 * The "smart" parts of the RevOps copilot.
 *
 * Placeholders for the prototype: they return fixed values (some after a short
 * wait, to feel like a network call) so the UI and pipeline views can be built.
 * Each one is meant to be backed by a language model later.
 */

import type { Lead, LeadScore, NextAction } from "./types";

const FAKE_LATENCY_MS = 50;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const MOCK_ACTIONS: NextAction[] = [
  { action: "call", note: "Call to confirm budget and timeline." },
  { action: "email", note: "Send the case study we discussed." },
  { action: "demo", note: "Book a product demo with the technical team." },
  { action: "nurture", note: "Add to the monthly newsletter and check back next quarter." },
];

/**
 * Score how likely a lead is to close, from 0 to 100, with a tier
 * (hot >= 70, warm >= 40, else cold) and short reasons drawn from the lead's
 * stage, deal size, company size, industry fit, notes and recency of contact.
 */
export async function scoreLead(lead: Lead): Promise<LeadScore> {
  // TODO: replace with a real model
  await sleep(FAKE_LATENCY_MS);
  return { score: 72, tier: "hot", reasons: ["Large deal size", "Recently contacted"] };
}

/**
 * Draft a short follow-up email to the lead's contact, in the rep's voice,
 * using the lead's notes and the extra context the rep typed (e.g. "met at
 * the trade show, wants pricing"). Plain text, no subject line, no signature.
 */
export async function draftFollowUp(lead: Lead, context: string): Promise<string> {
  // TODO: replace with a real model
  await sleep(FAKE_LATENCY_MS);
  return "Hi there, thanks for your time today. Following up on our conversation - let me know when you are free to talk next.";
}

/**
 * Recommend the single best next step for a lead (call, email, demo or
 * nurture) with a one-sentence note explaining why.
 */
export async function nextBestAction(lead: Lead): Promise<NextAction> {
  // TODO: replace with a real model
  return MOCK_ACTIONS[0];
}
