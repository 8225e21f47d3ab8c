import type { LedgerEntryView } from './billing-read.repository';

/*
 * The bank statement as CSV: RFC 4180 (comma separated, CRLF, quoted where a
 * field holds a comma, quote or line break). Text cells that a spreadsheet
 * would take for a formula (`=`, `+`, `-`, `@`, tab, CR first) get a leading
 * `'`; amounts are exact decimals written as they are (a debit is negative).
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

function textCell(value: string | null): string {
  if (value === null) return '';
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export const LEDGER_CSV_COLUMNS = ['sequence', 'at', 'kind', 'description', 'credits', 'usd', 'balance', 'id'] as const;

export function ledgerCsvHeader(): string {
  return `${LEDGER_CSV_COLUMNS.join(',')}\r\n`;
}

export function ledgerCsvLine(entry: LedgerEntryView): string {
  return `${[String(entry.sequence), entry.at, entry.kind, textCell(entry.description), entry.credits, entry.usd ?? '', entry.balance, entry.id].join(',')}\r\n`;
}
