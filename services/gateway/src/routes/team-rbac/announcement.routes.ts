import { z } from 'zod';
import {
  ANNOUNCEMENT_BODY_MAX,
  ANNOUNCEMENT_TITLE_MAX,
  AnnouncementAudienceSchema,
  AnnouncementKindSchema,
  MaintenanceWindowSchema,
  announcementWindowProblem,
  derivedId,
  freeText,
  nameText,
} from '@steward/contracts';
import { can } from '@steward/auth';
import type { AnnouncementReader, AnnouncementView } from '@steward/team-rbac';
import { isAuthPrincipal } from '../../auth/steward.authorizer';
import { GatewayError, GatewayErrorCode } from '../../gateway.error';
import { defineRoute, type AnyRoute, type Principal } from '../../route';
import { commandIdFor } from '../command-ids';
import { PathId, pageQuery } from '../route-params';
import { TeamRouteKit } from './team-route.support';
import { AnnouncementSchema, ReaderAnnouncementPageSchema, ReaderAnnouncementSchema } from './team-views.schema';

const TAGS = ['announcements'];

const Body = freeText(ANNOUNCEMENT_BODY_MAX).refine((body) => body.trim().length > 0, 'must not be empty');

/** The body of the actions (publish, unpublish, read): an empty JSON object. */
const Empty = z.strictObject({});

/** `true` / `false` in a query string. */
const QueryBoolean = z.enum(['true', 'false']).transform((value) => value === 'true');

/** Who reads: the person and every organization they belong to (the audience is matched against them). */
export function announcementReader(kit: TeamRouteKit, principal: Principal | undefined): AnnouncementReader {
  const caller = kit.person(principal);
  const organizationIds = (principal as { organizationIds?: readonly string[] } | undefined)?.organizationIds;
  return { userId: caller.userId, organizationIds: organizationIds ?? (caller.organizationId !== undefined ? [caller.organizationId] : []) };
}

function isPlatformAdmin(principal: Principal | undefined): boolean {
  return principal !== undefined && isAuthPrincipal(principal) && can(principal, 'announcement.manage');
}

/**
 * Platform announcements (the dashboard's Announcements card): platform administrators author, revise,
 * publish and unpublish them; every person reads those addressed to one of their organizations (or to all)
 * and marks them read. An announcement not addressed to the caller does not exist for them (404).
 */
