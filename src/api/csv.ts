// CSV, the one reader and the one writer of every export (events, video tracks, the gallery's mean
// embeddings, the web app's result tables). Pure TypeScript, so the browser bundle uses the same code.
//
// Writing: RFC 4180 quoting, and text that a spreadsheet would run as a formula (a leading = + - @, tab
// or CR: CSV injection, e.g. a person named `=HYPERLINK(…)`) gets a leading apostrophe, which spreadsheets
// show as text. Only text cells are guarded: numbers are passed as numbers, so -0.5 stays a number.

export type CsvCell = string | number | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

/** A text cell a spreadsheet will show as text, never evaluate. */
export function formulaSafe(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** One cell: text guarded against formulas, then quoted when it holds a comma, quote or line break. */
export function csvCell(value: CsvCell): string {
  const s =
    value === null || value === undefined
      ? ''
      : typeof value === 'number'
        ? String(value)
        : formulaSafe(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(values: readonly CsvCell[]): string {
  return values.map(csvCell).join(',');
}

/** A whole document: header, rows, CRLF line ends (what spreadsheets expect). */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return [header, ...rows].map(csvRow).join('\r\n') + '\r\n';
}

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines; a leading BOM is dropped. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const src = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (quoted) {
      if (ch === '"' && src[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && src[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
