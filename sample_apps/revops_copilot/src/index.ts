/** Lead card for the copilot side panel: real pipeline data plus the copilot's suggestions. */

import { STALE_AFTER_DAYS } from "./config";
import { draftFollowUp, nextBestAction, scoreLead } from "./copilot";
import { daysSinceContact, formatCurrency } from "./pipeline";
import type { Lead } from "./types";

export * from "./types";
export * from "./pipeline";
export * from "./config";
export * from "./copilot";

/** Build the text of a lead card shown next to the CRM record. */
export async function leadCard(lead: Lead, context: string, today: Date): Promise<string> {
  const [score, action, draft] = await Promise.all([
    scoreLead(lead),
    nextBestAction(lead),
    draftFollowUp(lead, context),
  ]);
  const days = daysSinceContact(lead, today);
  const contact = days === null ? "never contacted" : `last contact ${days} day(s) ago`;
  const stale = days === null || days > STALE_AFTER_DAYS ? " (stale)" : "";
  return [
    `${lead.company} - ${formatCurrency(lead.dealValue)} - ${lead.stage}`,
    `Score: ${Math.round(score.score)}/100 (${score.tier})`,
    ...score.reasons.map((reason) => `  - ${reason}`),
    `Contact: ${contact}${stale}`,
    `Next: ${action.action} - ${action.note}`,
    "",
    draft.trim(),
  ].join("\n");
}
