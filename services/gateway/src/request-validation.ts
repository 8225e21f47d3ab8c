import type { z } from 'zod';
import { GatewayError, GatewayErrorCode, type FieldError } from './gateway.error';

export type InputLocation = 'path' | 'query' | 'body';

function fieldName(location: InputLocation, path: readonly PropertyKey[]): string {
  return [location, ...path.map((segment) => String(segment))].join('.');
}

/** Every problem of one part of the request, one entry per bad (or unknown) field. */
export function fieldErrors(location: InputLocation, error: z.ZodError): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) errors.push({ field: fieldName(location, [...issue.path, key]), message: 'unknown field' });
    } else {
      errors.push({ field: fieldName(location, issue.path), message: issue.message });
    }
  }
  return errors;
}

export interface ValidatedInput {
  readonly params: unknown;
  readonly query: unknown;
  readonly body: unknown;
}

/** Parses path params, query and body together so one 400 names every bad field. */
export function validateInput(
  schemas: { params?: z.ZodType; query?: z.ZodType; body?: z.ZodType },
  raw: { params: unknown; query: unknown; body: unknown },
): ValidatedInput {
  const errors: FieldError[] = [];
  const parse = (location: InputLocation, schema: z.ZodType | undefined, value: unknown): unknown => {
    if (!schema) return undefined;
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    errors.push(...fieldErrors(location, result.error));
    return undefined;
  };
  const params = parse('path', schemas.params, raw.params);
  const query = parse('query', schemas.query, raw.query ?? {});
  if (!schemas.query && raw.query && typeof raw.query === 'object') {
    // a route without query parameters takes none
    for (const name of Object.keys(raw.query)) errors.push({ field: `query.${name}`, message: 'unknown field' });
  }
  const body = parse('body', schemas.body, raw.body);
  if (errors.length > 0) {
    throw new GatewayError(GatewayErrorCode.Validation, `${errors.length} invalid field${errors.length === 1 ? '' : 's'}: ${errors.map((error) => error.field).join(', ')}`, { errors });
  }
  return { params, query, body };
}
