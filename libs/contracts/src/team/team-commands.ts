import { z } from 'zod';
import type { AppendedEvent, CommandAnswer } from '../command';
import { freeText } from '../fields';
import { RoleSchema, type Role } from './roles';
import {
  ApiKeyPrefixSchema,
  ApiKeyScopeSchema,
  CUSTOM_INSTRUCTIONS_MAX,
  DisplayNameSchema,
  EmailSchema,
  INVITATION_MESSAGE_MAX,
  IsoTimeSchema,
  SecretHashSchema,
  TeamIdSchema,
  TimeZoneSchema,
  WorkspaceStatusSchema,
} from './team-fields';
import { AnnouncementCommandPayloads } from './announcements';

/*
 * The payloads of the team context's commands (the `payload` of a
 * CommandEnvelope whose `type` is the key). Ids of new aggregates are chosen
 * by the caller. Time comes from the envelope's `issuedAt`; the actor from its
 * `actor`. Unknown fields are refused.
 */

export const CreateOrganizationPayload = z
  .object({
    organizationId: TeamIdSchema,
    name: DisplayNameSchema,
    /** The organization's first workspace, created with it. */
    workspaceId: TeamIdSchema,
    workspaceName: DisplayNameSchema,
    /** The first owner. A user actor may only name itself; the system (bootstrap) may name anyone. */
    owner: z.object({ userId: TeamIdSchema, email: EmailSchema }).strict(),
  })
  .strict();

export const CreateWorkspacePayload = z
  .object({ organizationId: TeamIdSchema, workspaceId: TeamIdSchema, name: DisplayNameSchema, ownerEmail: EmailSchema })
  .strict();

export const RenameWorkspacePayload = z.object({ workspaceId: TeamIdSchema, name: DisplayNameSchema }).strict();

export const ChangeWorkspaceStatusPayload = z
  .object({ workspaceId: TeamIdSchema, status: WorkspaceStatusSchema, reason: freeText(500).optional() })
  .strict();

/**
 * A workspace's settings in one command: a new name, a new status, or both. It is decided as a rename
 * followed by a status change on the same state, and lands whole or not at all (one command id, so a
 * resent PATCH is the same change).
 */
export const UpdateWorkspacePayload = z
  .object({
    workspaceId: TeamIdSchema,
    name: DisplayNameSchema.optional(),
    status: WorkspaceStatusSchema.optional(),
    /** Only with `status`. */
    reason: freeText(500).optional(),
  })
  .strict()
  .refine((payload) => payload.name !== undefined || payload.status !== undefined, { message: 'give a name, a status or both' })
  .refine((payload) => payload.reason === undefined || payload.status !== undefined, { message: 'a reason goes with a status', path: ['reason'] });

export const InviteMemberPayload = z
  .object({
    workspaceId: TeamIdSchema,
    invitationId: TeamIdSchema,
    email: EmailSchema,
    role: RoleSchema,
    message: freeText(INVITATION_MESSAGE_MAX).optional(),
    /** SHA-256 (hex) of the acceptance token the gateway generated and shows once. */
    tokenHash: SecretHashSchema,
  })
  .strict();

export const AcceptInvitationPayload = z
  .object({
    invitationId: TeamIdSchema,
    /** SHA-256 (hex) of the token the invitee presented. */
    tokenHash: SecretHashSchema,
    /** The user joining: the gateway's id for the person accepting. */
    userId: TeamIdSchema,
    /**
     * Present when a new person joins (not signed in): the team context issues their user token and
     * answers it once (AcceptInvitationAnswer.userToken); `name` starts their profile.
     */
    newUser: z.object({ name: DisplayNameSchema.optional() }).strict().optional(),
  })
  .strict();

export const RevokeInvitationPayload = z.object({ workspaceId: TeamIdSchema, invitationId: TeamIdSchema }).strict();

export const ChangeMemberRolePayload = z
  .object({
    workspaceId: TeamIdSchema,
    userId: TeamIdSchema,
    role: RoleSchema,
    /**
     * Optional precondition: the role the caller saw. When the member's role is
     * no longer this one the command is refused with CONFLICT instead of
     * overwriting a change the caller did not see.
     */
    expectedRole: RoleSchema.optional(),
  })
  .strict();

