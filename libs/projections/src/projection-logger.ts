/** The subset of a pino logger the runtime uses (a pino logger fits as is). */
export interface ProjectionLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Default: warnings and errors on stderr, nothing else. */
export const stderrLogger: ProjectionLogger = {
  info: () => undefined,
  warn: (fields, message) => console.warn(`[projections] ${message}`, fields),
  error: (fields, message) => console.error(`[projections] ${message}`, fields),
};
