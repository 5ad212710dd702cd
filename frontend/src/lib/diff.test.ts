import { describe, expect, it } from "vitest";
import { diffStats, lineDiff } from "./diff";

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
