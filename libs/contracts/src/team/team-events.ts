import { z } from 'zod';
import { EventRegistry, defineEvent, type DefinedEvent } from '../registry';
import { freeText, storedText } from '../fields';
import { RoleSchema } from './roles';
import {
  ApiKeyPrefixSchema,
  ApiKeyScopeSchema,
  CUSTOM_INSTRUCTIONS_MAX,
  EmailSchema,
  INVITATION_MESSAGE_MAX,
  IsoTimeSchema,
  SecretHashSchema,
  TeamIdSchema,
  TimeZoneSchema,
  WorkspaceStatusSchema,
} from './team-fields';
import { ANNOUNCEMENT_EVENTS } from './announcements';

/*
 * The team context's events, version 1. Streams (see TeamStreams):
 *   team-organization-<id>  OrganizationCreated, OrganizationOwnerAdded, OrganizationOwnerRemoved
 *   team-workspace-<id>     WorkspaceCreated, WorkspaceRenamed, WorkspaceStatusChanged,
 *                           MemberJoined, MemberRoleChanged, MemberRemoved
 *   team-invitation-<id>    MemberInvited, InvitationAccepted, InvitationRevoked
 *   team-apikey-<id>        ApiKeyIssued, ApiKeyRevoked
 *   team-user-<id>          UserProfileUpdated, AnnouncementRead
 *   team-announcement-<id>, team-platform-admins: see ./announcements
 * Last use of an API key is not an event: the gateway writes it to the read model.
 */

const scoped = { organizationId: TeamIdSchema, workspaceId: TeamIdSchema };

/** Names as published (see storedText): the commands hold new ones to DisplayNameSchema. */
const DisplayNameSchema = storedText(200);

export const OrganizationCreated = defineEvent({
  type: 'OrganizationCreated',
  version: 1,
  context: 'team',
  schema: z
    .object({
      organizationId: TeamIdSchema,
      name: DisplayNameSchema,
      ownerUserId: TeamIdSchema,
      ownerEmail: EmailSchema,
      /** The workspace created with the organization, where the owner is the first member. */
      firstWorkspaceId: TeamIdSchema,
      createdAt: IsoTimeSchema,
    })
    .strict(),
});

/** `userId` became an owner of the organization through the owner role in `workspaceId`. */
export const OrganizationOwnerAdded = defineEvent({
  type: 'OrganizationOwnerAdded',
  version: 1,
  context: 'team',
  schema: z.object({ ...scoped, userId: TeamIdSchema }).strict(),
});

/** `userId` no longer holds the owner role in `workspaceId`. */
export const OrganizationOwnerRemoved = defineEvent({
  type: 'OrganizationOwnerRemoved',
  version: 1,
  context: 'team',
  schema: z.object({ ...scoped, userId: TeamIdSchema }).strict(),
});

export const WorkspaceCreated = defineEvent({
  type: 'WorkspaceCreated',
  version: 1,
  context: 'team',
  schema: z
    .object({ ...scoped, name: DisplayNameSchema, status: z.literal('provisioning'), createdBy: TeamIdSchema, createdAt: IsoTimeSchema })
    .strict(),
});

export const WorkspaceRenamed = defineEvent({
  type: 'WorkspaceRenamed',
  version: 1,
  context: 'team',
  schema: z.object({ ...scoped, name: DisplayNameSchema, previousName: DisplayNameSchema }).strict(),
});

export const WorkspaceStatusChanged = defineEvent({
  type: 'WorkspaceStatusChanged',
  version: 1,
  context: 'team',
  schema: z
    .object({ ...scoped, from: WorkspaceStatusSchema, to: WorkspaceStatusSchema, reason: freeText(500).optional() })
    .strict(),
});

/** A user became a member of the workspace: its creator, or an invitee on acceptance. */
export const MemberJoined = defineEvent({
  type: 'MemberJoined',
  version: 1,
  context: 'team',
  schema: z
    .object({
      ...scoped,
      userId: TeamIdSchema,
      email: EmailSchema,
      role: RoleSchema,
      via: z.enum(['creation', 'invitation']),
      invitationId: TeamIdSchema.optional(),
      joinedAt: IsoTimeSchema,
    })
    .strict(),
});

export const MemberRoleChanged = defineEvent({
  type: 'MemberRoleChanged',
  version: 1,
  context: 'team',
  schema: z.object({ ...scoped, userId: TeamIdSchema, from: RoleSchema, to: RoleSchema, changedBy: TeamIdSchema }).strict(),
});

