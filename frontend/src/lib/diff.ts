/** A line diff (longest common subsequence) between two prompt versions. */

export interface DiffLine {
  kind: "same" | "added" | "removed";
  text: string;
}

export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split("\n");
  const b = after.split("\n");
  const n = a.length;
  const m = b.length;
  // lengths[i][j] = LCS length of a[i..] and b[j..]; prompts are short, O(n·m) is fine.
  const lengths: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    const row = lengths[i]!;
    const below = lengths[i + 1]!;
    for (let j = m - 1; j >= 0; j--) {
      row[j] = a[i] === b[j] ? below[j + 1]! + 1 : Math.max(below[j]!, row[j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ kind: "same", text: a[i]! });
      i++;
      j++;
    } else if (lengths[i + 1]![j]! >= lengths[i]![j + 1]!) {
      out.push({ kind: "removed", text: a[i++]! });
    } else {
      out.push({ kind: "added", text: b[j++]! });
    }
  }
  while (i < n) out.push({ kind: "removed", text: a[i++]! });
  while (j < m) out.push({ kind: "added", text: b[j++]! });
  return out;
}

export function diffStats(lines: readonly DiffLine[]): { added: number; removed: number } {
  return {
    added: lines.filter((l) => l.kind === "added").length,
    removed: lines.filter((l) => l.kind === "removed").length,
  };
}

export type DiffRow = DiffLine | { kind: "skipped"; count: number };

/** Changed lines with `context` unchanged lines around them; longer unchanged runs fold into
 * one "skipped" row so the change is visible without scrolling through the whole prompt. */
export function foldUnchanged(lines: readonly DiffLine[], context = 2): DiffRow[] {
  const keep = lines.map((line) => line.kind !== "same");
  const near = lines.map((_, i) => {
    for (let j = Math.max(0, i - context); j <= Math.min(lines.length - 1, i + context); j++) if (keep[j]) return true;
    return false;
  });
  const rows: DiffRow[] = [];
  let skipped = 0;
  lines.forEach((line, i) => {
    if (near[i]) {
      if (skipped) rows.push({ kind: "skipped", count: skipped });
      skipped = 0;
      rows.push(line);
    } else {
      skipped++;
    }
  });
  if (skipped) rows.push({ kind: "skipped", count: skipped });
  return rows;
}

/** A refined prompt's note may be the refiner's JSON record: show its summary sentence. */
export function noteSummary(note: string | null | undefined): string | null {
  if (!note) return null;
  if (!note.trimStart().startsWith("{")) return note;
  try {
    const parsed: unknown = JSON.parse(note);
    if (parsed && typeof parsed === "object" && "summary" in parsed && typeof parsed.summary === "string") {
      return parsed.summary;
    }
  } catch {
    // not JSON after all
  }
  return null;
}
