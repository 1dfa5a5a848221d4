// CSV export of result tables, written in the browser so that what is downloaded is what is shown.

export { toCsv } from '../../../src/api/csv';

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
