/** Reliability studies on screen: how alpha reads, the coder's form values, and the quote
 * taken from a selection in the document. Pure, so the tests need no browser. */

/** Krippendorff's (2004) thresholds, as the API states them. */
export const RELIABLE = 0.8;
export const TENTATIVE = 0.667;

export type Reading = "reliable" | "tentative" | "unreliable" | "undefined";

export function readingOf(alpha: number | null | undefined): Reading {
  if (alpha === null || alpha === undefined || !Number.isFinite(alpha)) return "undefined";
  if (alpha >= RELIABLE) return "reliable";
  if (alpha >= TENTATIVE) return "tentative";
  return "unreliable";
}

export const READING_LABELS: Record<Reading, string> = {
  reliable: "Reliable (α ≥ .800)",
  tentative: "Tentative conclusions only (α ≥ .667)",
  unreliable: "Unreliable (α < .667)",
  undefined: "Not defined",
};

/** Alpha the way methods sections print it: ".763", "-.120", "1.000". */
export function formatAlpha(alpha: number | null | undefined): string {
  if (alpha === null || alpha === undefined || !Number.isFinite(alpha)) return "—";
  const text = Math.abs(alpha).toFixed(3);
  const bare = Math.abs(alpha) < 1 ? text.replace(/^0/, "") : text;
  return alpha < 0 ? `-${bare}` : bare;
}

export function formatInterval(low: number | null | undefined, high: number | null | undefined): string {
  if (low === null || low === undefined || high === null || high === undefined) return "—";
  return `[${formatAlpha(low)}, ${formatAlpha(high)}]`;
}

export function formatShare(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return "—";
  return `${(100 * share).toFixed(1)} %`;
}

/** The first unit the coder has not finished, else the first unit (null: no units). */
export function nextUnit(units: { unitIndex: number; done: boolean }[], after?: number): number | null {
  const ordered = [...units].sort((a, b) => a.unitIndex - b.unitIndex);
  const later = ordered.find((u) => !u.done && (after === undefined || u.unitIndex > after));
  const next = later ?? ordered.find((u) => !u.done) ?? ordered[0];
  return next ? next.unitIndex : null;
}

/** A quote from the document: the selected stretch with its outer whitespace trimmed, or
 * null when the selection is empty or outside the text. */
export function quoteFromSelection(text: string, start: number, end: number, maxLength = 20_000): string | null {
  const [low, high] = start <= end ? [start, end] : [end, start];
  if (low < 0 || high > text.length || low === high) return null;
  const quote = text.slice(low, high).trim();
  if (!quote) return null;
  return quote.slice(0, maxLength);
}

export type QuestionType = "TEXT" | "NUMBER" | "DATE" | "CATEGORY" | "BOOLEAN";

/** What the form holds for one question: the text typed or chosen ("" = not answered yet),
 * whether the coder says the document gives no value, and the quote. */
export interface Draft {
  value: string;
  none: boolean;
  quote: string;
}

export const EMPTY_DRAFT: Draft = { value: "", none: false, quote: "" };

/** The form's text for a stored value (lists joined with "; ", booleans "true"/"false"). */
export function draftOf(value: unknown, quote: string | null | undefined): Draft {
  if (value === null || value === undefined) return { value: "", none: true, quote: quote ?? "" };
  const text = Array.isArray(value) ? value.map(String).join("; ") : String(value);
  return { value: text, none: false, quote: quote ?? "" };
}

/** The coding to send for one question, or undefined when the coder has not answered it.
 * The API types the value (and answers 422 with the field when it cannot). */
export function codingOf(
  variableId: string,
  type: QuestionType,
  draft: Draft,
): { variableId: string; value: unknown; quote: string | null } | undefined {
  const quote = draft.quote.trim() || null;
  if (draft.none) return { variableId, value: null, quote };
  const text = draft.value.trim();
  if (!text) return undefined;
  let value: unknown = text;
  if (type === "BOOLEAN") value = text === "true";
  return { variableId, value, quote };
}

/** A coded value for reading: "(no value)" for null, lists joined, booleans Yes/No. */
export function displayValue(value: unknown): string {
  if (value === null || value === undefined) return "(no value)";
  if (Array.isArray(value)) return value.map(displayValue).join("; ");
  if (typeof value === "boolean") return value ? "Yes" : "No";
  return String(value);
}
