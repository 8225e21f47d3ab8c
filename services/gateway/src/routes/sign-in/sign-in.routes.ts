import { z } from 'zod';
import { GatewayError, GatewayErrorCode } from '../../gateway.error';
import { type AnyRoute, defineRoute } from '../../route';
import type { OidcConsoleConfig } from './oidc-console.config';
import type { OidcDiscovery } from './oidc-discovery';

export const SignInConfigSchema = z.object({
  oidc: z
    .object({
      issuer: z.string(),
      clientId: z.string(),
      scopes: z.array(z.string()),
      authorizationEndpoint: z.string(),
      tokenEndpoint: z.string(),
      bearer: z.enum(['id_token', 'access_token']),
    })
    .nullable(),
});

export interface SignInRoutesDeps {
  /** Undefined when the console signs in with user tokens only. */
  readonly oidc?: { readonly config: OidcConsoleConfig; readonly discovery: OidcDiscovery } | undefined;
}

/** How the web console signs people in: public, read before anyone has a credential. */
export function signInRoutes(deps: SignInRoutesDeps): AnyRoute[] {
  return [
    defineRoute({
      operationId: 'getSignInConfig',
      method: 'GET',
      path: '/v1/auth/config',
      summary: 'How to sign in to the console',
      description:
        '`oidc` is null unless the gateway is configured for single sign-on (OIDC_CONSOLE_CLIENT_ID with OIDC_ISSUER, OIDC_AUDIENCE, ' +
        'OIDC_JWKS_URL). Otherwise it names the provider, the public client and its scopes, the endpoints from the issuer\'s discovery ' +
        'document (Authorization Code with PKCE S256), and which returned token to send as the bearer: the one whose audience the ' +
        'gateway accepts. 503 while the provider\'s discovery document cannot be read.',
      tags: ['auth'],
      permission: null,
      scope: 'none',
      responses: { 200: SignInConfigSchema },
      handler: async () => {
        if (deps.oidc === undefined) return { status: 200, body: { oidc: null } };
        const { config, discovery } = deps.oidc;
        let endpoints;
        try {
          endpoints = await discovery.endpoints();
        } catch (error) {
          throw new GatewayError(GatewayErrorCode.Unavailable, 'the identity provider cannot be reached', { cause: error });
        }
        return {
          status: 200,
          headers: { 'cache-control': 'no-cache' },
          body: { oidc: { issuer: config.issuer, clientId: config.clientId, scopes: [...config.scopes], bearer: config.bearer, ...endpoints } },
        };
      },
    }),
  ];
}
