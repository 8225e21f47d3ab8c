import { z } from 'zod';
import {
  CUSTOM_INSTRUCTIONS_MAX,
  DisplayNameSchema,
  EmailSchema,
  INVITATION_MESSAGE_MAX,
  RoleSchema,
  TimeZoneSchema,
  derivedId,
  isRole,
  type Role,
  SearchTermSchema,
  freeText,
  text,
} from '@steward/contracts';
import { GatewayError, GatewayErrorCode } from '../../gateway.error';
import { defineRoute, type AnyRoute } from '../../route';
import { generateInvitationToken, hashInvitationToken, parseInvitationToken } from './invitation-token';
import { commandIdFor } from '../command-ids';
import { PathId, pageQuery, pageSchema } from '../route-params';
import { TeamRouteKit } from './team-route.support';
import { personIn, type StewardUserPrincipal } from '../../auth/person.principal';
import { AcceptedInvitationSchema, InvitationSchema, IssuedInvitationSchema, MemberSchema, MyOrganizationsSchema, ProfileSchema } from './team-views.schema';

/** `"<role>"`: a member's ETag, and what If-Match states as the role the caller saw. */
function roleTag(role: Role): string {
  return `"${role}"`;
}

function roleFromIfMatch(header: string | string[] | undefined): Role | undefined {
  if (header === undefined) return undefined;
  const value = (Array.isArray(header) ? header[0] : header)?.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  if (value === undefined || !isRole(value)) {
    throw new GatewayError(GatewayErrorCode.Validation, 'If-Match must be the ETag of the member (its role, quoted)', {
      errors: [{ field: 'header.If-Match', message: 'not a member ETag' }],
    });
  }
  return value;
}