export function announcementRoutes(kit: TeamRouteKit): AnyRoute[] {
  /** Any announcement, for a platform administrator's change (404 when there is none). */
  const existing = async (announcementId: string): Promise<AnnouncementView> => {
    const announcement = await kit.announcements.get(announcementId);
    if (!announcement) throw new GatewayError(GatewayErrorCode.NotFound, 'no such announcement');
    return announcement;
  };
  const manage = (operationId: string, action: 'publish' | 'unpublish', type: 'PublishAnnouncement' | 'UnpublishAnnouncement', summary: string) =>
    defineRoute({
      operationId,
      method: 'POST',
      path: `/v1/announcements/{id}/${action}`,
      summary,
      tags: TAGS,
      permission: 'announcement.manage',
      scope: 'none',
      description: 'Send an empty JSON object as the body.',
      params: z.strictObject({ id: PathId }),
      body: Empty,
      responses: { 200: AnnouncementSchema },
      handler: async ({ params, principal, idempotencyKey, requestId }) => {
        await existing(params.id);
        await kit.sender.send(type, { announcementId: params.id }, { commandId: commandIdFor(principal, idempotencyKey), caller: kit.person(principal), requestId, issuedAt: kit.issuedAt() });
        return { status: 200, body: await existing(params.id) };
      },
    });

  return [
    defineRoute({
      operationId: 'listAnnouncements',
      method: 'GET',
      path: '/v1/announcements',
      summary: 'Your announcements (published, addressed to one of your organizations or to all), newest first, each with your read marker',
      description:
        '`unread=true`: only those you have not marked read; `unreadCount` counts them whatever the filter. A platform administrator passes `view=all` to list every announcement, drafts and unpublished ones too (their `read` is then absent).',
      tags: TAGS,
      permission: 'announcement.read',
      scope: 'none',
      query: z.strictObject({
        ...pageQuery,
        unread: QueryBoolean.optional(),
        view: z.enum(['mine', 'all']).default('mine'),
        status: z.enum(['draft', 'published', 'unpublished']).optional(),
      }),
      responses: { 200: ReaderAnnouncementPageSchema },
      handler: async ({ query, principal }) => {
        if (query.view === 'all') {
          if (!isPlatformAdmin(principal)) throw new GatewayError(GatewayErrorCode.Forbidden, 'Only a platform administrator may list every announcement.');
          const page = await kit.query(() => kit.announcements.listAll({ page: query.page, pageSize: query.pageSize, ...(query.status !== undefined ? { status: query.status } : {}) }));
          return { status: 200, body: page };
        }
        if (query.status !== undefined) {
          throw new GatewayError(GatewayErrorCode.Validation, 'status filters view=all only', { errors: [{ field: 'query.status', message: 'only with view=all' }] });
        }
        const reader = announcementReader(kit, principal);
        const page = await kit.query(() => kit.announcements.listFor(reader, { page: query.page, pageSize: query.pageSize, ...(query.unread !== undefined ? { unread: query.unread } : {}) }));
        return { status: 200, body: page };
      },
    }),
    defineRoute({
      operationId: 'createAnnouncement',
      method: 'POST',
      path: '/v1/announcements',
      summary: 'Draft an announcement (platform administrators): feature, release or maintenance (with its window), to all or some organizations',
      tags: TAGS,
      permission: 'announcement.manage',
      scope: 'none',
      body: z
        .strictObject({
          kind: AnnouncementKindSchema,
          title: nameText(ANNOUNCEMENT_TITLE_MAX),
          body: Body,
          audience: AnnouncementAudienceSchema,
          window: MaintenanceWindowSchema.optional(),
        })
        .superRefine((body, ctx) => {
          const problem = announcementWindowProblem(body.kind, body.window);
          if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['window'] });
        }),
      responses: { 201: AnnouncementSchema },
      handler: async ({ body, principal, idempotencyKey, requestId }) => {
        const commandId = commandIdFor(principal, idempotencyKey);
        const announcementId = derivedId('announcement', commandId);
        await kit.sender.send('DraftAnnouncement', { announcementId, ...body }, { commandId, caller: kit.person(principal), requestId, issuedAt: kit.issuedAt() });
        return { status: 201, headers: { location: `/v1/announcements/${announcementId}` }, body: await existing(announcementId) };
      },
    }),
    defineRoute({
      operationId: 'updateAnnouncement',
      method: 'PATCH',
      path: '/v1/announcements/{id}',
      summary: 'Revise an announcement (platform administrators); a published one shows the new content at once',
      description: 'A field left out keeps its value. A maintenance has a window (`window: null` removes it, with another kind).',
      tags: TAGS,
      permission: 'announcement.manage',
      scope: 'none',
      params: z.strictObject({ id: PathId }),
      body: z.strictObject({
        kind: AnnouncementKindSchema.optional(),
        title: nameText(ANNOUNCEMENT_TITLE_MAX).optional(),
        body: Body.optional(),
        audience: AnnouncementAudienceSchema.optional(),
        window: MaintenanceWindowSchema.nullable().optional(),
      }),
      responses: { 200: AnnouncementSchema },
      handler: async ({ params, body, principal, idempotencyKey, requestId }) => {
        const patch = Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined)) as typeof body;
        if (Object.keys(patch).length === 0) throw new GatewayError(GatewayErrorCode.Validation, 'give at least one field to change', { errors: [{ field: 'body', message: 'kind, title, body, audience or window' }] });
        await existing(params.id);
        await kit.sender.send('ReviseAnnouncement', { announcementId: params.id, ...patch }, { commandId: commandIdFor(principal, idempotencyKey), caller: kit.person(principal), requestId, issuedAt: kit.issuedAt() });
        return { status: 200, body: await existing(params.id) };
      },
    }),
    manage('publishAnnouncement', 'publish', 'PublishAnnouncement', 'Publish an announcement (platform administrators): its audience sees it'),
    manage('unpublishAnnouncement', 'unpublish', 'UnpublishAnnouncement', 'Unpublish an announcement (platform administrators): nobody sees it any more'),
    defineRoute({
      operationId: 'markAnnouncementRead',
      method: 'POST',
      path: '/v1/announcements/{id}/read',
      summary: 'Mark an announcement of yours read (marking again changes nothing)',
      description: 'Send an empty JSON object as the body.',
      tags: TAGS,
      permission: 'announcement.read',
      scope: 'none',
      params: z.strictObject({ id: PathId }),
      body: Empty,
      responses: { 200: ReaderAnnouncementSchema },
      handler: async ({ params, principal, idempotencyKey, requestId }) => {
        const reader = announcementReader(kit, principal);
        // not addressed to the caller (or not published): it does not exist for them
        if (!(await kit.announcements.getFor(reader, params.id))) throw new GatewayError(GatewayErrorCode.NotFound, 'no such announcement');
        await kit.sender.send('MarkAnnouncementRead', { announcementId: params.id }, { commandId: commandIdFor(principal, idempotencyKey), caller: kit.person(principal), requestId, issuedAt: kit.issuedAt() });
        const read = await kit.announcements.getFor(reader, params.id);
        if (!read) throw new GatewayError(GatewayErrorCode.NotFound, 'no such announcement');
        return { status: 200, body: read };
      },
    }),
  ];
}
