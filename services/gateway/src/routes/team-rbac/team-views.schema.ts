import { z } from 'zod';
import { BillingOverviewSchema } from '../billing/billing-views.schema';
import { ANNOUNCEMENT_KINDS, ROLES, WORKSPACE_STATUSES } from '@steward/contracts';

/*
 * What the team routes answer (response schemas: the gateway parses every
 * body through them, so nothing undeclared — a hash, a token — ever leaves).
 */

const Time = z.string();

export const OrganizationSchema = z.object({
  id: z.string(),
  name: z.string(),
  owner: z.object({ userId: z.string(), email: z.string(), name: z.string().nullable().optional() }),
  createdAt: Time,
  teamSize: z.number().int().optional(),
});

export const WorkspaceSchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  name: z.string(),
  status: z.enum(WORKSPACE_STATUSES),
  /** Absent only when a change answers before the workspace's row is projected. */
  createdAt: Time.optional(),
  updatedAt: Time,
});

export const CreatedOrganizationSchema = OrganizationSchema.extend({ workspace: WorkspaceSchema });

export const ActivityEntrySchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  workspaceId: z.string().nullable(),
  resourceType: z.string(),
  action: z.string(),
  resourceId: z.string().nullable(),
  actor: z.object({ type: z.string(), id: z.string() }),
  occurredAt: Time,
  outcome: z.string(),
  summary: z.string(),
  source: z.string(),
});

const AudienceSchema = z.union([
  z.object({ type: z.literal('all') }),
  z.object({ type: z.literal('organizations'), organizationIds: z.array(z.string()) }),
]);

export const AnnouncementSchema = z.object({
  id: z.string(),
  kind: z.enum(ANNOUNCEMENT_KINDS),
  title: z.string(),
  body: z.string(),
  audience: AudienceSchema,
  /** A maintenance's window; null for the other kinds. */
  window: z.object({ startsAt: Time, endsAt: Time }).nullable(),
  status: z.enum(['draft', 'published', 'unpublished']),
  authoredBy: z.string(),
  createdAt: Time,
  updatedAt: Time,
  publishedAt: Time.nullable(),
});

/** An announcement as one reader sees it: with their read marker. */
export const ReaderAnnouncementSchema = AnnouncementSchema.extend({ read: z.boolean(), readAt: Time.nullable() });

export const ReaderAnnouncementPageSchema = z.object({
  items: z.array(AnnouncementSchema.extend({ read: z.boolean().optional(), readAt: Time.nullable().optional() })),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
  pageCount: z.number().int(),
  /** The caller's unread announcements (absent with view=all). */
  unreadCount: z.number().int().optional(),
});

/** The sections of the overview a role may be refused (the dashboard guide's Access and Visibility). */
export const OVERVIEW_SECTIONS = ['workspaces', 'billing', 'recentActivity'] as const;

export const OverviewSchema = z.object({
  organization: OrganizationSchema,
  /** Absent (withheld) for a caller who may not view workspaces. */
  workspaces: z
    .object({
      total: z.number().int(),
      active: z.number().int(),
      suspended: z.number().int(),
      others: z.number().int(),
      provisioning: z.number().int(),
      attention: z.number().int(),
    })
    .optional(),
  /** The five newest entries of the log the caller may read; absent (withheld) for a role that reads none of it. */
  recentActivity: z.array(ActivityEntrySchema).optional(),
  /** "Show more": pass it as `cursor` to GET /v1/organizations/{orgId}/activity for the entries after these; null when there are none. */
  recentActivityCursor: z.string().nullable().optional(),
  /** Current Billing and Current Plan with credits: present only for callers with billing access (owner, admin, billing). */
  billing: BillingOverviewSchema.optional(),
  /** The caller's unread announcements (the newest five) and how many there are. */
  announcements: z.object({ unreadCount: z.number().int(), items: z.array(ReaderAnnouncementSchema) }),
  /** The sections left out for the caller's role (a screen says "ask your administrator"). */
  withheld: z.array(z.enum(OVERVIEW_SECTIONS)),
});

export const MemberSchema = z.object({
  workspaceId: z.string(),
  organizationId: z.string().optional(),
  userId: z.string(),
  email: z.string().optional(),
  name: z.string().nullable().optional(),
  role: z.enum(ROLES),
  joinedAt: Time.optional(),
});

export const InvitationSchema = z.object({
  id: z.string(),
  organizationId: z.string().optional(),
  workspaceId: z.string(),
  email: z.string(),
  role: z.enum(ROLES),
  message: z.string().nullable(),
  status: z.enum(['pending', 'accepted', 'revoked', 'expired']),
  invitedBy: z.string(),
  createdAt: Time,
  expiresAt: Time,
  acceptedAt: Time.nullable().optional(),
  acceptedBy: z.string().nullable().optional(),
  revokedAt: Time.nullable().optional(),
});

/** The 201 of an invitation: the acceptance token, shown this once. */
export const IssuedInvitationSchema = InvitationSchema.extend({ token: z.string() });

export const AcceptedInvitationSchema = z.object({
  invitationId: z.string(),
  userId: z.string(),
  workspaceId: z.string().optional(),
  organizationId: z.string().optional(),
  email: z.string().optional(),
  role: z.enum(ROLES).optional(),
  /** A user token for a person who was not signed in: shown this once. */
  token: z.string().optional(),
});

export const ApiKeySchema = z.object({
  id: z.string(),
  organizationId: z.string().optional(),
  workspaceId: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  prefix: z.string(),
  issuedBy: z.string(),
  createdAt: Time,
  expiresAt: Time.nullable(),
  revokedAt: Time.nullable(),
  lastUsedAt: Time.nullable(),
});

/** The 201 of a key: the whole key, shown this once. */
export const IssuedApiKeySchema = ApiKeySchema.extend({ key: z.string() });

export const ProfileSchema = z.object({
  userId: z.string(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  organizationName: z.string().nullable(),
  timeZone: z.string().nullable(),
  customInstructions: z.string().nullable(),
  updatedAt: Time.nullable(),
});

/** GET /v1/me/organizations: where the caller has a seat (the console's organization and workspace switcher). */
export const MyOrganizationsSchema = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      role: z.enum(ROLES).nullable(),
      workspaces: z.array(z.object({ workspaceId: z.string(), role: z.enum(ROLES) })),
    }),
  ),
});

export const ActivityPageSchema = z.object({ items: z.array(ActivityEntrySchema), nextCursor: z.string().nullable() });
