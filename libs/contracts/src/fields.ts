import { z } from 'zod';

/*
 * The one validation vocabulary of Steward: every string, instant, client-supplied
 * id, number and JSON value that crosses an edge (an HTTP route, a NATS command,
 * an event) is one of these, so the edge refuses what the event store (PostgreSQL
 * text and jsonb) or a read model would refuse later. The README's "Validation
 * vocabulary" section lists the rules.
 */

// ---------------------------------------------------------------- strings

/** String.prototype.isWellFormed (ES2024, in every Node Steward runs on), not yet in the compiler's lib. */
interface WellFormedString {
  isWellFormed(): boolean;
}

/**
 * Why a string cannot be stored as it is, or undefined when it can. PostgreSQL
 * text and jsonb refuse U+0000, and a lone UTF-16 surrogate is not Unicode (jsonb
 * operators fail on it).
 */
export function textProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain the NUL character (U+0000)';
  if (!(value as unknown as WellFormedString).isWellFormed()) return 'must be valid Unicode (a lone UTF-16 surrogate is not)';
  return undefined;
}

/** True when `value` is storable text (see textProblem). */
export function isStorableText(value: string): boolean {
  return textProblem(value) === undefined;
}

// C0 controls (NUL has its own message) and DEL: a name is one line of printable text.
// eslint-disable-next-line no-control-regex -- the control characters are what this refuses
const CONTROL = /[\u0001-\u001f\u007f]/;

export interface TextOptions {
  /** Shortest length after trimming (UTF-16 code units). Default 0. */
  readonly min?: number;
  /** Longest length (UTF-16 code units). */
  readonly max: number;
  /** Surrounding whitespace is removed before the lengths are checked. Default false. */
  readonly trim?: boolean;
  /** Control characters (U+0000–U+001F, U+007F) are refused: a name, not a text. Default false. */
  readonly singleLine?: boolean;
}

/** A storable string (no NUL, no lone surrogate), bounded: the base of every string field. */
export function text(options: TextOptions): z.ZodString {
  let schema = z.string();
  if (options.trim) schema = schema.trim();
  if ((options.min ?? 0) > 0) schema = schema.min(options.min as number);
  schema = schema.max(options.max);
  schema = schema.refine((value) => isStorableText(value), { error: (issue) => textProblem(issue.input as string) ?? 'invalid text' });
  if (options.singleLine) schema = schema.refine((value) => !CONTROL.test(value), 'must not contain control characters');
  return schema;
}

/** A name (an agent, a model, a person, a workspace): one line, trimmed, 1..max. */
export function nameText(max = 200): z.ZodString {
  return text({ min: 1, max, trim: true, singleLine: true });
}

/** Free text (a message, a summary, a step's content): any storable characters, newlines included, up to max. */
export function freeText(max: number): z.ZodString {
  return text({ max });
}

/**
 * A name or id as an event carries it: storable text, trimmed, 1..max. An event
 * stays readable as it was published, so events take any storable text the edge
 * took before this vocabulary (a step id with a space, an agent name with a tab);
 * new values pass the stricter edge schemas (`nameText`, `clientId`) first.
 */
export function storedText(max: number): z.ZodString {
  return text({ min: 1, max, trim: true });
}

/** A search term of a list route (`?search=`, `?q=`): one line, trimmed, up to 200. */
export const SearchTermSchema = text({ max: 200, trim: true, singleLine: true });

// ---------------------------------------------------------------- instants

/** The earliest instant Steward takes. */
export const MIN_INSTANT = '1970-01-01T00:00:00.000Z';
/**
 * The latest instant Steward takes: a day before the end of year 9999, so that
 * the instant in any time zone (±14 h) and a bucket's end still have four-digit
 * years, which PostgreSQL, JavaScript's Date and ISO 8601 text all hold.
 */
export const MAX_INSTANT = '9999-12-30T23:59:59.999Z';
export const MIN_INSTANT_MS = Date.parse(MIN_INSTANT);
export const MAX_INSTANT_MS = Date.parse(MAX_INSTANT);

/** True for a time (epoch milliseconds) inside [MIN_INSTANT, MAX_INSTANT]. */
export function isStorableInstant(epochMs: number): boolean {
  return Number.isFinite(epochMs) && epochMs >= MIN_INSTANT_MS && epochMs <= MAX_INSTANT_MS;
}

const INSTANT_RANGE = `between ${MIN_INSTANT} and ${MAX_INSTANT}`;

