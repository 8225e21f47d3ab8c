/**
 * CSV for the activity export: RFC 4180 (comma separated, CRLF line ends,
 * fields with a comma, quote, CR or LF enclosed in double quotes, quotes
 * doubled) and safe to open in a spreadsheet: a cell starting with `=`, `+`,
 * `-`, `@`, a tab or a carriage return gets a leading `'` so it is never taken
 * for a formula.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: string | null | undefined): string {
  if (value === null || value === undefined) return '';
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One record, CRLF included. */
export function csvLine(values: ReadonlyArray<string | null | undefined>): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
