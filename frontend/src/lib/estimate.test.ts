import { describe, expect, it } from "vitest";
import { confirmLabel, estimateLines, type EstimateLike } from "./estimate";

const base: EstimateLike = {
  documents: 1000,
  documentsReused: 20,
  reusedPairs: 200,
  plannedCalls: 980,
  cachedShare: 0.417,
  completionBasis: "SAMPLE",
  priceKnown: true,
  costUsd: { low: 0.55, expected: 0.73, high: 3.37 },
  note: null,
  durationSeconds: 125,
  model: "gpt-4o-mini",
};

describe("the Run all confirmation", () => {
  it("names the expected cost on the button and the band in the text", () => {
    expect(confirmLabel(base)).toBe("Run all for about $0.73");
    const lines = estimateLines(base);
    expect(lines[0]).toContain("980 calls");
    expect(lines[0]).toContain("200 answers reused");
    expect(lines[1]).toBe("Expected cost $0.73 (between $0.55 and $3.37)");
    expect(lines[2]).toContain("42%");
  });

  it("says the cost is unknown rather than zero for an unpriced model", () => {
    const unknown = { ...base, priceKnown: false, costUsd: null, note: "No price is known." };
    expect(confirmLabel(unknown)).toBe("Run all (cost unknown)");
    expect(estimateLines(unknown)).toContain("No price is known.");
  });

  it("asks for a sample when completions are only bounded", () => {
    expect(estimateLines({ ...base, completionBasis: "MAX_TOKENS" })[1]).toContain("run a sample first");
  });
});
