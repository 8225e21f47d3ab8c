import { z } from 'zod';
import type { OidcConfig } from '@steward/auth';

/**
 * How the web console signs people in with OIDC (Authorization Code + PKCE, a public client): the client id
 * registered at the provider, the scopes it asks for, and which of the provider's tokens the browser sends as
 * its bearer — the one whose audience the gateway's verifier accepts (OIDC_AUDIENCE).
 */
export interface OidcConsoleConfig {
  readonly issuer: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  /** `id_token` when OIDC_AUDIENCE is the console's client id (an ID token's audience), else `access_token`. */
  readonly bearer: 'id_token' | 'access_token';
}

const DEFAULT_SCOPES = 'openid email profile';

const ConsoleEnvSchema = z.object({
  OIDC_CONSOLE_CLIENT_ID: z.string().trim().min(1).max(500),
  OIDC_CONSOLE_SCOPES: z
    .string()
    .trim()
    .regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, 'space-separated scope tokens')
    .refine((text) => text.split(' ').includes('openid'), 'must include openid'),
});

/**
 * The console's OIDC settings from OIDC_CONSOLE_CLIENT_ID (and OIDC_CONSOLE_SCOPES, default
 * "openid email profile"): undefined when no client id is set (the console offers the user token only);
 * an Error when a client id is set without the gateway's OIDC verifier (OIDC_ISSUER, OIDC_AUDIENCE,
 * OIDC_JWKS_URL), or a setting is invalid.
 */
export function oidcConsoleConfigFromEnv(verifier: OidcConfig | undefined, env: NodeJS.ProcessEnv = process.env): OidcConsoleConfig | undefined {
  const clientId = env.OIDC_CONSOLE_CLIENT_ID;
  if (clientId === undefined || clientId === '') return undefined;
  if (verifier === undefined) throw new Error('OIDC_CONSOLE_CLIENT_ID is set but OIDC is not: set OIDC_ISSUER, OIDC_AUDIENCE and OIDC_JWKS_URL too');
  const parsed = ConsoleEnvSchema.safeParse({ OIDC_CONSOLE_CLIENT_ID: clientId, OIDC_CONSOLE_SCOPES: env.OIDC_CONSOLE_SCOPES || DEFAULT_SCOPES });
  if (!parsed.success) {
    throw new Error(`invalid console OIDC configuration: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  return {
    issuer: verifier.issuer,
    clientId: parsed.data.OIDC_CONSOLE_CLIENT_ID,
    scopes: parsed.data.OIDC_CONSOLE_SCOPES.split(' '),
    bearer: verifier.audience === parsed.data.OIDC_CONSOLE_CLIENT_ID ? 'id_token' : 'access_token',
  };
}
