/** Data types shared by the RevOps copilot. */

export type Stage = "new" | "qualified" | "proposal" | "negotiation" | "won" | "lost";

export interface Lead {
  id: string;
  company: string;
  contactName: string;
  email: string;
  /** Expected deal size in the account's currency (e.g. USD). */
  dealValue: number;
  stage: Stage;
  /** Company size in employees. */
  employees: number;
  industry: string;
  /** Free-text notes from the sales rep. */
  notes: string;
  /** ISO date (yyyy-mm-dd) of the last touch, or null if never contacted. */
  lastContacted: string | null;
}

export interface LeadScore {
  /**
   * Higher is more likely to close.
   * @minimum 0
   * @maximum 100
   */
  score: number;
  tier: "hot" | "warm" | "cold";
  /**
   * Short reasons for the score, most important first.
   * @minItems 1
   * @maxItems 4
   */
  reasons: string[];
}

export type NextAction = {
  action: "call" | "email" | "demo" | "nurture";
  /** One sentence for the rep on what to do and why. */
  note: string;
};
