import type { z } from 'zod';
import { MAX_BODY_DEPTH, MAX_JSON_NODES, jsonProblem, textProblem } from '@steward/contracts';
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

/** The deepest a query parameter may be (`?a[b]=1` with an extended query parser); values are strings. */
const MAX_QUERY_DEPTH = 4;

/**
 * What no route takes, found before any schema runs: a string (or key) the store
 * would refuse (NUL, a lone surrogate), a body nested deeper than MAX_BODY_DEPTH or
 * with more than MAX_JSON_NODES values per field, a number that is not finite. It
 * is checked iteratively, so a hostile depth never reaches zod's recursion. A raw
 * body (a batch judged item by item) is only checked for depth and size here: its
 * items' text is refused one by one by their own schema.
 */
export function storableInputErrors(raw: { params: unknown; query: unknown; body: unknown }, rawBody: boolean): FieldError[] {
  const errors: FieldError[] = [];
  const check = (location: InputLocation, value: unknown, maxDepth: number, text: boolean, maxNodes: number): void => {
    if (text && flatStorableStrings(value)) return;
    if (value === undefined || value === null || typeof value !== 'object') {
      const problem = value === undefined ? undefined : jsonProblem(value, { maxDepth, maxNodes, text });
      if (problem) errors.push({ field: fieldName(location, problem.path), message: problem.message });
      return;
    }
    // each top-level field on its own, so one 400 names every bad one
    for (const [name, field] of Object.entries(value as Record<string, unknown>)) {
      const keyProblem = text ? jsonProblem(name, { maxDepth: 1, maxNodes: 1 }) : undefined;
      if (keyProblem) {
        errors.push({ field: fieldName(location, [name]), message: `a field name ${keyProblem.message}` });
        continue;
      }
      const problem = jsonProblem(field, { maxDepth: maxDepth - 1, maxNodes, text });
      if (problem) errors.push({ field: fieldName(location, [name, ...problem.path]), message: problem.message });
    }
  };
  check('path', raw.params, 2, true, 1_000);
  check('query', raw.query, MAX_QUERY_DEPTH, true, 1_000);
  if (Array.isArray(raw.body)) {
    const problem = jsonProblem(raw.body, { maxDepth: MAX_BODY_DEPTH, maxNodes: Number.MAX_SAFE_INTEGER, text: !rawBody });
    if (problem) errors.push({ field: fieldName('body', problem.path), message: problem.message });
  } else {
    check('body', raw.body, MAX_BODY_DEPTH, !rawBody, rawBody ? Number.MAX_SAFE_INTEGER : MAX_JSON_NODES);
  }
  return errors;
}

/**
 * True for what every request's path and query usually are — an object of storable string values under
 * storable names — checked without allocating; anything else (a nested or repeated query value, a bad
 * character) goes through the full walk, which names the field.
 */
function flatStorableStrings(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const name in value) {
    if (!Object.hasOwn(value, name)) continue;
    const field = (value as Record<string, unknown>)[name];
    if (typeof field !== 'string' || textProblem(name) !== undefined || textProblem(field) !== undefined) return false;
  }
  return true;
}

/**
 * Refuses path and query parameters no store could hold before the request's tenant is looked up (in
 * PostgreSQL, from `{wsId}` or `?workspaceId=`): a 400 naming `path.<name>` or `query.<name>` rather than a
 * failed query.
 */
export function refuseUnstorableParams(params: unknown, query?: unknown): void {
  const errors = storableInputErrors({ params, query, body: undefined }, false);
  if (errors.length > 0) throw invalidInput(errors);
}

function invalidInput(errors: readonly FieldError[]): GatewayError {
  return new GatewayError(GatewayErrorCode.Validation, `${errors.length} invalid field${errors.length === 1 ? '' : 's'}: ${errors.map((error) => error.field).join(', ')}`, { errors });
}

/**
 * Parses path params, query and body together so one 400 names every bad field;
 * storableInputErrors first, so no schema sees what no store could hold.
 */
export function validateInput(
  schemas: { params?: z.ZodType; query?: z.ZodType; body?: z.ZodType; rawBody?: unknown },
  raw: { params: unknown; query: unknown; body: unknown },
  options: { readonly paramsChecked?: boolean } = {},
): ValidatedInput {
  // the pipeline refuses unstorable path and query parameters before the tenant lookup (refuseUnstorableParams)
  const unstorable = storableInputErrors(options.paramsChecked ? { params: undefined, query: undefined, body: raw.body } : raw, schemas.rawBody !== undefined);
  if (unstorable.length > 0) throw invalidInput(unstorable);
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
  if (errors.length > 0) throw invalidInput(errors);
  return { params, query, body };
}
