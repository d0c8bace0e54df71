/** RFC 4180 CSV, with spreadsheet formula injection neutralised (cells from kube-bench output are untrusted). */

/** A formula start (= + - @) right after a separator a spreadsheet may split a cell at, or a line break. */
const FORMULA_AFTER_SEPARATOR = /([,;\t|\r\n]\s*)([=+\-@])/g;

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  // A cell starting with = + - @ (or a tab/CR) is run as a formula by spreadsheet programs; so is
  // the part after a separator when an import splits the cell there (`a;=1+1` with ";" as separator).
  if (/^(\s*[=+\-@]|[\t\r])/.test(s)) s = `'${s}`;
  s = s.replace(FORMULA_AFTER_SEPARATOR, "$1'$2");
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV record, without its line break. */
export function csvLine(row: readonly unknown[]): string {
  return row.map(cell).join(',');
}

export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [csvLine(header), ...rows.map(csvLine)].join('\r\n') + '\r\n';
}
