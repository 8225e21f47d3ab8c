export enum AuthErrorCode {
  /** No credentials were presented (no Authorization header, empty token). */
  Unauthenticated = 'UNAUTHENTICATED',
  /** Credentials were presented but are not acceptable: malformed, unknown, revoked, expired, bad signature, wrong audience. */
  InvalidToken = 'INVALID_TOKEN',
  /** The principal belongs to the organization/workspace but its role or scopes do not allow the action (HTTP 403). */
  Forbidden = 'FORBIDDEN',
  /**
   * The principal has no access at all to the organization or workspace named (another tenant). The gateway
   * answers 404 so that the existence of another tenant's resources is not revealed.
   */
  OutOfScope = 'OUT_OF_SCOPE',
  /** The identity provider's key set could not be fetched or was unusable; not the caller's fault (HTTP 503). */
  IdentityProviderUnavailable = 'IDENTITY_PROVIDER_UNAVAILABLE',
  /** The authentication configuration (OIDC_* variables) is incomplete or invalid. */
  InvalidConfiguration = 'INVALID_CONFIGURATION',
}

/** The problem title every 403 carries (seeds: Team Settings). */
export const ACCESS_RESTRICTED_TITLE = 'Access Restricted';
/** The detail of a 403 on an admin-only area (Team Settings, Model Settings, billing configuration, API keys). */
export const ADMIN_ONLY_DETAIL =
  'You do not have admin privileges to manage team settings, users, or billing configuration.';

/**
 * The one error class of libs/auth. `title` and `detail` are safe to show to the caller as a problem
 * document; `details` carries structured context for logs (never secrets).
 */
export class AuthError extends Error {
  readonly title: string;
  readonly detail: string;

  constructor(
    readonly code: AuthErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown; title?: string; detail?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AuthError';
    this.title = options?.title ?? defaultTitle(code);
    this.detail = options?.detail ?? message;
  }

  static is(error: unknown, code?: AuthErrorCode): error is AuthError {
    return error instanceof AuthError && (code === undefined || error.code === code);
  }
}

function defaultTitle(code: AuthErrorCode): string {
  switch (code) {
    case AuthErrorCode.Unauthenticated:
      return 'Authentication Required';
    case AuthErrorCode.InvalidToken:
      return 'Invalid Credentials';
    case AuthErrorCode.Forbidden:
      return ACCESS_RESTRICTED_TITLE;
    case AuthErrorCode.OutOfScope:
      return 'Not Found';
    case AuthErrorCode.IdentityProviderUnavailable:
      return 'Identity Provider Unavailable';
    case AuthErrorCode.InvalidConfiguration:
      return 'Invalid Authentication Configuration';
    default: {
      const _exhaustive: never = code;
      return _exhaustive;
    }
  }
}
