import type { UserPrincipal } from '@steward/auth';
import type { Role } from '@steward/contracts';

/**
 * A person as the gateway sees them: a libs/auth UserPrincipal in ONE organization (`organizationId`,
 * `memberships`, `orgRole` of that organization), plus the `id` rate limits and idempotency are kept by, and
 * every organization they belong to. A request acts in the organization of its target (the path's
 * organization or workspace, the workspace a query or header names): the authorizer narrows the person to it
 * with `personIn`, so someone in several organizations keeps every seat, and each check sees only the roles of
 * the organization it is about.
 */
export type StewardUserPrincipal = UserPrincipal & {
  readonly id: string;
  /** The person's email when the credential names it (user tokens, OIDC). */
  readonly email?: string;
  /** Every organization the person belongs to, sorted by id (empty for a person of none). */
  readonly organizationIds: readonly string[];
};

/**
 * The seats a person holds, as the team read model's membership lookup answers them: only what a principal is
 * built from (the read model's `Memberships` is one).
 */
export interface Memberships {
  readonly userId: string;
  readonly workspaces: ReadonlyArray<{ readonly workspaceId: string; readonly organizationId: string; readonly role: Role }>;
  readonly organizations: ReadonlyArray<{ readonly organizationId: string }>;
  /** A platform administrator (see UserPrincipal.platformAdmin): granted by the bootstrap or the configuration. */
  readonly platformAdmin?: boolean;
}

/** The memberships each person principal was built from (what `personIn` narrows again). */
const seats = new WeakMap<StewardUserPrincipal, Memberships>();
/** Per memberships object (one cached lookup): the principal in each organization, by organization and email. */
const built = new WeakMap<Memberships, Map<string, StewardUserPrincipal>>();
const organizationLists = new WeakMap<Memberships, readonly string[]>();

/** The organizations of a memberships object (never changed once loaded), sorted by id. */
export function organizationsOf(memberships: Memberships): readonly string[] {
  let organizations = organizationLists.get(memberships);
  if (organizations === undefined) {
    organizations = [
      ...new Set([...memberships.organizations.map((o) => o.organizationId), ...memberships.workspaces.map((w) => w.organizationId)]),
    ].sort();
    organizationLists.set(memberships, organizations);
  }
  return organizations;
}

/**
 * The person in `organizationId` (default: the first of their organizations by id, the one tenant-less requests
 * act in until the authorizer chooses). A person of no organization has no `organizationId` and no memberships:
 * they may read and change their profile and found an organization; every tenant is a 404 for them.
 * The same memberships object (one cached lookup) gives the same principal objects.
 */
export function personPrincipal(memberships: Memberships, email: string | undefined, organizationId?: string): StewardUserPrincipal {
  const organizations = organizationsOf(memberships);
  const chosen = organizationId !== undefined && organizations.includes(organizationId) ? organizationId : organizations[0];
  let byKey = built.get(memberships);
  if (byKey === undefined) built.set(memberships, (byKey = new Map()));
  const key = `${chosen ?? ''}\u0000${email ?? ''}`;
  const known = byKey.get(key);
  if (known !== undefined) return known;
  const principal = Object.freeze(buildPrincipal(memberships, organizations, chosen, email));
  seats.set(principal, memberships);
  if (byKey.size >= 100) byKey.clear();
  byKey.set(key, principal);
  return principal;
}

/**
 * The person in another of their organizations; undefined when they do not belong to it (the tenant wall:
 * the authorizer then answers 404) or when the principal is not one `personPrincipal` built.
 */
export function personIn(principal: StewardUserPrincipal, organizationId: string): StewardUserPrincipal | undefined {
  if (principal.organizationId === organizationId) return principal;
  const memberships = seats.get(principal);
  if (memberships === undefined || !principal.organizationIds.includes(organizationId)) return undefined;
  return personPrincipal(memberships, principal.email, organizationId);
}

/** The organization of a workspace the person is a member of (undefined: not a member of it in any organization). */
export function membershipOrganization(principal: StewardUserPrincipal, workspaceId: string): string | undefined {
  return seats.get(principal)?.workspaces.find((membership) => membership.workspaceId === workspaceId)?.organizationId;
}

/** The organizations where the person has an organization-wide role (an owner seat or an owner membership). */
export function organizationWideOrganizations(principal: StewardUserPrincipal): readonly string[] {
  const memberships = seats.get(principal);
  if (memberships === undefined) return principal.orgRole !== undefined && principal.organizationId !== undefined ? [principal.organizationId] : [];
  return principal.organizationIds.filter((organizationId) => ownerIn(memberships, organizationId));
}

function ownerIn(memberships: Memberships, organizationId: string): boolean {
  // The first owner's seat comes with OrganizationCreated, which records no separate seat event.
  return (
    memberships.organizations.some((organization) => organization.organizationId === organizationId) ||
    memberships.workspaces.some((membership) => membership.organizationId === organizationId && membership.role === 'owner')
  );
}

function buildPrincipal(memberships: Memberships, organizationIds: readonly string[], organizationId: string | undefined, email: string | undefined): StewardUserPrincipal {
  const userId = memberships.userId;
  const withEmail = { ...(email !== undefined ? { email } : {}), ...(memberships.platformAdmin === true ? { platformAdmin: true } : {}) };
  if (organizationId === undefined) return { kind: 'user', id: userId, userId, memberships: {}, organizationIds, ...withEmail };
  const roles: Record<string, Role> = {};
  for (const membership of memberships.workspaces) if (membership.organizationId === organizationId) roles[membership.workspaceId] = membership.role;
  // Owners are organization-wide: an owner seat, or the owner role in any workspace of the organization.
  return {
    kind: 'user',
    id: userId,
    userId,
    organizationId,
    memberships: roles,
    organizationIds,
    ...(ownerIn(memberships, organizationId) ? { orgRole: 'owner' as const } : {}),
    ...withEmail,
  };
}
