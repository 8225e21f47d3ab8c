import type { Role } from '@steward/contracts';

/**
 * A person, authenticated by a user token or an OIDC JWT. `memberships` maps workspace id → role in that
 * workspace; it is a plain record (not a Map) so that a principal travels unchanged in a command envelope
 * and every service re-checks the same facts. `orgRole` is the organization-wide role, when the person has
 * one (the owner always has one): it applies to every workspace of the organization and to the
 * organization-level actions (organization.*, workspace.create, billing.*).
 *
 * `organizationId` is the organization the person acts in; it is absent when they belong to none (removed
 * from every workspace, or signed in before joining one). Such a person is still someone: they may read and
 * change their own profile and found an organization of their own (the matrix's `self` actions), and every
 * tenant is out of scope for them (404).
 */
export interface UserPrincipal {
  readonly kind: 'user';
  readonly userId: string;
  readonly organizationId?: string;
  readonly memberships: Readonly<Record<string, Role>>;
  readonly orgRole?: Role;
  /**
   * A platform administrator (STEWARD_PLATFORM_ADMINS, or the owner a fresh install was bootstrapped with):
   * authors platform announcements. Distinct from every organization role.
   */
  readonly platformAdmin?: boolean;
}

/**
 * An agent or service, authenticated by an API key: bound to one workspace, limited by its scopes (as
 * stored with the key; a scope this module does not know grants nothing).
 */
export interface ApiKeyPrincipal {
  readonly kind: 'api_key';
  readonly keyId: string;
  readonly organizationId: string;
  readonly workspaceId: string;
  readonly scopes: readonly string[];
}

export type Principal = UserPrincipal | ApiKeyPrincipal;

/**
 * The role a user holds in a workspace, or undefined when the user has no access to it. A user with an
 * organization-wide role holds it in every workspace of the organization (a workspace membership neither
 * raises nor lowers it: one role per person and place, no merging of incomparable roles such as billing
 * and member); a user without one holds the role of their membership in that workspace.
 * API keys have no role: they act through scopes (see `can`), so this returns undefined for them.
 */
export function roleIn(principal: Principal, workspaceId: string): Role | undefined {
  if (principal.kind !== 'user') return undefined;
  if (principal.orgRole !== undefined) return principal.orgRole;
  return Object.hasOwn(principal.memberships, workspaceId) ? principal.memberships[workspaceId] : undefined;
}

/**
 * The role a user holds for organization-level actions: the organization-wide role when there is one;
 * otherwise a member of any workspace of the organization is a `viewer` of the organization itself (the
 * seeds: "Organization details — available to all members"), and nobody else has a role.
 */
export function organizationRole(principal: Principal): Role | undefined {
  if (principal.kind !== 'user') return undefined;
  if (principal.orgRole !== undefined) return principal.orgRole;
  return Object.keys(principal.memberships).length > 0 ? 'viewer' : undefined;
}
