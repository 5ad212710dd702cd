/** Numbers as people read them: durations, percentages, money, tokens, sizes. */

const DASH = "—";

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return DASH;
  const total = Math.round(seconds);
  if (total < 60) return `${total} s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) {
    const rest = total % 60;
    return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return `${hours} h ${String(rest).padStart(2, "0")} min`;
}

/** ETA in words for a job: nothing to wait for once it is over. */
export function formatEta(etaSeconds: number | null | undefined, status: string): string {
  if (status === "COMPLETE") return "finished";
  if (status === "CANCELLED" || status === "FAILED") return DASH;
  if (status === "PAUSED") return "paused";
  if (etaSeconds == null) return "estimating…";
  if (etaSeconds < 1) return "less than a second";
  return `about ${formatDuration(etaSeconds)} left`;
}

/** A ratio 0–1 as a percentage ("87%", "99.5%" when precision matters near the ends). */
export function formatRatio(ratio: number | null | undefined, digits = 0): string {
  if (ratio == null || !Number.isFinite(ratio)) return DASH;
  return `${(ratio * 100).toFixed(digits)}%`;
}

/** A proportion with its 95 % interval and n: "50% (22–78%, n = 8)". */
export function formatRatioWithInterval(
  ratio: number | null | undefined,
  interval: number[] | null | undefined,
  n: number,
): string {
  if (ratio == null || !Number.isFinite(ratio)) return DASH;
  const [low, high] = interval ?? [];
  const range = low != null && high != null ? `${(low * 100).toFixed(0)}–${formatRatio(high)}, ` : "";
  return `${formatRatio(ratio)} (${range}n = ${n})`;
}

export function formatCost(usd: number | null | undefined): string {
  if (usd == null || !Number.isFinite(usd)) return DASH;
  if (usd === 0) return "$0.00";
  if (usd < 0.01) return `$${usd.toFixed(4)}`;
  return `$${usd.toFixed(2)}`;
}

export function formatCount(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return DASH;
  return new Intl.NumberFormat("en-US").format(n);
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes) || bytes < 0) return DASH;
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatConfidence(confidence: number | null | undefined): string {
  return confidence == null ? DASH : confidence.toFixed(2);
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return DASH;
  return date.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
}

/** To the second, for an audit trail where many things happen in the same minute. */
export function formatTimestamp(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return DASH;
  return date.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "medium" });
}

export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString("en-GB");
}

/** Words for enum values: "PARTIALLY_CORRECT" → "Partially correct". */
const VARIABLE_TYPES: Record<string, string> = {
  TEXT: "Text",
  NUMBER: "Number",
  DATE: "Date",
  CATEGORY: "Category",
  BOOLEAN: "Yes / no",
};

/** "1 variable", "3 variables": a count with its noun in agreement. */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${formatCount(count)} ${count === 1 ? noun : nouns}`;
}

/** A variable type as the schema editor names it ("Yes / no", not "Boolean"). */
export function variableTypeLabel(type: string): string {
  return VARIABLE_TYPES[type] ?? humanise(type);
}

export function humanise(value: string): string {
  const text = value.replace(/_/g, " ").toLowerCase();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const CONTENT_TYPES: Record<string, string> = {
  PDF: "PDF",
  DOCX: "Word",
  TXT: "Text",
  MD: "Markdown",
  HTML: "HTML",
  CSV_ROW: "CSV row",
  JSON_ROW: "JSON row",
  PARQUET_ROW: "Parquet row",
  SHEET_ROW: "Spreadsheet row",
};

export function contentTypeLabel(type: string): string {
  return CONTENT_TYPES[type] ?? humanise(type);
}

/** What tells documents apart in a list: the name, the external id and the source row (1-based). */
export function documentLabel(doc: { name: string; externalId?: string | null; rowIndex?: number | null }): string {
  const parts = [doc.name];
  if (doc.externalId && doc.externalId !== doc.name) parts.push(`id ${doc.externalId}`);
  if (doc.rowIndex != null && !doc.name.endsWith(`row ${doc.rowIndex}`)) parts.push(`row ${doc.rowIndex}`);
  return parts.join(" · ");
}

/** Whether a document matches a search box's text (name, external id or row, any case). */
export function matchesDocument(
  doc: { name: string; externalId?: string | null; rowIndex?: number | null },
  query: string,
): boolean {
  const wanted = query.trim().toLowerCase();
  return !wanted || documentLabel(doc).toLowerCase().includes(wanted);
}
