import { z } from 'zod';
import { RoleSchema, type Role } from '@steward/contracts';
import { ACCESS_RESTRICTED_TITLE, ADMIN_ONLY_DETAIL, AuthError, AuthErrorCode } from './auth.error';
import { organizationRole, roleIn, type Principal } from './principal';

/** Every role, most powerful first (the order of the matrix's columns). */
export const ALL_ROLES: readonly Role[] = RoleSchema.options;

export const ACTIONS = [
  'organization.create',
  'organization.read',
  'organization.update',
  'workspace.create',
  'workspace.read',
  'workspace.update',
  'member.read',
  'member.invite',
  'member.update_role',
  'member.remove',
  'invitation.read',
  'invitation.revoke',
  'api_key.read',
  'api_key.issue',
  'api_key.revoke',
  'activity.read',
  'activity.export',
  'profile.read',
  'profile.update',
  'usage.read',
  'usage.write',
  'models.read',
  'models.write',
  'jobs.read',
  'jobs.write',
  'runtimes.read',
  'runtimes.write',
  'runtimes.test',
  'billing.read',
  'billing.write',
  'billing.plans.read',
  'budgets.read',
  'budgets.write',
  'budgets.reserve',
  'notifications.read',
  'notifications.write',
  'announcement.read',
  'announcement.manage',
  'ops.read',
  'ops.write',
  'billing.operate',
] as const;
export const ActionSchema = z.enum(ACTIONS);
export type Action = z.infer<typeof ActionSchema>;

/**
 * What an API key may be allowed to do. Keys are for agents and services: they read their workspace and
 * write usage, jobs and runtimes; no scope ever grants team, key, model or billing management.
 */
export const API_KEY_SCOPES = ['read', 'usage:write', 'jobs:write', 'runtimes:write'] as const;
/**
 * The scopes a key can be issued with (validate issue requests with it). Named apart from contracts'
 * `ApiKeyScopeSchema`, which only checks the shape of a scope stored in an event.
 */
export const ApiKeyScopeEnum = z.enum(API_KEY_SCOPES);
export type ApiKeyScope = z.infer<typeof ApiKeyScopeEnum>;

export type ActionKind = 'read' | 'write';

interface MatrixRow {
  readonly kind: ActionKind;
  readonly description: string;
  /** The roles allowed, in any order; every other role is refused. */
  readonly roles: readonly Role[];
  /** The API key scopes that grant the action; none for actions keys may never perform. */
  readonly scopes: readonly ApiKeyScope[];
  /** The action touches only the caller's own user record (their profile), nothing of the tenant. */
  readonly self?: true;
  /**
   * An organization-level action a person without an organization-wide role may perform when their role in at
   * least one workspace of the organization allows it: the activity log (they then see only those workspaces,
   * `workspacesAllowed`; organization-level data stays with the organization-wide roles), usage ingest naming
   * each event's workspace (checked one by one), the price catalogue of every workspace's model settings.
   */
  readonly perWorkspace?: true;
  /**
   * A platform action: allowed to a platform administrator (a person the configuration or the bootstrap made
   * one, `UserPrincipal.platformAdmin`) whatever their roles, refused to everyone else; no organization role
   * grants it (an organization's owner is not a platform administrator).
   */
  readonly platform?: true;
}

const ALL: readonly Role[] = ['owner', 'admin', 'billing', 'member', 'viewer'];
const ADMINS: readonly Role[] = ['owner', 'admin'];
const MONEY: readonly Role[] = ['owner', 'admin', 'billing'];
const WORKERS: readonly Role[] = ['owner', 'admin', 'member'];
const BILLERS: readonly Role[] = ['owner', 'billing'];

/**
 * THE permission matrix: action → allowed roles and granting API key scopes. Everything else in this
 * module (can, allowedRoles, assertCan, permissionMatrix, the README table) is derived from it.
 *
 * From the seeds: Team Settings (members, invitations) and Model Settings are admin-only; billing
 * information is restricted to users with billing access and the billing role manages billing; Job
 * History, Usage Analytics and Runtime Environments are open to all users (members run work, viewers only
 * read); organization details are visible to all members.
 */