/** An ISO 8601 date-time with an offset (`2026-03-01T12:00:00Z`, `…+02:00`), inside the storable range. */
export const InstantSchema = z.iso
  .datetime({ offset: true })
  // text that is not a date-time at all is already refused by the format: one issue, not two
  .refine((value) => Number.isNaN(Date.parse(value)) || isStorableInstant(Date.parse(value)), `must be ${INSTANT_RANGE}`);

/** A calendar month `YYYY-MM` whose first and last instants are storable. */
export const MonthSchema = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM')
  .refine((value) => {
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(value)) return true; // the regex has said so
    const start = Date.parse(`${value}-01T00:00:00Z`);
    const [year, month] = value.split('-').map(Number) as [number, number];
    return isStorableInstant(start) && isStorableInstant(Date.UTC(year, month, 1) - 1);
  }, `a month ${INSTANT_RANGE}`);

// ---------------------------------------------------------------- client-supplied ids

/**
 * Ids a client chooses (job ids, step ids, usage event ids): 1 to 200 of letters,
 * digits, `_`, `-`, `.` and `:`, starting with a letter, a digit, `_` or `-`. No
 * `/`, no whitespace, and never `.` or `..`: an id is always one safe path segment.
 */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.:-]*$/;
export const CLIENT_ID_MAX = 200;
export const CLIENT_ID_RULE = 'letters, digits, "_", "-", "." and ":", not starting with "." (so never "." or "..")';

export function isClientId(value: string): boolean {
  return value.length >= 1 && value.length <= CLIENT_ID_MAX && CLIENT_ID_PATTERN.test(value);
}

/** A client-supplied id (see CLIENT_ID_PATTERN). Checked by refinement, so the OpenAPI document stays plain. */
export function clientId(max: number = CLIENT_ID_MAX): z.ZodString {
  return z
    .string()
    .min(1)
    .max(max)
    .refine((value) => CLIENT_ID_PATTERN.test(value), `ids use ${CLIENT_ID_RULE}`);
}

export const ClientIdSchema = clientId();

// ---------------------------------------------------------------- numbers

/**
 * Tokens of one call, per kind: a billion, hundreds of times the largest context window, so a rollup cell (bigint)
 * cannot overflow at any ingest rate.
 */
export const MAX_TOKENS = 1e9;
/** A whole number of tokens, 0..MAX_TOKENS. */
export const TokenCountSchema = z.number().int().min(0).max(MAX_TOKENS);
/** The longest latency (a day) and duration (30 days) Steward takes, in milliseconds. */
export const MAX_LATENCY_MS = 86_400_000;
export const MAX_DURATION_MS = 30 * 86_400_000;
export const LatencyMsSchema = z.number().int().min(0).max(MAX_LATENCY_MS);
export const DurationMsSchema = z.number().int().min(0).max(MAX_DURATION_MS);

/** The highest price per token Steward takes, in USD (about a million times the dearest model today). */
export const MAX_PRICE_PER_TOKEN = 1000;
/** The most decimal places of a price per token (a price per 1M tokens has six fewer). */
export const MAX_PRICE_SCALE = 24;

const NON_NEGATIVE_DECIMAL = /^(0|[1-9]\d*)(\.\d+)?$/;

/** Why a price (exact decimal text, per token unless `unit` says otherwise) is refused, or undefined. */
export function priceProblem(value: string, max: number = MAX_PRICE_PER_TOKEN, scale: number = MAX_PRICE_SCALE, unit = 'USD per token'): string | undefined {
  if (!NON_NEGATIVE_DECIMAL.test(value)) return 'a non-negative exact decimal as text, e.g. "0.0000025"';
  const [whole = '', fraction = ''] = value.split('.');
  if (fraction.length > scale) return `at most ${scale} decimal places`;
  const bound = String(max);
  if (whole.length > bound.length || (whole.length === bound.length && whole > bound) || (whole === bound && /[1-9]/.test(fraction))) {
    return `at most ${max} ${unit}`;
  }
  return undefined;
}

/** A price in USD per token: exact decimal text, 0..MAX_PRICE_PER_TOKEN, at most MAX_PRICE_SCALE decimals. */
export function priceText(max: number = MAX_PRICE_PER_TOKEN, scale: number = MAX_PRICE_SCALE, unit = 'USD per token'): z.ZodString {
  return z
    .string()
    .min(1)
    .max(60)
    .refine((value) => priceProblem(value, max, scale, unit) === undefined, { error: (issue) => priceProblem(issue.input as string, max, scale, unit) ?? 'invalid price' });
}

