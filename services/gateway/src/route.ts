import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Where a route's tenant comes from: `{wsId}` or `{orgId}` in its path, or nowhere. */
export type RouteScope = 'workspace' | 'organization' | 'none';

/** Who is calling. Authenticators return richer objects; the gateway only reads these. */
export interface Principal {
  /** Rate limits are chosen by kind (`api_key`, `user`, …). */
  readonly kind: string;
  /** Stable per caller: rate limits and idempotency keys are kept per principal. */
  readonly id: string;
  /**
   * Set for a principal bound to one workspace (an API key): a route that takes its workspace from a query
   * parameter or header (`tenantFrom`) acts there when the request names none.
   */
  readonly workspaceId?: string;
}

/** What an authenticator may read: headers and where the request goes, never the body. */
export interface AuthenticationRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The query string's parameters (a stream ticket travels there: a browser's EventSource sends no headers). */
  readonly query?: Readonly<Record<string, unknown>>;
}

/** Resolves the caller; undefined when the request carries no credentials it accepts. */
export interface Authenticator {
  authenticate(request: AuthenticationRequest): Promise<Principal | undefined> | Principal | undefined;
  /** Forgets cached lookups (the gateway calls it when the team read model changed). */
  invalidate?(): void;
}

export interface AuthorizationCheck {
  readonly permission: string;
  readonly scope: RouteScope;
  readonly organizationId?: string;
  readonly workspaceId?: string;
}

/** `not-found` for a tenant the principal cannot see (the wall answers 404, never 403). */
export type AuthorizationDecision = 'allow' | 'forbidden' | 'not-found';

export interface Authorizer {
  authorize(principal: Principal, check: AuthorizationCheck): Promise<AuthorizationDecision> | AuthorizationDecision;
  /**
   * The principal as it acts on the check's target: a person of several organizations in the organization of
   * that workspace or organization (for a check of scope `none`: one where the action is allowed). The
   * pipeline authorizes it and hands it to the handler. Without this method the principal acts as it is.
   */
  actingPrincipal?(principal: Principal, check: AuthorizationCheck): Promise<Principal> | Principal;
}

/** A query parameter or a header (its canonical spelling, `X-Steward-Workspace`: problems name it so). */
export type TenantSource = { readonly query: string } | { readonly header: string };

/**
 * Where a route whose path names no tenant (`scope: 'none'`) finds it in the request. A workspace named there
 * is authorized as a `{wsId}` of a path would be (its organization decides a person's roles, another tenant's
 * workspace is a 404) and handed to the handler as `workspaceId`; else an organization named there, as an
 * `{orgId}`. A principal bound to a workspace (an API key) that names none acts in its own.
 */
export interface TenantFrom {
  readonly workspace?: TenantSource;
  /** A value of the workspace source that names no single workspace (the usage reads' `all`). */
  readonly allWorkspaces?: string;
  readonly organization?: TenantSource;
  /** A person must name the workspace (a 400 naming the field when they do not). */
  readonly workspaceRequired?: boolean;
}

export interface RouteContext<Params, Query, Body> {
  readonly params: Params;
  readonly query: Query;
  readonly body: Body;
  /** Undefined only on public routes (`permission: null`) called without credentials. */
  readonly principal: Principal | undefined;
  readonly organizationId: string | undefined;
  readonly workspaceId: string | undefined;
  readonly requestId: string;
  /**
   * The client's Idempotency-Key on a POST or PATCH, bound to this request (the key and the request's fingerprint in one
   * text): derive command and resource ids from it, so a retry of the request derives the same ids and the key
   * reused with another request never does. Undefined without the header.
   */
  readonly idempotencyKey: string | undefined;
  readonly headers: IncomingHttpHeaders;
  /** Aborted when the client goes away (a streamed answer stops early). */
  readonly signal?: AbortSignal;
  /** With `rawBody`: the body's exact text, for a signature over its bytes (a payment provider's webhook). */
  readonly rawText?: string | undefined;
}

export interface RouteResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * A streamed body (CSV, NDJSON, …) instead of a JSON one: chunks are written
   * as they come, with backpressure; give its `content-type` in `headers` and
   * declare the status with a null schema. The first chunk is awaited before
   * anything is sent, so an error raised before it still answers as a problem
   * document; a later error aborts the response. Not for POST routes (an
   * idempotent replay cannot store a stream).
   */
  readonly stream?: AsyncIterable<string | Uint8Array>;
}