const MATRIX: { readonly [A in Action]: MatrixRow } = {
  'organization.read': { kind: 'read', description: 'read the organization and its overview', roles: ALL, scopes: [] },
  'organization.update': { kind: 'write', description: 'change the organization', roles: ADMINS, scopes: [] },
  'workspace.create': { kind: 'write', description: 'create a workspace', roles: ADMINS, scopes: [] },
  'workspace.read': { kind: 'read', description: 'read a workspace', roles: ALL, scopes: ['read'] },
  'workspace.update': { kind: 'write', description: 'rename or change the status of a workspace', roles: ADMINS, scopes: [] },
  'member.read': { kind: 'read', description: 'list and search the members of a workspace', roles: ADMINS, scopes: [] },
  'member.invite': { kind: 'write', description: 'invite a member', roles: ADMINS, scopes: [] },
  'member.update_role': { kind: 'write', description: "change a member's role", roles: ADMINS, scopes: [] },
  'member.remove': { kind: 'write', description: 'remove a member', roles: ADMINS, scopes: [] },
  'invitation.read': { kind: 'read', description: 'list invitations', roles: ADMINS, scopes: [] },
  'invitation.revoke': { kind: 'write', description: 'revoke an invitation', roles: ADMINS, scopes: [] },
  'api_key.read': { kind: 'read', description: 'list API keys', roles: ADMINS, scopes: [] },
  'api_key.issue': { kind: 'write', description: 'issue an API key', roles: ADMINS, scopes: [] },
  'api_key.revoke': { kind: 'write', description: 'revoke an API key', roles: ADMINS, scopes: [] },
  // An admin (or billing) of some workspaces reads the log of those workspaces only (perWorkspace).
  'activity.read': { kind: 'read', description: 'read the activity log', roles: MONEY, scopes: [], perWorkspace: true },
  'activity.export': { kind: 'read', description: 'export the activity log', roles: ADMINS, scopes: [], perWorkspace: true },
  'profile.read': { kind: 'read', description: 'read your own profile', roles: ALL, scopes: [], self: true },
  // Any signed-in person may found an organization of their own (they become its owner); no API key may.
  'organization.create': { kind: 'write', description: 'create an organization of your own', roles: ALL, scopes: [], self: true },
  // The one write a viewer may do: their own name, time zone and custom instructions, nothing of the tenant.
  'profile.update': { kind: 'write', description: 'update your own profile', roles: ALL, scopes: [], self: true },
  'usage.read': { kind: 'read', description: 'read usage analytics', roles: ALL, scopes: ['read'] },
  // In one workspace, or at the organization level for ingest naming each event's workspace (CloudEvents' subject,
  // each checked like a {wsId}): for anyone whose role in some workspace may record usage.
  'usage.write': { kind: 'write', description: 'record usage', roles: WORKERS, scopes: ['usage:write'], perWorkspace: true },
  // Read in one workspace (its Model Settings) or, at the organization level, the built-in price catalogue those
  // settings fall back to: for anyone who administers the model settings of some workspace.
  'models.read': { kind: 'read', description: 'read model settings', roles: ADMINS, scopes: [], perWorkspace: true },
  'models.write': { kind: 'write', description: 'change model settings', roles: ADMINS, scopes: [] },
  'jobs.read': { kind: 'read', description: 'read job history', roles: ALL, scopes: ['read'] },
  'jobs.write': { kind: 'write', description: 'start jobs and record their steps', roles: WORKERS, scopes: ['jobs:write'] },
  'runtimes.read': { kind: 'read', description: 'read runtime environments', roles: ALL, scopes: ['read'] },
  // Runtime credentials are an admin's alone to configure; re-running a connection test (the first step when a job
  // fails) is open to members and to keys with runtimes:write, so an API key never does more than a member could.
  'runtimes.write': { kind: 'write', description: 'register, reconfigure, delete runtime environments and set defaults', roles: ADMINS, scopes: [] },
  'runtimes.test': { kind: 'write', description: 'run a connection test of a runtime environment', roles: WORKERS, scopes: ['runtimes:write'] },
  // Billing is the organization's: read by owners, admins and billing members, changed by owners and billing members
  // (a person's role in any workspace of the organization counts, as billing has no per-workspace part).
  'billing.read': { kind: 'read', description: 'read billing, plan, credits and invoices', roles: MONEY, scopes: [], perWorkspace: true },
  'billing.write': { kind: 'write', description: 'change the plan and add credits', roles: BILLERS, scopes: [], perWorkspace: true },
  // The plan catalogue is configuration, not a tenant's data: any signed-in person may read it (no API key).
  'billing.plans.read': { kind: 'read', description: 'read the plan catalogue', roles: ALL, scopes: [], self: true },
  'budgets.read': { kind: 'read', description: 'read budgets and budget alerts', roles: ALL, scopes: ['read'] },
  'budgets.write': { kind: 'write', description: 'define and change budgets', roles: MONEY, scopes: [] },
  // Agents hold budget before a call: whoever may record usage (a key with usage:write) may reserve and release.
  'budgets.reserve': { kind: 'write', description: 'reserve and release budget for a call', roles: WORKERS, scopes: ['usage:write'] },
  // Notification channels are the organization's: the people who act on budgets, credits and invoices configure
  // where those alerts go. Members and viewers neither read nor change them (endpoints are configuration), and a
  // channel's secret is readable by nobody after the answer that made it.
  'notifications.read': { kind: 'read', description: 'read notification channels and their delivery log', roles: MONEY, scopes: [], perWorkspace: true },
  'notifications.write': { kind: 'write', description: 'create, change, rotate, test and delete notification channels; resend messages', roles: MONEY, scopes: [], perWorkspace: true },
  // Platform announcements: every person reads those addressed to one of their organizations (and marks them read).
  'announcement.read': { kind: 'read', description: 'read and mark read the announcements addressed to you', roles: ALL, scopes: [], self: true },
  'announcement.manage': { kind: 'write', description: 'author, publish and unpublish platform announcements', roles: [], scopes: [], platform: true },
  // The operators' view: the organization's queued jobs and failures, and the platform's figures without other
  // tenants' details (platform administrators see those too, STEWARD_PLATFORM_ADMINS, whatever their role).
  'ops.read': { kind: 'read', description: 'read queues, failed jobs, dead letters and projection lag', roles: ADMINS, scopes: [] },
  'ops.write': { kind: 'write', description: 'retry or remove failed jobs', roles: ADMINS, scopes: [] },
  // Running the platform's billing cycle out of its schedule touches every organization: platform administrators only.
  'billing.operate': { kind: 'write', description: 'run the billing close cycle now', roles: [], scopes: [], platform: true },
};

