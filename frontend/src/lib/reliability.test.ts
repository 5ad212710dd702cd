import { describe, expect, it } from "vitest";
import {
  codingOf,
  displayValue,
  draftOf,
  EMPTY_DRAFT,
  formatAlpha,
  formatInterval,
  nextUnit,
  quoteFromSelection,
  readingOf,
} from "./reliability";

describe("readingOf", () => {
  it("reads alpha by Krippendorff's thresholds, inclusive", () => {
    expect(readingOf(0.8)).toBe("reliable");
    expect(readingOf(0.7999)).toBe("tentative");
    expect(readingOf(0.667)).toBe("tentative");
    expect(readingOf(0.6669)).toBe("unreliable");
    expect(readingOf(-0.2)).toBe("unreliable");
    expect(readingOf(null)).toBe("undefined");
    expect(readingOf(Number.NaN)).toBe("undefined");
  });
});

describe("formatAlpha and formatInterval", () => {
  it("print three decimals without a leading zero", () => {
    expect(formatAlpha(1 - 234 / 986)).toBe(".763");
    expect(formatAlpha(1)).toBe("1.000");
    expect(formatAlpha(-0.12)).toBe("-.120");
    expect(formatAlpha(null)).toBe("—");
    expect(formatInterval(0.512, 0.931)).toBe("[.512, .931]");
    expect(formatInterval(null, 0.9)).toBe("—");
  });
});

describe("nextUnit", () => {
  const units = [
    { unitIndex: 0, done: true },
    { unitIndex: 1, done: false },
    { unitIndex: 2, done: true },
    { unitIndex: 3, done: false },
  ];
  it("goes to the next unfinished unit, wrapping round to earlier ones", () => {
    expect(nextUnit(units)).toBe(1);
    expect(nextUnit(units, 1)).toBe(3);
    expect(nextUnit(units, 3)).toBe(1);
  });
  it("stays on the first unit when all are done, and has none without units", () => {
    expect(nextUnit(units.map((u) => ({ ...u, done: true })), 2)).toBe(0);
    expect(nextUnit([])).toBeNull();
  });
});

describe("quoteFromSelection", () => {
  const text = "The trial enrolled 120 pupils.  It was randomised.";
  it("takes the selected stretch, trimmed, whichever way it was selected", () => {
    expect(quoteFromSelection(text, 10, 29)).toBe("enrolled 120 pupils");
    expect(quoteFromSelection(text, 29, 10)).toBe("enrolled 120 pupils");
    expect(quoteFromSelection(text, 29, 32)).toBe(".");
  });
  it("refuses an empty or blank selection and one outside the text", () => {
    expect(quoteFromSelection(text, 5, 5)).toBeNull();
    expect(quoteFromSelection(text, 30, 32)).toBeNull();
    expect(quoteFromSelection(text, 0, text.length + 1)).toBeNull();
  });
  it("caps a long quote", () => {
    expect(quoteFromSelection("x".repeat(50), 0, 50, 10)).toBe("x".repeat(10));
  });
});

describe("codingOf and draftOf", () => {
  it("sends nothing for an unanswered question", () => {
    expect(codingOf("v", "TEXT", EMPTY_DRAFT)).toBeUndefined();
    expect(codingOf("v", "TEXT", { value: "   ", none: false, quote: "q" })).toBeUndefined();
  });
  it("sends null for 'no value in the document', keeping the quote", () => {
    expect(codingOf("v", "NUMBER", { value: "12", none: true, quote: " none said " })).toEqual({
      variableId: "v",
      value: null,
      quote: "none said",
    });
  });
  it("sends booleans as booleans and the rest as typed text for the API to read", () => {
    expect(codingOf("v", "BOOLEAN", { value: "false", none: false, quote: "" })).toEqual({
      variableId: "v",
      value: false,
      quote: null,
    });
    expect(codingOf("v", "NUMBER", { value: " 1,200 ", none: false, quote: "" })?.value).toBe("1,200");
  });
  it("round-trips stored values into the form", () => {
    expect(draftOf(["a", "b"], "q")).toEqual({ value: "a; b", none: false, quote: "q" });
    expect(draftOf(true, null)).toEqual({ value: "true", none: false, quote: "" });
    expect(draftOf(null, null)).toEqual({ value: "", none: true, quote: "" });
  });
});

describe("displayValue", () => {
  it("reads null, lists and booleans the way a coder wrote them", () => {
    expect(displayValue(null)).toBe("(no value)");
    expect(displayValue(["a", 2])).toBe("a; 2");
    expect(displayValue(false)).toBe("No");
    expect(displayValue("RCT")).toBe("RCT");
  });
});
