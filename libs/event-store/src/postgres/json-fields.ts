/**
 * Up to three top-level fields of a JSON object text, read without parsing the rest into objects: the
 * client-side fold (sumAll) reads a group, a sum and maybe a span field of every usage event, and building
 * each whole document (JSON.parse) was most of its cost. The text is valid JSON (the json column checked it
 * on the way in), so the scanner only finds its way: strings are jumped over, nested values skipped by depth.
 * The fields come back as `sumFields` gives them after JSON.parse: a string's value, other values as
 * String() / JSON text, undefined for a missing field or null (and for a name not asked: `third` undefined);
 * a document that is no object has none. The last of duplicate keys wins, as in JSON.parse.
 */
export function scanFields(text: string, first: string, second: string, third?: string): [string | undefined, string | undefined, string | undefined] {
  const length = text.length;
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return [undefined, undefined, undefined];
  let a: string | undefined;
  let b: string | undefined;
  let c: string | undefined;
  // no escape anywhere (nearly always): keys are compared in place, and once every asked field is found the
  // rest is left unread unless it holds one of their names again (a later duplicate wins) or an escape
  const plain = text.indexOf('\\') === -1;
  let seenFirst = false;
  let seenSecond = false;
  let seenThird = third === undefined;
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === CLOSE_BRACE) return [undefined, undefined, undefined];
  while (i < length) {
    // a key
    const keyEnd = stringEnd(text, i);
    let isFirst: boolean;
    let isSecond: boolean;
    let isThird: boolean;
    if (plain) {
      isFirst = sameKey(text, i, keyEnd, first);
      isSecond = sameKey(text, i, keyEnd, second);
      isThird = third !== undefined && sameKey(text, i, keyEnd, third);
    } else {
      let key = text.slice(i + 1, keyEnd);
      if (key.includes('\\')) key = JSON.parse(text.slice(i, keyEnd + 1)) as string;
      isFirst = key === first;
      isSecond = key === second;
      isThird = third !== undefined && key === third;
    }
    i = skipSpace(text, keyEnd + 1) + 1; // past ':'
    i = skipSpace(text, i);
    const valueEnd = valueEndAt(text, i);
    if (isFirst) {
      a = valueText(text, i, valueEnd);
      seenFirst = true;
    }
    if (isSecond) {
      b = valueText(text, i, valueEnd);
      seenSecond = true;
    }
    if (isThird) {
      c = valueText(text, i, valueEnd);
      seenThird = true;
    }
    i = skipSpace(text, valueEnd);
    if (text.charCodeAt(i) !== COMMA) break;
    if (plain && seenFirst && seenSecond && seenThird && !mentions(text, i, first) && !mentions(text, i, second) && (third === undefined || !mentions(text, i, third))) break;
    i = skipSpace(text, i + 1);
  }
  return [a, b, c];
}

/** Whether the key whose opening quote is at `quote` (closing at `end`, no escape in it) is `name`. */
function sameKey(text: string, quote: number, end: number, name: string): boolean {
  return end - quote - 1 === name.length && text.startsWith(name, quote + 1);
}

/** Whether `"name"` occurs in the text after `from` (a key of that name could follow). */
function mentions(text: string, from: number, name: string): boolean {
  let at = text.indexOf(name, from);
  while (at !== -1) {
    if (text.charCodeAt(at - 1) === QUOTE && text.charCodeAt(at + name.length) === QUOTE) return true;
    at = text.indexOf(name, at + 1);
  }
  return false;
}

const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;

function skipSpace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return i;
    i++;
  }
}

/** The index of the closing quote of the string opening at `i`. */
function stringEnd(text: string, i: number): number {
  let end = text.indexOf('"', i + 1);
  for (;;) {
    let slashes = 0;
    while (text.charCodeAt(end - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

/** The index just past the value starting at `i`. */
function valueEndAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return stringEnd(text, i) + 1;
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text.charCodeAt(j);
      if (d === QUOTE) j = stringEnd(text, j);
      else if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return text.length;
  }
  // a number, true, false or null: up to the next delimiter
  let j = i;
  for (;;) {
    const d = text.charCodeAt(j);
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || d === 32 || d === 10 || d === 13 || d === 9 || j >= text.length) return j;
    j++;
  }
}

function valueText(text: string, start: number, end: number): string | undefined {
  const c = text.charCodeAt(start);
  if (c === QUOTE) {
    const raw = text.slice(start + 1, end - 1);
    return raw.includes('\\') ? (JSON.parse(text.slice(start, end)) as string) : raw;
  }
  const value: unknown = JSON.parse(text.slice(start, end));
  if (value === null) return undefined;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** The fields a reader asked for, by length: a key is compared in place with the few of its length. */
interface FieldMatcher {
  readonly byLength: ReadonlyMap<number, readonly string[]>;
  readonly count: number;
}

const matchers = new WeakMap<readonly string[], FieldMatcher>();

function matcherFor(fields: readonly string[]): FieldMatcher {
  let matcher = matchers.get(fields);
  if (!matcher) {
    const byLength = new Map<number, string[]>();
    const unique = [...new Set(fields)];
    for (const field of unique) byLength.set(field.length, [...(byLength.get(field.length) ?? []), field]);
    matcher = { byLength, count: unique.length };
    matchers.set(fields, matcher);
  }
  return matcher;
}

/**
 * The top-level fields `fields` of a JSON document text, as `pickDataFields(JSON.parse(text), fields)` gives
 * them (an object holding those the document has, null values included; `{}` when it is no object), without
 * building the rest: a string value is cut out of the text, any other parsed alone. As scanFields, it trusts
 * the text to be valid JSON (the json column checked it), and the last of duplicate keys wins.
 */
export function pickFields(text: string, fields: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  const length = text.length;
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return picked;
  const { byLength, count } = matcherFor(fields);
  const plain = text.indexOf('\\') === -1;
  let seen = 0;
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === CLOSE_BRACE) return picked;
  while (i < length) {
    const keyEnd = stringEnd(text, i);
    let field: string | undefined;
    if (plain) {
      const candidates = byLength.get(keyEnd - i - 1);
      if (candidates) for (const candidate of candidates) if (text.startsWith(candidate, i + 1)) field = candidate;
    } else {
      let key = text.slice(i + 1, keyEnd);
      if (key.includes('\\')) key = JSON.parse(text.slice(i, keyEnd + 1)) as string;
      if (byLength.get(key.length)?.includes(key)) field = key;
    }
    i = skipSpace(text, keyEnd + 1) + 1; // past ':'
    i = skipSpace(text, i);
    const valueEnd = valueEndAt(text, i);
    if (field !== undefined) {
      if (!Object.hasOwn(picked, field)) seen++;
      picked[field] = valueAt(text, i, valueEnd);
    }
    i = skipSpace(text, valueEnd);
    if (text.charCodeAt(i) !== COMMA) break;
    if (plain && seen === count && fields.every((name) => !mentions(text, i, name))) break;
    i = skipSpace(text, i + 1);
  }
  return picked;
}

/** The value in text[start, end): a string without escapes cut out, anything else parsed. */
function valueAt(text: string, start: number, end: number): unknown {
  if (text.charCodeAt(start) === QUOTE) {
    const raw = text.slice(start + 1, end - 1);
    if (!raw.includes('\\')) return raw;
  }
  return JSON.parse(text.slice(start, end)) as unknown;
}
