/** First guesses for the columns of an uploaded table: the text to code, the row's own id,
 * its title. The researcher confirms or changes them in the column picker. */

const TEXT = /^(text|body|content|abstract|answer|response|comment|description|full_?text)$|text|body|content|abstract/i;
const ID = /^(id|uid|key|identifier|record|respondent|case|row_?id|doc(ument)?_?id|[a-z]+_id)$/i;
const TITLE = /^(title|name|headline|subject|heading)$/i;

export interface ColumnGuess {
  textColumn: string;
  idColumn: string;
  titleColumn: string;
}

export function guessColumns(columns: readonly string[]): ColumnGuess {
  const find = (pattern: RegExp, taken: string[] = []) => columns.find((c) => pattern.test(c.trim()) && !taken.includes(c)) ?? "";
  const textColumn = find(TEXT) || columns[0] || "";
  const idColumn = find(ID, [textColumn]);
  const titleColumn = find(TITLE, [textColumn, idColumn]);
  return { textColumn, idColumn, titleColumn };
}
