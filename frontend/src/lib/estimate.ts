/** The forecast of a job in the words the "Run all" confirmation uses. */

import { formatCost, formatCount, formatDuration, formatRatio } from "./format";

export interface EstimateLike {
  documents: number;
  documentsReused: number;
  reusedPairs: number;
  plannedCalls: number;
  cachedShare: number | null;
  completionBasis: "SAMPLE" | "MAX_TOKENS";
  priceKnown: boolean;
  costUsd: { low: number; expected: number; high: number } | null;
  note: string | null;
  durationSeconds: number;
  model: string;
}

/** The label of the confirming button: it names the expected cost, or says it is unknown. */
export function confirmLabel(estimate: EstimateLike): string {
  if (!estimate.priceKnown || !estimate.costUsd) return "Run all (cost unknown)";
  return `Run all for about ${formatCost(estimate.costUsd.expected)}`;
}

/** One line per fact the researcher weighs before confirming. */
export function estimateLines(estimate: EstimateLike): string[] {
  const lines = [
    `${formatCount(estimate.documents)} documents, ${formatCount(estimate.plannedCalls)} calls to ${estimate.model}` +
      (estimate.reusedPairs
        ? ` (${formatCount(estimate.reusedPairs)} answers reused from earlier runs, ${formatCount(estimate.documentsReused)} documents need no call)`
        : ""),
  ];
  if (estimate.costUsd) {
    const { low, expected, high } = estimate.costUsd;
    lines.push(
      `Expected cost ${formatCost(expected)} (between ${formatCost(low)} and ${formatCost(high)})` +
        (estimate.completionBasis === "MAX_TOKENS" ? "; run a sample first to narrow it" : ""),
    );
  } else if (estimate.note) {
    lines.push(estimate.note);
  }
  lines.push(`${formatRatio(estimate.cachedShare)} of prompt tokens served from the provider's cache`);
  lines.push(`At least ${formatDuration(estimate.durationSeconds)} under the configured rate limits`);
  return lines;
}
