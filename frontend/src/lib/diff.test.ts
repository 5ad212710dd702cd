import { describe, expect, it } from "vitest";
import { diffStats, foldUnchanged, lineDiff, noteSummary } from "./diff";

describe("lineDiff", () => {
  it("keeps common lines and marks additions and removals", () => {
    const lines = lineDiff("a\nb\nc", "a\nB\nc\nd");
    expect(lines).toEqual([
      { kind: "same", text: "a" },
      { kind: "removed", text: "b" },
      { kind: "added", text: "B" },
      { kind: "same", text: "c" },
      { kind: "added", text: "d" },
    ]);
    expect(diffStats(lines)).toEqual({ added: 2, removed: 1 });
  });

  it("handles identical and empty texts", () => {
    expect(lineDiff("x", "x")).toEqual([{ kind: "same", text: "x" }]);
    expect(diffStats(lineDiff("", "new"))).toEqual({ added: 1, removed: 1 });
  });
});

describe("foldUnchanged", () => {
  it("keeps changes with their context and folds long unchanged runs", () => {
    const before = ["a", "b", "c", "d", "e", "f", "g"].join("\n");
    const after = ["a", "b", "c", "d", "e", "f", "g", "h"].join("\n");
    expect(foldUnchanged(lineDiff(before, after), 1)).toEqual([
      { kind: "skipped", count: 6 },
      { kind: "same", text: "g" },
      { kind: "added", text: "h" },
    ]);
  });

  it("folds nothing when everything is near a change", () => {
    expect(foldUnchanged(lineDiff("a\nb", "a\nc"), 2)).toHaveLength(3);
  });
});

describe("noteSummary", () => {
  it("shows the summary of the refiner's record and plain notes as they are", () => {
    expect(noteSummary('{"summary": "Refined from 2 answers", "x": 1}')).toBe("Refined from 2 answers");
    expect(noteSummary("Hand edit")).toBe("Hand edit");
    expect(noteSummary("{not json")).toBeNull();
    expect(noteSummary(null)).toBeNull();
  });
});