/** Invitations, members and the caller's own profile. */
export function teamRoutes(kit: TeamRouteKit): AnyRoute[] {
  return [
    defineRoute({
      operationId: 'listInvitations',
      method: 'GET',
      path: '/v1/workspaces/{wsId}/invitations',
      summary: 'Invitations to a workspace, newest first',
      tags: ['team'],
      permission: 'invitation.read',
      scope: 'workspace',
      params: z.strictObject({ wsId: PathId }),
      query: z.strictObject({ ...pageQuery, status: z.enum(['pending', 'accepted', 'revoked', 'expired']).optional() }),
      responses: { 200: pageSchema(InvitationSchema) },
      handler: async ({ params, query, principal }) => {
        const page = await kit.query(() => kit.invitations.listInvitations(params.wsId, query));
        kit.recordRead(principal, await kit.organizationOfWorkspace(params.wsId), { resourceType: 'invitation', action: 'fetch_all', workspaceId: params.wsId });
        return { status: 200, body: page };
      },
    }),
    defineRoute({
      operationId: 'getInvitation',
      method: 'GET',
      path: '/v1/workspaces/{wsId}/invitations/{id}',
      summary: 'One invitation (never its token)',
      tags: ['team'],
      permission: 'invitation.read',
      scope: 'workspace',
      params: z.strictObject({ wsId: PathId, id: PathId }),
      responses: { 200: InvitationSchema },
      handler: async ({ params, principal }) => {
        const invitation = await kit.invitations.getInvitation(params.wsId, params.id);
        if (!invitation) throw new GatewayError(GatewayErrorCode.NotFound, 'no such invitation');
        kit.recordRead(principal, invitation.organizationId, { resourceType: 'invitation', action: 'fetch', resourceId: params.id, workspaceId: params.wsId });
        return { status: 200, body: invitation };
      },
    }),
    defineRoute({
      operationId: 'inviteMember',
      method: 'POST',
      path: '/v1/workspaces/{wsId}/invitations',
      summary: 'Invite someone by email; the answer carries the acceptance token, this once',
      tags: ['team'],
      permission: 'member.invite',
      scope: 'workspace',
      params: z.strictObject({ wsId: PathId }),
      body: z.strictObject({ email: EmailSchema, role: RoleSchema, message: freeText(INVITATION_MESSAGE_MAX).optional() }),
      responses: { 201: IssuedInvitationSchema },
      handler: async ({ params, body, principal, idempotencyKey, requestId }) => {
        const caller = kit.caller(principal);
        const commandId = commandIdFor(principal, idempotencyKey);
        const invitationId = derivedId('invitation', commandId);
        const { token, hash } = generateInvitationToken(invitationId);
        const organizationId = await kit.organizationOfWorkspace(params.wsId);
        const issuedAt = kit.issuedAt();
        const answer = await kit.sender.send(
          'InviteMember',
          {
            workspaceId: params.wsId,
            invitationId,
            email: body.email,
            role: body.role,
            ...(body.message !== undefined ? { message: body.message } : {}),
            tokenHash: hash,
          },
          { commandId, caller, organizationId, workspaceId: params.wsId, requestId, issuedAt },
        );
        return {
          status: 201,
          headers: { location: `/v1/workspaces/${params.wsId}/invitations/${invitationId}` },
          body: {
            id: invitationId,
            ...(organizationId !== undefined ? { organizationId } : {}),
            workspaceId: params.wsId,
            email: body.email,
            role: body.role,
            message: body.message ?? null,
            status: 'pending',
            invitedBy: caller.actor.id,
            createdAt: issuedAt,
            expiresAt: answer.expiresAt,
            acceptedAt: null,
            acceptedBy: null,
            revokedAt: null,
            token,
          },
        };
      },
    }),
    defineRoute({
      operationId: 'revokeInvitation',
      method: 'DELETE',
      path: '/v1/workspaces/{wsId}/invitations/{id}',
      summary: 'Revoke a pending invitation',
      tags: ['team'],
      permission: 'invitation.revoke',
      scope: 'workspace',
      params: z.strictObject({ wsId: PathId, id: PathId }),
      responses: { 204: null },
      handler: async ({ params, principal, requestId }) => {
        await kit.sender.send(
          'RevokeInvitation',
          { workspaceId: params.wsId, invitationId: params.id },
          { commandId: commandIdFor(principal, undefined), caller: kit.caller(principal), workspaceId: params.wsId, requestId, issuedAt: kit.issuedAt() },
        );
        return { status: 204 };
      },
    }),
    defineRoute({
      operationId: 'acceptInvitation',
      method: 'POST',
      path: '/v1/invitations/accept',
      summary: 'Accept an invitation with its token',
      description:
        'Signed in: you join as yourself. Not signed in: a new person joins (give your name) and the answer carries your user token, this once. ' +
        '`email` is not needed: a new person joins under the email the invitation went to. ' +
        'A retry with the same Idempotency-Key gets the first answer; if that answer was lost, the retry answers a new secret ' +
        'for the same token (the lost one stops working) while the token has never been used and is under 24 h old, else no `token`.',
      tags: ['team'],
      permission: null,
      scope: 'none',
      body: z.strictObject({ token: text({ min: 1, max: 200, singleLine: true }), name: DisplayNameSchema.optional(), email: EmailSchema.optional() }),
      responses: { 201: AcceptedInvitationSchema },
      handler: async ({ body, principal, idempotencyKey, requestId }) => {
        const parsed = parseInvitationToken(body.token);
        if (!parsed) throw new GatewayError(GatewayErrorCode.Validation, 'not an invitation token', { errors: [{ field: 'body.token', message: 'not an invitation token' }] });
        const signedIn = principal ? kit.person(principal) : undefined;
        const commandId = commandIdFor(principal, idempotencyKey);
        const userId = signedIn?.userId ?? derivedId('user', commandId);
        const caller = signedIn ?? { actor: { type: 'user' as const, id: userId }, userId, email: undefined, organizationId: undefined };
        const answer = await kit.sender.send(
          'AcceptInvitation',
          {
            invitationId: parsed.invitationId,
            tokenHash: hashInvitationToken(body.token),
            userId,
            ...(signedIn ? {} : { newUser: body.name !== undefined ? { name: body.name } : {} }),
          },
          { commandId, caller, requestId, issuedAt: kit.issuedAt() },
        );
        const { workspaceId, organizationId, role, email } = answer.invitation;
        return {
          status: 201,
          headers: { location: `/v1/workspaces/${workspaceId}/members/${userId}` },
          body: {
            invitationId: parsed.invitationId,
            userId,
            workspaceId,
            organizationId,
            role,
            email: signedIn?.email ?? email,
            ...(answer.userToken ? { token: answer.userToken.token } : {}),
          },
        };
      },
    }),
    defineRoute({
      operationId: 'listMembers',
      method: 'GET',
      path: '/v1/workspaces/{wsId}/members',
      summary: 'Members of a workspace, oldest first; search by email or name, filter by role',
      tags: ['team'],
      permission: 'member.read',
      scope: 'workspace',
      params: z.strictObject({ wsId: PathId }),
      query: z.strictObject({ ...pageQuery, search: SearchTermSchema.optional(), role: RoleSchema.optional() }),
      responses: { 200: pageSchema(MemberSchema) },
      handler: async ({ params, query, principal }) => {
        const key = `members\u0000${params.wsId}\u0000${query.page}\u0000${query.pageSize}\u0000${query.role ?? ''}\u0000${query.search ?? ''}`;
        const page = await kit.query(() => kit.cachedTeamRead(key, () => kit.members.listMembers(params.wsId, query)));
        kit.recordRead(principal, page.items[0]?.organizationId ?? (await kit.organizationOfWorkspace(params.wsId)), {
          resourceType: 'member',
          action: 'fetch_all',
          workspaceId: params.wsId,
        });
        return { status: 200, body: page };
      },
    }),
    defineRoute({
      operationId: 'getMember',
      method: 'GET',
      path: '/v1/workspaces/{wsId}/members/{userId}',
      summary: 'One member; the ETag is its role (send it back as If-Match when changing it)',
      tags: ['team'],
      permission: 'member.read',
      scope: 'workspace',
      params: z.strictObject({ wsId: PathId, userId: PathId }),
      responses: { 200: MemberSchema },
      handler: async ({ params, principal }) => {
        const member = await kit.members.getMember(params.wsId, params.userId);
        if (!member) throw new GatewayError(GatewayErrorCode.NotFound, 'no such member');
        kit.recordRead(principal, member.organizationId, { resourceType: 'member', action: 'fetch', resourceId: params.userId, workspaceId: params.wsId });
        return { status: 200, body: member, headers: { etag: roleTag(member.role) } };
      },
    }),
    defineRoute({
      operationId: 'changeMemberRole',
      method: 'PATCH',
      path: '/v1/workspaces/{wsId}/members/{userId}',
      summary: "Change a member's role",
      description:
        'Optimistic concurrency: `If-Match: "<role>"` (the ETag of GET) or `expectedRole` refuses with 409 when the role is no longer the one you saw.',
      tags: ['team'],
      permission: 'member.update_role',
      scope: 'workspace',
      params: z.strictObject({ wsId: PathId, userId: PathId }),
      body: z.strictObject({ role: RoleSchema, expectedRole: RoleSchema.optional() }),
      responses: { 200: MemberSchema },
      handler: async ({ params, body, principal, idempotencyKey, requestId, headers }) => {
        const ifMatch = roleFromIfMatch(headers['if-match']);
        if (ifMatch !== undefined && body.expectedRole !== undefined && ifMatch !== body.expectedRole) {
          throw new GatewayError(GatewayErrorCode.Validation, 'If-Match and expectedRole disagree', {
            errors: [{ field: 'body.expectedRole', message: 'differs from If-Match' }],
          });
        }
        const expectedRole = body.expectedRole ?? ifMatch;
        const organizationId = await kit.organizationOfWorkspace(params.wsId);
        await kit.sender.send(
          'ChangeMemberRole',
          { workspaceId: params.wsId, userId: params.userId, role: body.role, ...(expectedRole !== undefined ? { expectedRole } : {}) },
          { commandId: commandIdFor(principal, idempotencyKey), caller: kit.caller(principal), organizationId, workspaceId: params.wsId, requestId, issuedAt: kit.issuedAt() },
        );
        const seen = await kit.members.getMember(params.wsId, params.userId);
        return {
          status: 200,
          headers: { etag: roleTag(body.role) },
          body: { ...(seen ?? { workspaceId: params.wsId, userId: params.userId }), role: body.role },
        };
      },
    }),
    defineRoute({
      operationId: 'removeMember',
      method: 'DELETE',
      path: '/v1/workspaces/{wsId}/members/{userId}',
      summary: 'Remove a member from a workspace',
      tags: ['team'],
      permission: 'member.remove',
      scope: 'workspace',
      params: z.strictObject({ wsId: PathId, userId: PathId }),
      responses: { 204: null },
      handler: async ({ params, principal, requestId }) => {
        await kit.sender.send(
          'RemoveMember',
          { workspaceId: params.wsId, userId: params.userId },
          { commandId: commandIdFor(principal, undefined), caller: kit.caller(principal), workspaceId: params.wsId, requestId, issuedAt: kit.issuedAt() },
        );
        return { status: 204 };
      },
    }),
    defineRoute({
      operationId: 'getMyProfile',
      method: 'GET',
      path: '/v1/me',
      summary: 'Your profile',
      tags: ['profile'],
      permission: 'profile.read',
      scope: 'none',
      responses: { 200: ProfileSchema },
      handler: async ({ principal }) => {
        const caller = kit.person(principal);
        const profile = await kit.profiles.getProfile(caller.userId);
        kit.recordRead(principal, caller.organizationId, { resourceType: 'user_profile', action: 'fetch', resourceId: caller.userId });
        return {
          status: 200,
          body: profile ?? {
            userId: caller.userId,
            email: caller.email ?? null,
            name: null,
            organizationName: null,
            timeZone: null,
            customInstructions: null,
            updatedAt: null,
          },
        };
      },
    }),
    defineRoute({
      operationId: 'listMyOrganizations',
      method: 'GET',
      path: '/v1/me/organizations',
      summary: 'The organizations you belong to: your organization-wide role and your role in each of your workspaces',
      tags: ['profile'],
      permission: 'profile.read',
      scope: 'none',
      responses: { 200: MyOrganizationsSchema },
      handler: async ({ principal }) => {
        kit.person(principal);
        const person = principal as StewardUserPrincipal;
        const items = [];
        for (const organizationId of person.organizationIds ?? []) {
          const seat = personIn(person, organizationId);
          const organization = await kit.organizations.getOrganization(organizationId);
          // a seat the read model does not show yet (projection behind) is left out rather than shown nameless
          if (seat === undefined || organization === undefined) continue;
          items.push({
            id: organizationId,
            name: organization.name,
            role: seat.orgRole ?? null,
            workspaces: Object.entries(seat.memberships).map(([workspaceId, role]) => ({ workspaceId, role })),
          });
        }
        return { status: 200, body: { items } };
      },
    }),
    defineRoute({
      operationId: 'updateMyProfile',
      method: 'PATCH',
      path: '/v1/me',
      summary: 'Change your profile: name, organization name, IANA time zone, custom instructions (null clears)',
      tags: ['profile'],
      permission: 'profile.update',
      scope: 'none',
      body: z.strictObject({
        name: DisplayNameSchema.nullable().optional(),
        organizationName: DisplayNameSchema.nullable().optional(),
        timeZone: TimeZoneSchema.nullable().optional(),
        customInstructions: freeText(CUSTOM_INSTRUCTIONS_MAX).nullable().optional(),
      }),
      responses: { 200: ProfileSchema },
      handler: async ({ body, principal, idempotencyKey, requestId }) => {
        const caller = kit.person(principal);
        const issuedAt = kit.issuedAt();
        const patch = Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined)) as typeof body;
        await kit.sender.send('UpdateUserProfile', patch, { commandId: commandIdFor(principal, idempotencyKey), caller, requestId, issuedAt });
        const before = await kit.profiles.getProfile(caller.userId);
        return {
          status: 200,
          body: {
            userId: caller.userId,
            email: before?.email ?? caller.email ?? null,
            name: before?.name ?? null,
            organizationName: before?.organizationName ?? null,
            timeZone: before?.timeZone ?? null,
            customInstructions: before?.customInstructions ?? null,
            ...patch,
            updatedAt: issuedAt,
          },
        };
      },
    }),
  ];
}
