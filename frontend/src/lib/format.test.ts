import { describe, expect, it } from "vitest";
import {
  documentLabel,
  formatBytes,
  formatCost,
  formatDuration,
  formatEta,
  formatRatio,
  formatRatioWithInterval,
  formatTimestamp,
  humanise,
  matchesDocument,
  plural,
  variableTypeLabel,
} from "./format";

describe("durations and ETA", () => {
  it("formats seconds, minutes and hours", () => {
    expect(formatDuration(12.4)).toBe("12 s");
    expect(formatDuration(200)).toBe("3 min 20 s");
    expect(formatDuration(180)).toBe("3 min");
    expect(formatDuration(3900)).toBe("1 h 05 min");
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(-1)).toBe("—");
  });

  it("says what the ETA means for the job's state", () => {
    expect(formatEta(125, "PROCESSING")).toBe("about 2 min 5 s left");
    expect(formatEta(null, "PROCESSING")).toBe("estimating…");
    expect(formatEta(0.2, "PROCESSING")).toBe("less than a second");
    expect(formatEta(10, "PAUSED")).toBe("paused");
    expect(formatEta(null, "COMPLETE")).toBe("finished");
    expect(formatEta(5, "CANCELLED")).toBe("—");
  });
});

describe("numbers", () => {
  it("formats ratios, money and sizes", () => {
    expect(formatRatio(0.873)).toBe("87%");
    expect(formatRatio(0.995, 1)).toBe("99.5%");
    expect(formatRatio(null)).toBe("—");
    expect(formatCost(0)).toBe("$0.00");
    expect(formatCost(0.00123)).toBe("$0.0012");
    expect(formatCost(12.345)).toBe("$12.35");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(2048)).toBe("2.0 KB");
    expect(formatBytes(5 * 1024 * 1024)).toBe("5.0 MB");
  });

  it("turns enum values into words", () => {
    expect(humanise("PARTIALLY_CORRECT")).toBe("Partially correct");
  });
});

describe("formatTimestamp", () => {
  it("keeps the seconds and refuses what is not a date", () => {
    expect(formatTimestamp("2026-12-03T17:05:09Z")).toMatch(/:09$/);
    expect(formatTimestamp("not a date")).toBe("—");
    expect(formatTimestamp(null)).toBe("—");
  });
});

describe("formatRatioWithInterval", () => {
  it("gives the figure, its interval and n", () => {
    expect(formatRatioWithInterval(0.5, [0.2152, 0.7848], 8)).toBe("50% (22–78%, n = 8)");
    expect(formatRatioWithInterval(1, null, 1)).toBe("100% (n = 1)");
    expect(formatRatioWithInterval(null, null, 0)).toBe("—");
  });
});

describe("documents told apart", () => {
  const row = { name: "survey.csv", externalId: "R-17", rowIndex: 17 };
  it("labels a document with its external id and row", () => {
    expect(documentLabel(row)).toBe("survey.csv · id R-17 · row 17");
    expect(documentLabel({ name: "a.pdf", externalId: null, rowIndex: null })).toBe("a.pdf");
  });
  it("finds a document by any part of its label", () => {
    expect(matchesDocument(row, "r-17")).toBe(true);
    expect(matchesDocument(row, "row 17")).toBe(true);
    expect(matchesDocument(row, "other")).toBe(false);
    expect(matchesDocument(row, "  ")).toBe(true);
  });
});

describe("variableTypeLabel", () => {
  it("says yes / no for a boolean and keeps the others plain", () => {
    expect(variableTypeLabel("BOOLEAN")).toBe("Yes / no");
    expect(variableTypeLabel("CATEGORY")).toBe("Category");
  });
});

describe("plural", () => {
  it("agrees with its count", () => {
    expect(plural(1, "variable")).toBe("1 variable");
    expect(plural(3, "variable")).toBe("3 variables");
    expect(plural(0, "document")).toBe("0 documents");
  });
});
