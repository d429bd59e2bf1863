/** Pipeline arithmetic, stage rules, sorting and formatting. */

import { defaultCurrency } from "./config";
import type { Lead, Stage } from "./types";

/** Stages in pipeline order; won and lost are terminal. */
export const STAGES: Stage[] = ["new", "qualified", "proposal", "negotiation", "won", "lost"];

const ALLOWED: Record<Stage, Stage[]> = {
  new: ["qualified", "lost"],
  qualified: ["proposal", "lost"],
  proposal: ["negotiation", "won", "lost"],
  negotiation: ["proposal", "won", "lost"],
  won: [],
  lost: ["new"],
};

/** Whether a lead may move directly from one stage to another. */
export function canTransition(from: Stage, to: Stage): boolean {
  return ALLOWED[from].includes(to);
}

/** Return a copy of the lead in the new stage, or throw if the move is not allowed. */
export function advanceStage(lead: Lead, to: Stage): Lead {
  if (!canTransition(lead.stage, to)) {
    throw new Error(`cannot move lead ${lead.id} from ${lead.stage} to ${to}`);
  }
  return { ...lead, stage: to };
}

/** Sum of deal values per stage, with every stage present (0 when empty). */
export function pipelineTotals(leads: Lead[]): Record<Stage, number> {
  const totals = Object.fromEntries(STAGES.map((stage) => [stage, 0])) as Record<Stage, number>;
  for (const lead of leads) {
    totals[lead.stage] += lead.dealValue;
  }
  return totals;
}

/** Total value of deals that are still open (neither won nor lost). */
export function openPipelineValue(leads: Lead[]): number {
  return leads
    .filter((lead) => lead.stage !== "won" && lead.stage !== "lost")
    .reduce((sum, lead) => sum + lead.dealValue, 0);
}

/** Format an amount as currency, e.g. 1234.5 -> "$1,234.50". */
export function formatCurrency(amount: number, currency: string = defaultCurrency()): string {
  return new Intl.NumberFormat("en-US", { style: "currency", currency }).format(amount);
}

/** Leads sorted by deal value (largest first), then by company name; input untouched. */
export function sortLeads(leads: Lead[]): Lead[] {
  return [...leads].sort((a, b) => b.dealValue - a.dealValue || a.company.localeCompare(b.company));
}

/** Whole days since the lead was last contacted, or null if never contacted. */
export function daysSinceContact(lead: Lead, today: Date): number | null {
  if (lead.lastContacted === null) {
    return null;
  }
  const last = Date.parse(`${lead.lastContacted}T00:00:00Z`);
  const now = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return Math.floor((now - last) / 86_400_000);
}
