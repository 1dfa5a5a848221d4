// CSV export of result tables, written in the browser so that what is downloaded is what is shown.

function cell(value: string | number | null | undefined): string {
  const s = value === null || value === undefined ? '' : String(value);
  // Quote when needed; a leading =, +, - or @ would be run as a formula by spreadsheets.
  const safe = /^[=+\-@]/.test(s) && typeof value === 'string' ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(header: string[], rows: (string | number | null | undefined)[][]): string {
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

export function downloadText(filename: string, text: string, type = 'text/csv;charset=utf-8'): void {
  // The BOM lets spreadsheet programs read UTF-8 names (Chinese) correctly.
  const url = URL.createObjectURL(new Blob(['\ufeff', text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