/** See RouteDefinition.rawBody. */
export interface RawJsonBody {
  /** Media type → the schema shown in the OpenAPI document (`application/json` first: it is the main one). */
  readonly content: Readonly<Record<string, z.ZodType>>;
  /**
   * What else than the body's bytes makes two requests different, for the Idempotency-Key fingerprint
   * (a binary-mode CloudEvent's `ce-*` headers); empty when nothing does.
   */
  readonly fingerprintHeaders?: (headers: IncomingHttpHeaders) => string;
}

/**
 * A request header a route reads itself, shown as an optional header parameter in OpenAPI: the handler
 * validates it, and `description` says when it is required (a binary-mode CloudEvent's `ce-id`).
 */
export interface DocumentedHeader {
  readonly name: string;
  readonly description: string;
  /** Default: a string. */
  readonly schema?: z.ZodType;
}

/** A JSON Schema (or OpenAPI schema object) written by hand. */
export type OpenApiSchema = Readonly<Record<string, unknown>>;

/** Documentation of what a route reads or writes outside its zod schemas. */
export interface OpenApiExtras {
  /** Request media types turned into the JSON body before the pipeline (OTLP's protobuf), by media type. */
  readonly requestContent?: Readonly<Record<string, OpenApiSchema>>;
  /** Another media type of an answer, by status: a streamed one (`responses: { 200: null }`), or one besides JSON. */
  readonly responseContent?: Readonly<Record<number, { readonly mediaType: string; readonly schema: OpenApiSchema }>>;
}

/** A strict object (`z.strictObject`): unknown fields are rejected. */
export type StrictObjectSchema = z.ZodObject;

export interface RouteDefinition<Params = unknown, Query = unknown, Body = unknown> {
  /** Unique; the OpenAPI operationId. */
  readonly operationId: string;
  readonly method: HttpMethod;
  /** OpenAPI template under `/v1` (or `/api/v1` for the OpenMeter-compatible ingest): `/v1/workspaces/{wsId}/members/{userId}`. */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  /** Permission action the principal needs (`members:update`); null for a public route (no credentials needed). */
  readonly permission: string | null;
  readonly scope: RouteScope;
  /** With `scope: 'none'`: where the request names its workspace or organization (see TenantFrom). */
  readonly tenantFrom?: TenantFrom;
  readonly params?: z.ZodType<Params>;
  readonly query?: z.ZodType<Query>;
  /** A JSON body (application/json); routes without one read none. */
  readonly body?: z.ZodType<Body>;
  /**
   * A JSON body the handler validates itself, handed over parsed but unvalidated as `body` (declare `Body`
   * as `unknown`): a batch whose items are accepted or refused one by one, a body that may be an object or an
   * array. `content` documents it by media type; a request of another media type is a 415. Not with `body`.
   */
  readonly rawBody?: RawJsonBody;
  /** Headers the handler reads itself, documented as OpenAPI header parameters. */
  readonly headers?: readonly DocumentedHeader[];
  /**
   * `'ignored'`: a POST or PATCH that does not take Idempotency-Key: the header is neither read nor required nor
   * documented. For a provider's webhook, which sends no key and whose deliveries are deduplicated by the
   * provider's own event ids (a key there would only add a second, weaker deduplication per raw body).
   */
  readonly idempotencyKey?: 'ignored';
  /** This route's body limit in bytes, when it differs from the gateway's (a usage batch of 10,000 events). */
  readonly bodyLimitBytes?: number;
  /** What the OpenAPI document tells beyond the schemas above (see OpenApiExtras). */
  readonly openApi?: OpenApiExtras;
  /** Success responses by status; a body is parsed through its schema before it leaves (extra fields dropped). */
  readonly responses: Readonly<Record<number, z.ZodType | null>>;
  readonly handler: (context: RouteContext<Params, Query, Body>) => Promise<RouteResponse> | RouteResponse;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a list of routes holds handlers of many shapes
export type AnyRoute = RouteDefinition<any, any, any>;

/**
 * Declares a route; the handler's parameter types are inferred from the
 * schemas. Schemas for params, query and body must be `z.strictObject(...)`.
 */
export function defineRoute<Params = Record<string, never>, Query = Record<string, never>, Body = undefined>(
  route: RouteDefinition<Params, Query, Body>,
): RouteDefinition<Params, Query, Body> {
  return route;
}

export enum RouteErrorCode {
  InvalidPath = 'INVALID_PATH',
  Duplicate = 'DUPLICATE',
  NotStrict = 'NOT_STRICT',
  ScopeParamMissing = 'SCOPE_PARAM_MISSING',
  ParamsMismatch = 'PARAMS_MISMATCH',
  AuthorizerMissing = 'AUTHORIZER_MISSING',
}

export class RouteError extends Error {
  constructor(
    readonly code: RouteErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RouteError';
  }
}

const PATH_PATTERN = /^(\/api)?\/v1(\/([a-z0-9][a-z0-9-]*|\{[a-zA-Z][a-zA-Z0-9]*\}))+$/;

export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/\{([a-zA-Z][a-zA-Z0-9]*)\}/g)].map((match) => match[1] as string);
}

