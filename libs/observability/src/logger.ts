import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type Bindings, type ChildLoggerOptions, type DestinationStream, type Level, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export const REDACTED = '[REDACTED]';

/**
 * Keys whose values are never logged, whatever their depth. Matched on the key
 * lower-cased with `-` and `_` removed, so `api_key`, `apiKey` and `X-Api-Key`
 * all count.
 */
const SECRET_KEYS = new Set([
  'password',
  'passwd',
  'secret',
  'token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'sessiontoken',
  'apikey',
  'xapikey',
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'privatekey',
  'clientsecret',
  'credentials',
  'credential',
  'masterkey',
  'accesskey',
  'secretaccesskey',
  'encryptionkey',
]);
/** Suffixes that make any key secret (`dbPassword`, `webhookSecret`, `ownerToken`, `openaiApiKey`). */
const SECRET_SUFFIXES = ['password', 'secret', 'token', 'apikey', 'privatekey', 'accesskey', 'masterkey', 'credentials'];

/** Secret-looking substrings of any string that is logged, with what replaces them. */
const SECRET_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  // `Authorization: Bearer <token>`, `Basic <credentials>`
  [/\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/gi, `$1 ${REDACTED}`],
  // provider keys: sk-…, sk-proj-…, sk-ant-…
  [/\bsk-[A-Za-z0-9_-]{8,}/g, REDACTED],
  // Steward API keys and tokens: stw_…
  [/\bstw_[A-Za-z0-9_-]{8,}/g, REDACTED],
  // JSON web tokens
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // credentials in URLs: scheme://user:password@host
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, `$1${REDACTED}@`],
];

/** Replaces bearer tokens, `sk-…` / `stw_…` keys, JWTs and URL passwords in a string. */
export function scrubSecrets(text: string): string {
  let result = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) result = result.replace(pattern, replacement);
  return result;
}

export function isSecretKey(key: string): boolean {
  const normalized = key.toLowerCase().replace(/[-_]/g, '');
  return SECRET_KEYS.has(normalized) || SECRET_SUFFIXES.some((suffix) => normalized.endsWith(suffix));
}

const MAX_SCRUB_DEPTH = 10;

/**
 * A copy of `value` with secret keys censored at any depth and secret-looking
 * substrings scrubbed from every string. Errors become pino's serialized form.
 */
export function scrubValue(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_SCRUB_DEPTH || seen.has(value)) return value;
  if (value instanceof Error) return scrubValue(pino.stdSerializers.err(value), depth, seen);
  if (value instanceof Date || Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth + 1, seen));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = isSecretKey(key) && item !== null && item !== undefined ? REDACTED : scrubValue(item, depth + 1, seen);
  }
  return copy;
}

export interface LoggerConfig {
  /** The service (or component) name, put on every line as `service`. */
  readonly name: string;
  /** Defaults to LOG_LEVEL, else `info`. */
  readonly level?: Level | 'silent';
  /** Where lines go; defaults to stdout. */
  readonly destination?: DestinationStream;
}

/**
 * A pino logger writing one JSON object per line: ISO time, level label,
 * `service`, the active span's `trace_id` / `span_id`, and no secrets (keys
 * like password / token / apiKey / authorization censored at any depth, bearer
 * tokens and API keys scrubbed out of every string, the message included).
 */
export function createLogger(config: LoggerConfig): Logger {
  const level = config.level ?? (process.env.LOG_LEVEL as Level | undefined) ?? 'info';
  const options: LoggerOptions = {
    level,
    base: { service: config.name, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: (error: Error) => scrubValue(pino.stdSerializers.err(error)) },
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (bindings) => scrubValue(bindings) as Record<string, unknown>,
      log: (object) => {
        const scrubbed: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(object)) {
          // a top-level error is left to the err serializer, which scrubs it
          scrubbed[key] =
            key === 'err' && value instanceof Error
              ? value
              : isSecretKey(key) && value !== null && value !== undefined
                ? REDACTED
                : scrubValue(value, 1);
        }
        return scrubbed;
      },
    },
    mixin: () => {
      const spanContext = trace.getActiveSpan()?.spanContext();
      if (!spanContext || !isSpanContextValid(spanContext)) return {};
      return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
    },
    hooks: {
      logMethod(args, method) {
        const [first, ...rest] = args as unknown[];
        // logger.error(err) without a message: pino would log err.message unscrubbed
        if (first instanceof Error && rest.length === 0) {
          return method.apply(this, [{ err: first }, scrubSecrets(first.message)] as never);
        }
        // the merge object (first, when not a string) goes through formatters.log; the message and its
        // interpolation arguments are scrubbed here
        const scrubbed = (args as unknown[]).map((arg, index) =>
          typeof arg === 'string' ? scrubSecrets(arg) : index === 0 ? arg : scrubValue(arg),
        );
        return method.apply(this, scrubbed as never);
      },
    },
  };
  const logger = config.destination ? pino(options, config.destination) : pino(options);
  // pino does not pass a child's bindings through formatters.bindings: scrub them here. Children
  // inherit this property from the root logger through their prototype, so grandchildren are covered.
  const pinoChild = logger.child;
  logger.child = function child(this: Logger, bindings: Bindings, childOptions?: ChildLoggerOptions) {
    return Reflect.apply(pinoChild, this, [scrubValue(bindings), childOptions]) as Logger;
  } as unknown as Logger['child'];
  return logger;
}