/** One row of the matrix as published to the gateway, its tests and its docs. */
export interface PermissionEntry {
  readonly action: Action;
  readonly kind: ActionKind;
  readonly description: string;
  /** Refused to every role that does not administer: a 403 carries the admin-only detail. */
  readonly adminOnly: boolean;
  /** Touches only the caller's own user record (profile.*): every role may, viewers included. */
  readonly self: boolean;
  /**
   * Organization-level, answered per workspace: allowed to a person whose role in some workspace allows it,
   * limited to those workspaces (see MatrixRow.perWorkspace).
   */
  readonly perWorkspace: boolean;
  /** Platform administrators only, whatever their roles (see MatrixRow.platform): `allowed` is false for every role. */
  readonly platform: boolean;
  readonly allowed: Readonly<Record<Role, boolean>>;
  readonly scopes: readonly ApiKeyScope[];
}

const ENTRIES: readonly PermissionEntry[] = ACTIONS.map((action) => {
  const row = MATRIX[action];
  const allowed = Object.fromEntries(ALL_ROLES.map((role) => [role, row.roles.includes(role)])) as Record<Role, boolean>;
  return Object.freeze({
    action,
    kind: row.kind,
    description: row.description,
    adminOnly: row.platform !== true && !allowed.member && !allowed.viewer,
    self: row.self === true,
    perWorkspace: row.perWorkspace === true,
    platform: row.platform === true,
    allowed: Object.freeze(allowed),
    scopes: Object.freeze([...row.scopes]),
  });
});
const BY_ACTION = new Map(ENTRIES.map((entry) => [entry.action, entry]));

function entryOf(action: Action): PermissionEntry {
  const entry = BY_ACTION.get(action);
  if (entry === undefined) throw new TypeError(`unknown action: ${String(action)}`);
  return entry;
}

/** The whole matrix, one entry per action in declaration order. */
export function permissionMatrix(): readonly PermissionEntry[] {
  return ENTRIES;
}

/** The roles allowed to perform an action, most powerful first. */
export function allowedRoles(action: Action): readonly Role[] {
  const entry = entryOf(action);
  return ALL_ROLES.filter((role) => entry.allowed[role]);
}

/** Whether a role may perform an action (the matrix cell). */
export function roleCan(role: Role, action: Action): boolean {
  return entryOf(action).allowed[role];
}

/** The actions an API key with these scopes may perform. */
export function actionsForScopes(scopes: readonly string[]): readonly Action[] {
  return ENTRIES.filter((entry) => entry.scopes.some((scope) => scopes.includes(scope))).map((entry) => entry.action);
}

/** Only an owner makes another member an owner or takes the owner role away (team-rbac invariant). */
export function canManageOwner(role: Role | undefined): boolean {
  return role === 'owner';
}

