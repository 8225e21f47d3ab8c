import { z } from 'zod';

/** The provider's endpoints the console's sign-in uses, from its discovery document. */
export interface OidcEndpoints {
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

const EndpointSchema = z.url().refine((text) => {
  const url = new URL(text);
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
}, 'https (http only on a loopback host)');

const DiscoverySchema = z.object({
  issuer: z.string(),
  authorization_endpoint: EndpointSchema,
  token_endpoint: EndpointSchema,
  code_challenge_methods_supported: z.array(z.string()).optional(),
});

export class OidcDiscoveryError extends Error {
  override readonly name = 'OidcDiscoveryError';
}

/**
 * The issuer's `/.well-known/openid-configuration`, fetched by the gateway (the console's CSP keeps its
 * connect-src to this origin and the token endpoint) and kept once it answered a valid document. A failure is
 * not kept: the next call asks again, at most once per `retryAfterMs`.
 */
export class OidcDiscovery {
  private known: OidcEndpoints | undefined;
  private pending: Promise<OidcEndpoints> | undefined;
  private lastFailure: { at: number; error: OidcDiscoveryError } | undefined;

  constructor(
    private readonly issuer: string,
    private readonly options: { timeoutMs?: number; retryAfterMs?: number; now?: () => number } = {},
  ) {}

  /** The endpoints when discovery has answered (undefined before, or while the provider fails). */
  current(): OidcEndpoints | undefined {
    return this.known;
  }

  async endpoints(): Promise<OidcEndpoints> {
    if (this.known !== undefined) return this.known;
    const now = (this.options.now ?? Date.now)();
    if (this.lastFailure !== undefined && now - this.lastFailure.at < (this.options.retryAfterMs ?? 5_000)) throw this.lastFailure.error;
    this.pending ??= this.fetchDocument().then(
      (endpoints) => {
        this.known = endpoints;
        this.pending = undefined;
        return endpoints;
      },
      (error: unknown) => {
        this.pending = undefined;
        const failure = error instanceof OidcDiscoveryError ? error : new OidcDiscoveryError(`OIDC discovery failed: ${String(error)}`, { cause: error });
        this.lastFailure = { at: (this.options.now ?? Date.now)(), error: failure };
        throw failure;
      },
    );
    return this.pending;
  }

  private async fetchDocument(): Promise<OidcEndpoints> {
    const url = `${this.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const response = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000), headers: { accept: 'application/json' } });
    if (!response.ok) throw new OidcDiscoveryError(`OIDC discovery: ${url} answered ${response.status}`);
    const parsed = DiscoverySchema.safeParse(await response.json());
    if (!parsed.success) throw new OidcDiscoveryError(`OIDC discovery: ${url} is not a discovery document (${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')})`);
    const document = parsed.data;
    // OIDC Discovery 4.3: the document's issuer must be the one asked for, or its endpoints are not trusted
    if (document.issuer !== this.issuer) throw new OidcDiscoveryError(`OIDC discovery: ${url} names issuer ${document.issuer}, not ${this.issuer}`);
    if (document.code_challenge_methods_supported !== undefined && !document.code_challenge_methods_supported.includes('S256')) {
      throw new OidcDiscoveryError('OIDC discovery: the provider does not support PKCE with S256');
    }
    return { authorizationEndpoint: document.authorization_endpoint, tokenEndpoint: document.token_endpoint };
  }
}