// ---------------------------------------------------------------- JSON values

/** The deepest nesting of a JSON value a field takes (objects and arrays). */
export const MAX_JSON_DEPTH = 32;
/** The most values in one JSON field: every object, array and scalar (keys are not counted; the body limit bounds them). */
export const MAX_JSON_NODES = 100_000;
/** The deepest nesting of a whole request body, checked before anything else parses it. */
export const MAX_BODY_DEPTH = 64;

export interface JsonProblem {
  /** Where in the value, as path segments (`['a', 3]`). */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export interface JsonLimits {
  readonly maxDepth: number;
  readonly maxNodes: number;
  /** Check strings and keys are storable (textProblem). Default true. */
  readonly text?: boolean;
}

/**
 * The first problem of a JSON value — too deep, too many values, a string or key
 * that cannot be stored, a number that is not finite, something that is not JSON —
 * found iteratively (an explicit stack), so a value nested 100,000 deep costs a
 * loop, never the call stack. Undefined when the value is fine.
 */
export function jsonProblem(value: unknown, limits: JsonLimits): JsonProblem | undefined {
  const checkText = limits.text ?? true;
  let nodes = 0;
  /** A scalar's problem (containers are pushed and looked at when popped); counts it. */
  const scalar = (item: unknown): string | undefined => {
    nodes++;
    if (item === null || typeof item === 'boolean') return undefined;
    if (typeof item === 'string') return checkText ? textProblem(item) : undefined;
    if (typeof item === 'number') return Number.isFinite(item) ? undefined : 'must be a finite number';
    return 'must be JSON';
  };
  const isContainer = (item: unknown): item is object => typeof item === 'object' && item !== null;
  if (!isContainer(value)) {
    const problem = scalar(value);
    return problem ? { path: [], message: problem } : undefined;
  }
  // only containers go on the stack, each knowing its parent and key: the path is built for the one problem reported
  const stack: JsonNode[] = [{ value, depth: 0, parent: undefined, key: undefined }];
  while (stack.length > 0) {
    const node = stack.pop() as JsonNode;
    if (++nodes > limits.maxNodes) return { path: [], message: `at most ${limits.maxNodes} values` };
    if (node.depth >= limits.maxDepth) return { path: pathOf(node), message: `nested at most ${limits.maxDepth} deep` };
    const current = node.value as Record<string, unknown> | unknown[];
    if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index--) {
        const item: unknown = current[index];
        if (isContainer(item)) stack.push({ value: item, depth: node.depth + 1, parent: node, key: index });
        else {
          const problem = scalar(item);
          if (problem) return { path: [...pathOf(node), index], message: problem };
        }
      }
    } else {
      for (const key of Object.keys(current)) {
        const keyProblem = checkText ? textProblem(key) : undefined;
        if (keyProblem) return { path: [...pathOf(node), key], message: `a key ${keyProblem}` };
        const item = current[key];
        if (isContainer(item)) stack.push({ value: item, depth: node.depth + 1, parent: node, key });
        else {
          const problem = scalar(item);
          if (problem) return { path: [...pathOf(node), key], message: problem };
        }
      }
    }
    if (nodes > limits.maxNodes) return { path: [], message: `at most ${limits.maxNodes} values` };
  }
  return undefined;
}

interface JsonNode {
  readonly value: unknown;
  readonly depth: number;
  readonly parent: JsonNode | undefined;
  readonly key: string | number | undefined;
}

function pathOf(node: JsonNode): Array<string | number> {
  const path: Array<string | number> = [];
  for (let at: JsonNode | undefined = node; at?.key !== undefined; at = at.parent) path.push(at.key);
  return path.reverse();
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Any JSON value (a tool's parameters or result), at most MAX_JSON_DEPTH deep and
 * MAX_JSON_NODES values, every string storable: checked by jsonProblem, never by
 * recursing schemas, so a hostile depth cannot overflow the stack.
 */
export function jsonValue(limits: JsonLimits = { maxDepth: MAX_JSON_DEPTH, maxNodes: MAX_JSON_NODES }): z.ZodType<unknown> {
  return z
    .custom<unknown>((value) => value !== undefined)
    .superRefine((value, context) => {
      const problem = jsonProblem(value, limits);
      if (problem) context.addIssue({ code: 'custom', path: [...problem.path], message: problem.message });
    })
    .meta({ description: `any JSON value, nested at most ${limits.maxDepth} deep` });
}

export const JsonValueSchema = jsonValue();