/**
 * Where an action is performed. `organizationId` set: the principal must belong to that organization.
 * `workspaceId` set: the action is evaluated with the principal's role in that workspace; unset: it is an
 * organization-level action, evaluated with the principal's organization role.
 */
export interface AccessTarget {
  readonly organizationId?: string;
  readonly workspaceId?: string;
}

type Decision = { readonly outcome: 'allowed' } | { readonly outcome: 'out_of_scope' } | { readonly outcome: 'forbidden' };

function decide(principal: Principal, action: Action, target: AccessTarget): Decision {
  const entry = entryOf(action);
  if (target.organizationId !== undefined && target.organizationId !== principal.organizationId) {
    return { outcome: 'out_of_scope' };
  }
  if (entry.platform) return principal.kind === 'user' && principal.platformAdmin === true ? { outcome: 'allowed' } : { outcome: 'forbidden' };
  if (principal.kind === 'api_key') {
    // A key lives in one workspace; organization-level actions are evaluated in that workspace too.
    if (target.workspaceId !== undefined && target.workspaceId !== principal.workspaceId) return { outcome: 'out_of_scope' };
    return entry.scopes.some((scope) => principal.scopes.includes(scope)) ? { outcome: 'allowed' } : { outcome: 'forbidden' };
  }
  // The caller's own record: every person may, whether or not they belong to an organization.
  if (entry.self && target.workspaceId === undefined) return { outcome: 'allowed' };
  const role = target.workspaceId === undefined ? organizationRole(principal) : roleIn(principal, target.workspaceId);
  if (role === undefined) return { outcome: 'out_of_scope' };
  if (entry.allowed[role]) return { outcome: 'allowed' };
  if (target.workspaceId === undefined && entry.perWorkspace && principal.orgRole === undefined) {
    // answered with the workspaces whose role allows it (workspacesAllowed)
    if (Object.values(principal.memberships).some((workspaceRole) => entry.allowed[workspaceRole])) return { outcome: 'allowed' };
  }
  return { outcome: 'forbidden' };
}

/** Whether the principal may perform the action on the target (see AccessTarget). Never throws for a known action. */
export function can(principal: Principal, action: Action, target: AccessTarget = {}): boolean {
  return decide(principal, action, target).outcome === 'allowed';
}

/**
 * Throws unless the principal may perform the action:
 * - AuthError OUT_OF_SCOPE when the target is another organization or a workspace the principal has no
 *   access to (the gateway answers 404: another tenant's resources do not exist for the caller);
 * - AuthError FORBIDDEN, title "Access Restricted", when its role or scopes do not allow the action; on an
 *   admin-only action the detail is the seeds' "You do not have admin privileges to manage team settings,
 *   users, or billing configuration."
 */
export function assertCan(principal: Principal, action: Action, target: AccessTarget = {}): void {
  const decision = decide(principal, action, target);
  if (decision.outcome === 'allowed') return;
  const details = {
    action,
    principal: principal.kind === 'user' ? { kind: 'user', userId: principal.userId } : { kind: 'api_key', keyId: principal.keyId },
    ...target,
  };
  if (decision.outcome === 'out_of_scope') {
    throw new AuthError(AuthErrorCode.OutOfScope, `no access to the ${target.workspaceId === undefined ? 'organization' : 'workspace'}`, details, {
      detail: 'The requested resource was not found.',
    });
  }
  const entry = entryOf(action);
  const detail = entry.platform
    ? `Only a platform administrator may ${entry.description}.`
    : entry.adminOnly
    ? ADMIN_ONLY_DETAIL
    : principal.kind === 'api_key'
      ? `This API key's scopes do not allow it to ${entry.description}.`
      : `Your role does not allow you to ${entry.description}.`;
  throw new AuthError(AuthErrorCode.Forbidden, `${action} is not allowed`, details, { title: ACCESS_RESTRICTED_TITLE, detail });
}

/**
 * For queries over "all workspaces": the workspaces in which the principal may perform the action, or
 * 'all' when its organization-wide role allows it in every workspace of the organization. An API key only ever sees its own workspace.
 * A `perWorkspace` action (the activity log) answers a person without an organization-wide role with the
 * data of these workspaces only; 'all' also covers the organization-level data (entries of no workspace).
 */
export function workspacesAllowed(principal: Principal, action: Action): 'all' | readonly string[] {
  if (principal.kind === 'api_key') return can(principal, action) ? [principal.workspaceId] : [];
  if (principal.orgRole !== undefined) return roleCan(principal.orgRole, action) ? 'all' : [];
  return Object.keys(principal.memberships).filter((workspaceId) => can(principal, action, { workspaceId }));
}
