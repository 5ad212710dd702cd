import { describe, expect, it } from "vitest";
import { findQuote, quoteSpan, splitHighlight } from "./highlight";

describe("splitHighlight", () => {
  it("marks the span", () => {
    expect(splitHighlight("It enrolled 240 people.", { start: 12, end: 15 })).toEqual([
      { text: "It enrolled ", highlight: false },
      { text: "240", highlight: true },
      { text: " people.", highlight: false },
    ]);
  });

  it("handles spans at the edges and clamps out-of-range offsets", () => {
    expect(splitHighlight("abc", { start: 0, end: 3 })).toEqual([{ text: "abc", highlight: true }]);
    expect(splitHighlight("abc", { start: 1, end: 99 })).toEqual([
      { text: "a", highlight: false },
      { text: "bc", highlight: true },
    ]);
  });

  it("leaves the text unmarked for a missing or empty span", () => {
    expect(splitHighlight("abc", null)).toEqual([{ text: "abc", highlight: false }]);
    expect(splitHighlight("abc", { start: 2, end: 2 })).toEqual([{ text: "abc", highlight: false }]);
    expect(splitHighlight("", null)).toEqual([]);
  });
});

describe("findQuote", () => {
  it("finds exact quotes", () => {
    expect(findQuote("one two three", "two")).toEqual({ start: 4, end: 7 });
  });

  it("ignores case and whitespace differences", () => {
    const text = "It   Enrolled\n240 participants";
    const span = findQuote(text, "it enrolled 240");
    expect(span).not.toBeNull();
    expect(text.slice(span!.start, span!.end)).toBe("It   Enrolled\n240");
  });

  it("answers null when the quote is absent", () => {
    expect(findQuote("abc", "xyz")).toBeNull();
    expect(findQuote("abc", "  ")).toBeNull();
  });
});

describe("quoteSpan", () => {
  it("prefers stored offsets and falls back to searching", () => {
    expect(quoteSpan("abcdef", 1, 3, "zz")).toEqual({ start: 1, end: 3 });
    expect(quoteSpan("abcdef", null, null, "cd")).toEqual({ start: 2, end: 4 });
    expect(quoteSpan("abc", 1, 50, "c")).toEqual({ start: 2, end: 3 });
  });
});