export const RemoveMemberPayload = z.object({ workspaceId: TeamIdSchema, userId: TeamIdSchema }).strict();

export const IssueApiKeyPayload = z
  .object({
    workspaceId: TeamIdSchema,
    apiKeyId: TeamIdSchema,
    name: DisplayNameSchema,
    scopes: z.array(ApiKeyScopeSchema).min(1).max(50),
    prefix: ApiKeyPrefixSchema,
    /** SHA-256 (hex) of the whole key; the key itself is shown once by the gateway and never sent here. */
    keyHash: SecretHashSchema,
    expiresAt: IsoTimeSchema.optional(),
  })
  .strict();

export const RevokeApiKeyPayload = z.object({ workspaceId: TeamIdSchema, apiKeyId: TeamIdSchema }).strict();

/** The actor's own profile. A field left out keeps its value; `null` clears it. */
export const UpdateUserProfilePayload = z
  .object({
    name: DisplayNameSchema.nullable().optional(),
    organizationName: DisplayNameSchema.nullable().optional(),
    timeZone: TimeZoneSchema.nullable().optional(),
    customInstructions: freeText(CUSTOM_INSTRUCTIONS_MAX).nullable().optional(),
  })
  .strict();

/** Every team command type with its payload schema. */
export const TeamCommandPayloads = {
  CreateOrganization: CreateOrganizationPayload,
  CreateWorkspace: CreateWorkspacePayload,
  RenameWorkspace: RenameWorkspacePayload,
  ChangeWorkspaceStatus: ChangeWorkspaceStatusPayload,
  UpdateWorkspace: UpdateWorkspacePayload,
  InviteMember: InviteMemberPayload,
  AcceptInvitation: AcceptInvitationPayload,
  RevokeInvitation: RevokeInvitationPayload,
  ChangeMemberRole: ChangeMemberRolePayload,
  RemoveMember: RemoveMemberPayload,
  IssueApiKey: IssueApiKeyPayload,
  RevokeApiKey: RevokeApiKeyPayload,
  UpdateUserProfile: UpdateUserProfilePayload,
  ...AnnouncementCommandPayloads,
} as const;

export type TeamCommandType = keyof typeof TeamCommandPayloads;
export const TEAM_COMMAND_TYPES = Object.keys(TeamCommandPayloads) as TeamCommandType[];
export type TeamCommandPayload<T extends TeamCommandType> = z.output<(typeof TeamCommandPayloads)[T]>;
/** Input shape (before zod's transforms, e.g. emails not yet lower-cased): what a caller sends. */
export type TeamCommandInput<T extends TeamCommandType> = z.input<(typeof TeamCommandPayloads)[T]>;

/** One event a team command appended. */
export type TeamAppendedEvent = AppendedEvent;

/**
 * What a team handler answers when it accepts a command. A command resent with
 * the same `commandId` answers the same events with `replayed: true`.
 * Refusals are errors whose body is a TeamErrorBody.
 */
export type TeamCommandAnswer = CommandAnswer;

/** InviteMember's answer: when the invitation expires, as the decider set it. */
export interface InviteMemberAnswer extends TeamCommandAnswer {
  readonly expiresAt: string;
}

/**
 * AcceptInvitation's answer: the invitation accepted, and for a new person (`newUser`) their user token.
 * The token's secret is generated by team-rbac, stored only as a hash, never put in an event or a log.
 * A resent command (same `commandId`) answers the same acceptance; its `userToken` is the same token id
 * with a new secret (the one answered before stops working) while that token has never been used and is
 * under 24 h old, else it is absent: a token in use is never taken from its holder by a retry.
 */
export interface AcceptInvitationAnswer extends TeamCommandAnswer {
  readonly invitation: {
    readonly invitationId: string;
    readonly organizationId: string;
    readonly workspaceId: string;
    readonly email: string;
    readonly role: Role;
  };
  readonly userId: string;
  readonly userToken?: { readonly tokenId: string; readonly token: string };
}

/** The answer of each team command (TeamCommandAnswer unless it tells more). */
export type TeamCommandAnswerOf<T extends TeamCommandType> = T extends 'AcceptInvitation'
  ? AcceptInvitationAnswer
  : T extends 'InviteMember'
    ? InviteMemberAnswer
    : TeamCommandAnswer;