export const MemberRemoved = defineEvent({
  type: 'MemberRemoved',
  version: 1,
  context: 'team',
  schema: z.object({ ...scoped, userId: TeamIdSchema, role: RoleSchema, removedBy: TeamIdSchema }).strict(),
});

export const MemberInvited = defineEvent({
  type: 'MemberInvited',
  version: 1,
  context: 'team',
  schema: z
    .object({
      ...scoped,
      invitationId: TeamIdSchema,
      email: EmailSchema,
      role: RoleSchema,
      message: freeText(INVITATION_MESSAGE_MAX).optional(),
      /** SHA-256 of the acceptance token; the token is shown once by the gateway. */
      tokenHash: SecretHashSchema,
      invitedBy: TeamIdSchema,
      invitedAt: IsoTimeSchema,
      expiresAt: IsoTimeSchema,
    })
    .strict(),
});

export const InvitationAccepted = defineEvent({
  type: 'InvitationAccepted',
  version: 1,
  context: 'team',
  schema: z
    .object({ ...scoped, invitationId: TeamIdSchema, userId: TeamIdSchema, email: EmailSchema, role: RoleSchema, acceptedAt: IsoTimeSchema })
    .strict(),
});

export const InvitationRevoked = defineEvent({
  type: 'InvitationRevoked',
  version: 1,
  context: 'team',
  schema: z.object({ ...scoped, invitationId: TeamIdSchema, revokedBy: TeamIdSchema, revokedAt: IsoTimeSchema }).strict(),
});

export const ApiKeyIssued = defineEvent({
  type: 'ApiKeyIssued',
  version: 1,
  context: 'team',
  schema: z
    .object({
      ...scoped,
      apiKeyId: TeamIdSchema,
      name: DisplayNameSchema,
      scopes: z.array(ApiKeyScopeSchema).min(1).max(50),
      /** The visible start of the key, for lists. */
      prefix: ApiKeyPrefixSchema,
      /** SHA-256 of the whole key, so the read model can authenticate it. Never the key itself. */
      keyHash: SecretHashSchema,
      issuedBy: TeamIdSchema,
      issuedAt: IsoTimeSchema,
      expiresAt: IsoTimeSchema.optional(),
    })
    .strict(),
});

export const ApiKeyRevoked = defineEvent({
  type: 'ApiKeyRevoked',
  version: 1,
  context: 'team',
  schema: z.object({ ...scoped, apiKeyId: TeamIdSchema, revokedBy: TeamIdSchema, revokedAt: IsoTimeSchema }).strict(),
});

/** The whole profile after the change (null: not set). */
export const UserProfileUpdated = defineEvent({
  type: 'UserProfileUpdated',
  version: 1,
  context: 'team',
  schema: z
    .object({
      userId: TeamIdSchema,
      name: DisplayNameSchema.nullable(),
      organizationName: DisplayNameSchema.nullable(),
      timeZone: TimeZoneSchema.nullable(),
      customInstructions: freeText(CUSTOM_INSTRUCTIONS_MAX).nullable(),
      updatedAt: IsoTimeSchema,
    })
    .strict(),
});

export const TEAM_EVENTS = [
  OrganizationCreated,
  OrganizationOwnerAdded,
  OrganizationOwnerRemoved,
  WorkspaceCreated,
  WorkspaceRenamed,
  WorkspaceStatusChanged,
  MemberJoined,
  MemberRoleChanged,
  MemberRemoved,
  MemberInvited,
  InvitationAccepted,
  InvitationRevoked,
  ApiKeyIssued,
  ApiKeyRevoked,
  UserProfileUpdated,
  ...ANNOUNCEMENT_EVENTS,
] as const;

/** One team event as the deciders see it: `type` plus validated `data` (latest version). */
export type TeamEvent = DefinedEvent<(typeof TEAM_EVENTS)[number]>;
export type TeamEventType = TeamEvent['type'];
export type TeamEventOf<T extends TeamEventType> = Extract<TeamEvent, { type: T }>;
/** The announcement events (see ./announcements): the team read model leaves them to the announcements one. */
export type AnnouncementEventType = (typeof ANNOUNCEMENT_EVENTS)[number]['type'];
/** The team events of organizations, workspaces, members, invitations, keys and profiles. */
export type TeamMembershipEvent = TeamEventOf<Exclude<TeamEventType, AnnouncementEventType>>;

export const teamEventRegistry = new EventRegistry().register(...TEAM_EVENTS);
