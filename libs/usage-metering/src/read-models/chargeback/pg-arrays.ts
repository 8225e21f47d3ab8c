/**
 * PostgreSQL array literals written in one pass, each sent as one text
 * parameter and cast in SQL (`$1::bigint[]`): a batch's columns cost one
 * string each instead of pg's per-element escaping of JS arrays.
 */

/** A text[] literal: every element quoted (`""`, `NULL`, commas and braces stay text), null as NULL. */
export function textArray(values: readonly (string | null)[]): string {
  let out = '{';
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (index > 0) out += ',';
    if (value === null || value === undefined) out += 'NULL';
    else out += /["\\]/.test(value) ? `"${value.replace(/[\\"]/g, '\\$&')}"` : `"${value}"`;
  }
  return `${out}}`;
}

/** A literal of numbers or booleans (nothing to quote); null as NULL. */
export function plainArray(values: readonly (number | boolean | null)[]): string {
  let out = '{';
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if (index > 0) out += ',';
    out += value === null || value === undefined ? 'NULL' : String(value);
  }
  return `${out}}`;
}
