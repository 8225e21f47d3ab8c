/**
 * Top-level fields of a JSON object text, read without parsing the rest into objects: the client-side fold
 * (sumAll) reads a group, a sum and maybe a span field of every usage event, a narrow reader (`dataFields`,
 * `metadataFields`) a few fields of each event, and building each whole document (JSON.parse) was most of
 * their cost. The text is valid JSON (the json column checked it on the way in), so the walk only finds its
 * way: strings are jumped over, nested values skipped by depth. The last of duplicate keys wins, as in
 * JSON.parse.
 */

/** The names a reader asks for, by length: a key is compared in place with the few of its length. */
interface FieldMatcher {
  readonly byLength: ReadonlyMap<number, readonly string[]>;
  readonly names: readonly string[];
}

function matcherOf(names: readonly string[]): FieldMatcher {
  const unique = [...new Set(names)];
  const byLength = new Map<number, string[]>();
  for (const name of unique) byLength.set(name.length, [...(byLength.get(name.length) ?? []), name]);
  return { byLength, names: unique };
}

const listMatchers = new WeakMap<readonly string[], FieldMatcher>();
const nameMatchers = new Map<string, FieldMatcher>();

/**
 * Calls `take(name, start, end)` for every top-level key of the text that the matcher names, its value in
 * text[start, end), in document order (so a later duplicate is taken last). Without an escape anywhere
 * (nearly always) keys are compared in place, and once every name was seen the rest is left unread unless
 * it holds one of them again.
 */
function walkFields(text: string, matcher: FieldMatcher, take: (name: string, start: number, end: number) => void): void {
  const length = text.length;
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return;
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === CLOSE_BRACE) return;
  const plain = text.indexOf('\\') === -1;
  const seen = new Set<string>();
  while (i < length) {
    const keyEnd = stringEnd(text, i);
    let name: string | undefined;
    if (plain) {
      const candidates = matcher.byLength.get(keyEnd - i - 1);
      if (candidates) for (const candidate of candidates) if (text.startsWith(candidate, i + 1)) name = candidate;
    } else {
      let key = text.slice(i + 1, keyEnd);
      if (key.includes('\\')) key = JSON.parse(text.slice(i, keyEnd + 1)) as string;
      if (matcher.byLength.get(key.length)?.includes(key)) name = key;
    }
    i = skipSpace(text, keyEnd + 1) + 1; // past ':'
    i = skipSpace(text, i);
    const valueEnd = valueEndAt(text, i);
    if (name !== undefined) {
      take(name, i, valueEnd);
      seen.add(name);
    }
    i = skipSpace(text, valueEnd);
    if (text.charCodeAt(i) !== COMMA) return;
    if (plain && seen.size === matcher.names.length && matcher.names.every((asked) => !mentions(text, i, asked))) return;
    i = skipSpace(text, i + 1);
  }
}

/**
 * Up to three top-level fields of a JSON object text, as `sumFields` gives them after JSON.parse: a string's
 * value, other values as String() / JSON text, undefined for a missing field or null (and for a name not
 * asked: `third` undefined); a document that is no object has none.
 */
export function scanFields(text: string, first: string, second: string, third?: string): [string | undefined, string | undefined, string | undefined] {
  const names = third === undefined ? `${first}\u0000${second}` : `${first}\u0000${second}\u0000${third}`;
  let matcher = nameMatchers.get(names);
  if (!matcher) {
    // a reader's names are few and fixed; a caller inventing names per call would only rebuild matchers
    if (nameMatchers.size >= 64) nameMatchers.clear();
    nameMatchers.set(names, (matcher = matcherOf(third === undefined ? [first, second] : [first, second, third])));
  }
  const found: [string | undefined, string | undefined, string | undefined] = [undefined, undefined, undefined];
  walkFields(text, matcher, (name, start, end) => {
    const value = valueText(text, start, end);
    if (name === first) found[0] = value;
    if (name === second) found[1] = value;
    if (name === third) found[2] = value;
  });
  return found;
}

/**
 * The top-level fields `fields` of a JSON document text, as `pickDataFields(JSON.parse(text), fields)` gives
 * them (an object holding those the document has, null values included; `{}` when it is no object), without
 * building the rest: a string value is cut out of the text, any other parsed alone.
 */
export function pickFields(text: string, fields: readonly string[]): Record<string, unknown> {
  let matcher = listMatchers.get(fields);
  if (!matcher) listMatchers.set(fields, (matcher = matcherOf(fields)));
  const picked: Record<string, unknown> = {};
  walkFields(text, matcher, (name, start, end) => {
    picked[name] = valueAt(text, start, end);
  });
  return picked;
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

/** The value in text[start, end): a string without escapes cut out, anything else parsed. */
function valueAt(text: string, start: number, end: number): unknown {
  if (text.charCodeAt(start) === QUOTE) {
    const raw = text.slice(start + 1, end - 1);
    if (!raw.includes('\\')) return raw;
  }
  return JSON.parse(text.slice(start, end)) as unknown;
}