/** `/v1/workspaces/{wsId}` → `/v1/workspaces/:wsId` (express). */
export function toExpressPath(path: string): string {
  return path.replace(/\{([a-zA-Z][a-zA-Z0-9]*)\}/g, ':$1');
}

function isStrictObject(schema: z.ZodType): boolean {
  if (!(schema instanceof z.ZodObject)) return false;
  const catchall = schema.def.catchall;
  return catchall !== undefined && catchall._zod.def.type === 'never';
}

const SCOPE_PARAM: Record<RouteScope, string | undefined> = { workspace: 'wsId', organization: 'orgId', none: undefined };

export function scopeParam(scope: RouteScope): string | undefined {
  return SCOPE_PARAM[scope];
}

/**
 * The routes of one gateway, checked once: unique method + path and
 * operationId, `/v1/...` paths, strict schemas, path params matching the
 * params schema, the scope's parameter present in the path.
 */
export class RouteRegistry {
  private readonly matchers: ReadonlyArray<{ readonly pattern: RegExp; readonly method: HttpMethod }>;

  constructor(readonly routes: readonly AnyRoute[]) {
    const seen = new Set<string>();
    const operations = new Set<string>();
    for (const route of routes) {
      const label = `${route.method} ${route.path}`;
      if (!PATH_PATTERN.test(route.path)) throw new RouteError(RouteErrorCode.InvalidPath, `${label}: paths are /v1/<segments> (or /api/v1/<segments>), params as {name}`);
      if (route.rawBody && route.body) throw new RouteError(RouteErrorCode.NotStrict, `${label}: a route declares body or rawBody, not both`);
      const shape = `${route.method} ${route.path.replace(/\{[^}]+\}/g, '{}')}`;
      if (seen.has(shape)) throw new RouteError(RouteErrorCode.Duplicate, `${label}: declared twice`);
      if (operations.has(route.operationId)) throw new RouteError(RouteErrorCode.Duplicate, `${label}: operationId ${route.operationId} declared twice`);
      seen.add(shape);
      operations.add(route.operationId);
      for (const [part, schema] of [['params', route.params], ['query', route.query], ['body', route.body]] as const) {
        if (schema && !isStrictObject(schema)) throw new RouteError(RouteErrorCode.NotStrict, `${label}: ${part} must be z.strictObject(...)`);
      }
      const names = pathParamNames(route.path);
      const declared = route.params ? Object.keys((route.params as unknown as z.ZodObject).shape) : [];
      if (names.length !== declared.length || names.some((name) => !declared.includes(name))) {
        throw new RouteError(RouteErrorCode.ParamsMismatch, `${label}: params schema must declare exactly ${names.join(', ') || 'nothing'}`);
      }
      const needed = scopeParam(route.scope);
      if (needed && !names.includes(needed)) throw new RouteError(RouteErrorCode.ScopeParamMissing, `${label}: a ${route.scope}-scoped route has {${needed}} in its path`);
      if (route.tenantFrom && route.scope !== 'none') throw new RouteError(RouteErrorCode.ScopeParamMissing, `${label}: tenantFrom is for routes whose path names no tenant (scope 'none')`);
    }
    this.matchers = routes.map((route) => ({
      method: route.method,
      pattern: new RegExp(`^${route.path.replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
    }));
  }

  /** The methods some route accepts on this concrete path (empty: no route has this path). */
  allowedMethods(path: string): HttpMethod[] {
    const methods = new Set<HttpMethod>();
    for (const matcher of this.matchers) if (matcher.pattern.test(path)) methods.add(matcher.method);
    return [...methods];
  }
}
