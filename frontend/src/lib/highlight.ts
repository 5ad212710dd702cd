/** Splitting a document's text around a quote so it can be shown highlighted. */

export interface Segment {
  text: string;
  highlight: boolean;
}

export interface Span {
  start: number;
  end: number;
}

/** Segments of `text` with [start, end) marked; offsets out of range are clamped, a bad span
 * (missing, empty, reversed) gives the text unmarked. */
export function splitHighlight(text: string, span: Span | null | undefined): Segment[] {
  if (!span) return text ? [{ text, highlight: false }] : [];
  const start = Math.max(0, Math.min(span.start, text.length));
  const end = Math.max(0, Math.min(span.end, text.length));
  if (end <= start) return text ? [{ text, highlight: false }] : [];
  return [
    { text: text.slice(0, start), highlight: false },
    { text: text.slice(start, end), highlight: true },
    { text: text.slice(end), highlight: false },
  ].filter((segment) => segment.text.length > 0);
}

function normalise(text: string): { chars: string; map: number[] } {
  // Collapse whitespace runs and fold case, remembering where each kept character came from.
  let chars = "";
  const map: number[] = [];
  let lastWasSpace = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (/\s/.test(ch)) {
      if (lastWasSpace || chars.length === 0) continue;
      chars += " ";
      map.push(i);
      lastWasSpace = true;
    } else {
      chars += ch.toLowerCase();
      map.push(i);
      lastWasSpace = false;
    }
  }
  return { chars, map };
}

/** Where `quote` sits in `text`: exactly, else ignoring case and whitespace differences. */
export function findQuote(text: string, quote: string | null | undefined): Span | null {
  if (!quote || !quote.trim()) return null;
  const exact = text.indexOf(quote);
  if (exact >= 0) return { start: exact, end: exact + quote.length };
  const haystack = normalise(text);
  const needle = normalise(quote).chars.trim();
  const at = haystack.chars.indexOf(needle);
  if (at < 0 || !needle) return null;
  const start = haystack.map[at] ?? 0;
  const end = (haystack.map[at + needle.length - 1] ?? start) + 1;
  return { start, end };
}

/** The span to highlight: the stored offsets when they match the quote, else a search. */
export function quoteSpan(
  text: string,
  charStart: number | null | undefined,
  charEnd: number | null | undefined,
  quote: string | null | undefined,
): Span | null {
  if (charStart != null && charEnd != null && charEnd > charStart && charEnd <= text.length) {
    return { start: charStart, end: charEnd };
  }
  return findQuote(text, quote);
}
