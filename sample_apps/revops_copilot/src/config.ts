/** Static settings of the RevOps copilot. */

export const DEFAULT_CURRENCY = "USD";
export const STALE_AFTER_DAYS = 14;

/** Currency used when a pipeline view does not say otherwise. */
export function defaultCurrency(): string {
  return DEFAULT_CURRENCY;
}
