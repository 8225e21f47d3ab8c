/**
 * Figures as the screens print them. Money arrives as exact decimal text and is only regrouped, never passed
 * through a JS number, so `$0.000077380952381` reads exactly what the API summed. Pure: shared with the tests.
 */

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `1234.5` → `$1,234.50`; `0.000077` → `$0.000077` (at least two decimals, every decimal the API gave). */
export function formatUsd(decimal: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(decimal.trim());
  if (match === null) return `$${decimal}`;
  const [, sign, whole, fraction = ''] = match;
  const decimals = fraction.replace(/0+$/, '').padEnd(2, '0');
  return `${sign}$${groupThousands(whole!)}.${decimals}`;
}

/** A count with thousands separators (`1,234,567`). */
export function formatCount(value: number): string {
  return Number.isInteger(value) ? groupThousands(String(value)) : value.toLocaleString('en-US');
}

/** Milliseconds, whole (`212 ms`); a dash for none. */
export function formatMs(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${formatCount(Math.round(value))} ms`;
}

/** A percentage to one decimal (`96.4`). */
export function formatPercent(value: number): string {
  return (Math.round(value * 10) / 10).toFixed(1);
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** Two decimal texts (money from the API) in numeric order, exactly; undefined when either is not one. */
export function compareDecimals(a: string, b: string): number | undefined {
  const x = DECIMAL.exec(a);
  const y = DECIMAL.exec(b);
  if (x === null || y === null) return undefined;
  const sign = (match: RegExpExecArray) => (match[1] === '-' && /[1-9]/.test(match[2]! + (match[3] ?? '')) ? -1 : 1);
  if (sign(x) !== sign(y)) return sign(x);
  const whole = (match: RegExpExecArray) => match[2]!.replace(/^0+(?=\d)/, '');
  const [wx, wy] = [whole(x), whole(y)];
  const width = Math.max((x[3] ?? '').length, (y[3] ?? '').length);
  const [dx, dy] = [wx + (x[3] ?? '').padEnd(width, '0'), wy + (y[3] ?? '').padEnd(width, '0')];
  const magnitude = wx.length !== wy.length ? wx.length - wy.length : dx < dy ? -1 : dx > dy ? 1 : 0;
  return sign(x) * Math.sign(magnitude);
}

/** An exact decimal (credits) regrouped, trailing zeros dropped: `-1234.500` → `-1,234.5`; `+` when `signed` and positive. */
export function formatDecimal(decimal: string, { signed = false }: { signed?: boolean } = {}): string {
  const match = DECIMAL.exec(decimal.trim());
  if (match === null) return decimal;
  const [, sign, whole, fraction = ''] = match;
  const decimals = fraction.replace(/0+$/, '');
  const zero = /^0*$/.test(whole! + fraction);
  const prefix = zero ? '' : sign === '-' ? '-' : signed ? '+' : '';
  return `${prefix}${groupThousands(whole!.replace(/^0+(?=\d)/, ''))}${decimals ? `.${decimals}` : ''}`;
}
