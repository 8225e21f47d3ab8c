import { ProjectionError } from '../projection.error';

/**
 * SQLSTATE classes and codes that say the database, not the event, is at fault:
 * 08 connection exception, 40 transaction rollback (serialization failure,
 * deadlock), 53 insufficient resources, 57 operator intervention (statement
 * timeout, shutdown), 58 system error, XX internal error; 55P03 lock timeout,
 * 25006 a read-only transaction (a failover in progress).
 */
const TRANSIENT_CLASSES = new Set(['08', '40', '53', '57', '58', 'XX']);
const TRANSIENT_CODES = new Set(['55P03', '25006']);
/** Socket errors of Node and the pg driver's own words for a connection it lost or could not make. */
const TRANSIENT_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
const TRANSIENT_MESSAGES = [/^Connection terminated/, /is not queryable/, /timeout exceeded when trying to connect/, /^Client was closed/];

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True when retrying later may succeed: the failure came from the database or the network, not from the event. */
export function isTransientFailure(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    const code = codeOf(current);
    if (code && /^[0-9A-Z]{5}$/.test(code) && (TRANSIENT_CLASSES.has(code.slice(0, 2)) || TRANSIENT_CODES.has(code))) return true;
    if (code && TRANSIENT_ERRNOS.has(code)) return true;
    const message = current instanceof Error ? current.message : '';
    if (TRANSIENT_MESSAGES.some((pattern) => pattern.test(message))) return true;
  }
  return false;
}

/**
 * True when an error may come from the events being applied, so the batch is worth taking apart:
 * neither transient nor the runtime's own (a lost leadership, a fenced checkpoint).
 */
export function mayBePoison(error: unknown): boolean {
  return !(error instanceof ProjectionError) && !isTransientFailure(error);
}

/** The SQLSTATE of a database refusal, else the error's class name. */
export function errorCodeOf(error: unknown): string {
  const code = codeOf(error);
  if (code) return code;
  return error instanceof Error ? error.name : typeof error;
}

/** The error's message, bounded: stored in the quarantine for operators. */
export function errorMessageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 2_000 ? `${message.slice(0, 2_000)}…` : message;
}

/**
 * The message without the values it quotes, for logs: PostgreSQL quotes the offending value
 * (`invalid input syntax for type uuid: "…"`), and an event's values may be personal data.
 */
export function redactedMessageOf(error: unknown): string {
  return errorMessageOf(error)
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/'(?:[^'\\]|\\.)*'/g, "'…'");
}
