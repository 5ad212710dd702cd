/** Results (one row per extraction) pivoted to the wide table: one row per unit, one column
 * per variable. */

export interface ExtractionLike {
  documentId: string;
  entityIndex: number;
  entityKey?: string | null;
  variableId: string;
}

export interface WideRow<T extends ExtractionLike> {
  /** documentId:entityIndex — unique per unit of observation. */
  key: string;
  documentId: string;
  entityIndex: number;
  entityKey: string | null;
  cells: Record<string, T>;
}

export function unitKey(documentId: string, entityIndex: number): string {
  return `${documentId}:${entityIndex}`;
}

/** Rows in `documentOrder` (unknown documents last, in first-seen order), then entity index. */
export function pivotWide<T extends ExtractionLike>(
  extractions: readonly T[],
  documentOrder: readonly string[] = [],
): WideRow<T>[] {
  const rows = new Map<string, WideRow<T>>();
  const firstSeen = new Map<string, number>();
  for (const extraction of extractions) {
    const key = unitKey(extraction.documentId, extraction.entityIndex);
    if (!firstSeen.has(extraction.documentId)) firstSeen.set(extraction.documentId, firstSeen.size);
    let row = rows.get(key);
    if (!row) {
      row = {
        key,
        documentId: extraction.documentId,
        entityIndex: extraction.entityIndex,
        entityKey: extraction.entityKey ?? null,
        cells: {},
      };
      rows.set(key, row);
    }
    row.entityKey ??= extraction.entityKey ?? null;
    row.cells[extraction.variableId] = extraction;
  }
  const position = new Map(documentOrder.map((id, i) => [id, i]));
  const rank = (id: string) =>
    position.get(id) ?? documentOrder.length + (firstSeen.get(id) ?? Number.MAX_SAFE_INTEGER);
  return [...rows.values()].sort(
    (a, b) => rank(a.documentId) - rank(b.documentId) || a.entityIndex - b.entityIndex,
  );
}

/** The review order of a wide table: row by row, each row's variables in column order. */
export function reviewOrder<T extends ExtractionLike & { id: string }>(
  rows: readonly WideRow<T>[],
  variableIds: readonly string[],
): string[] {
  return rows.flatMap((row) => variableIds.map((v) => row.cells[v]?.id).filter((id): id is string => Boolean(id)));
}

/** The id `step` places away from `current` in `queue` (null at either end). */
export function stepIn(queue: readonly string[], current: string | null, step: number): string | null {
  const at = current == null ? -1 : queue.indexOf(current);
  if (at < 0) return null;
  return queue[at + step] ?? null;
}
