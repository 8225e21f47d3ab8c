import { z } from 'zod';
import { defineEvent } from '../registry';
import { freeText, nameText, storedText } from '../fields';
import { EmailSchema, IsoTimeSchema, TeamIdSchema } from './team-fields';

/*
 * Platform announcements (the dashboard's Announcements card), owned by the team context: authored,
 * revised, published and unpublished by platform administrators, read by every person whose organizations
 * are in the audience. Streams (see TeamStreams):
 *   team-announcement-<id>   AnnouncementDrafted, AnnouncementRevised, AnnouncementPublished, AnnouncementUnpublished
 *   team-user-<id>           AnnouncementRead (a person's read marker)
 *   team-platform-admins     PlatformAdminGranted (the bootstrap's owner; the configuration grants without events)
 */

export const ANNOUNCEMENT_KINDS = ['feature', 'release', 'maintenance'] as const;
export const AnnouncementKindSchema = z.enum(ANNOUNCEMENT_KINDS);
export type AnnouncementKind = z.infer<typeof AnnouncementKindSchema>;

export const ANNOUNCEMENT_TITLE_MAX = 200;
export const ANNOUNCEMENT_BODY_MAX = 5000;
export const ANNOUNCEMENT_AUDIENCE_MAX = 1000;

/** Who sees an announcement: every organization, or the people of the organizations named. */
export const AnnouncementAudienceSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('all') }).strict(),
  z
    .object({
      type: z.literal('organizations'),
      organizationIds: z
        .array(TeamIdSchema)
        .min(1)
        .max(ANNOUNCEMENT_AUDIENCE_MAX)
        .refine((ids) => new Set(ids).size === ids.length, 'an organization is named once'),
    })
    .strict(),
]);
export type AnnouncementAudience = z.infer<typeof AnnouncementAudienceSchema>;

/** A maintenance announcement's window: when the work starts and ends (ends after it starts). */
export const MaintenanceWindowSchema = z
  .object({ startsAt: IsoTimeSchema, endsAt: IsoTimeSchema })
  .strict()
  .refine((window) => Date.parse(window.endsAt) > Date.parse(window.startsAt), { message: 'the window ends after it starts', path: ['endsAt'] });
export type MaintenanceWindow = z.infer<typeof MaintenanceWindowSchema>;

/** Why a kind and a window do not go together (a maintenance has one, the other kinds none), or undefined. */
export function announcementWindowProblem(kind: AnnouncementKind, window: MaintenanceWindow | null | undefined): string | undefined {
  if (kind === 'maintenance' && (window === null || window === undefined)) return 'a maintenance announcement has a window (startsAt, endsAt)';
  if (kind !== 'maintenance' && window !== null && window !== undefined) return 'only a maintenance announcement has a window';
  return undefined;
}

const content = {
  announcementId: TeamIdSchema,
  kind: AnnouncementKindSchema,
  title: storedText(ANNOUNCEMENT_TITLE_MAX),
  body: storedText(ANNOUNCEMENT_BODY_MAX),
  audience: AnnouncementAudienceSchema,
  window: MaintenanceWindowSchema.nullable(),
};

export const AnnouncementDrafted = defineEvent({
  type: 'AnnouncementDrafted',
  version: 1,
  context: 'team',
  schema: z.object({ ...content, authoredBy: TeamIdSchema, draftedAt: IsoTimeSchema }).strict(),
});

/** The whole content after the change (what a reader shows from now on). */
export const AnnouncementRevised = defineEvent({
  type: 'AnnouncementRevised',
  version: 1,
  context: 'team',
  schema: z.object({ ...content, revisedBy: TeamIdSchema, revisedAt: IsoTimeSchema }).strict(),
});

export const AnnouncementPublished = defineEvent({
  type: 'AnnouncementPublished',
  version: 1,
  context: 'team',
  schema: z.object({ announcementId: TeamIdSchema, publishedBy: TeamIdSchema, publishedAt: IsoTimeSchema }).strict(),
});

export const AnnouncementUnpublished = defineEvent({
  type: 'AnnouncementUnpublished',
  version: 1,
  context: 'team',
  schema: z.object({ announcementId: TeamIdSchema, unpublishedBy: TeamIdSchema, unpublishedAt: IsoTimeSchema }).strict(),
});

/** A person's read marker: they have seen the announcement (once; marking again changes nothing). */
export const AnnouncementRead = defineEvent({
  type: 'AnnouncementRead',
  version: 1,
  context: 'team',
  schema: z.object({ userId: TeamIdSchema, announcementId: TeamIdSchema, readAt: IsoTimeSchema }).strict(),
});

/** `userId` became a platform administrator (the owner a fresh install was bootstrapped with). */
export const PlatformAdminGranted = defineEvent({
  type: 'PlatformAdminGranted',
  version: 1,
  context: 'team',
  schema: z.object({ userId: TeamIdSchema, email: EmailSchema.optional(), grantedAt: IsoTimeSchema }).strict(),
});

export const ANNOUNCEMENT_EVENTS = [AnnouncementDrafted, AnnouncementRevised, AnnouncementPublished, AnnouncementUnpublished, AnnouncementRead, PlatformAdminGranted] as const;

// ---------------------------------------------------------------- commands

const announcementContent = {
  kind: AnnouncementKindSchema,
  title: nameText(ANNOUNCEMENT_TITLE_MAX),
  body: freeText(ANNOUNCEMENT_BODY_MAX).refine((body) => body.trim().length > 0, 'must not be empty'),
  audience: AnnouncementAudienceSchema,
};

export const DraftAnnouncementPayload = z
  .object({ announcementId: TeamIdSchema, ...announcementContent, window: MaintenanceWindowSchema.optional() })
  .strict()
  .superRefine((payload, ctx) => {
    const problem = announcementWindowProblem(payload.kind, payload.window);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['window'] });
  });

/** A field left out keeps its value; `window: null` removes the window (with a kind that has none). */
export const ReviseAnnouncementPayload = z
  .object({
    announcementId: TeamIdSchema,
    kind: announcementContent.kind.optional(),
    title: announcementContent.title.optional(),
    body: announcementContent.body.optional(),
    audience: announcementContent.audience.optional(),
    window: MaintenanceWindowSchema.nullable().optional(),
  })
  .strict();

export const PublishAnnouncementPayload = z.object({ announcementId: TeamIdSchema }).strict();
export const UnpublishAnnouncementPayload = z.object({ announcementId: TeamIdSchema }).strict();
export const MarkAnnouncementReadPayload = z.object({ announcementId: TeamIdSchema }).strict();
export const GrantPlatformAdminPayload = z.object({ userId: TeamIdSchema, email: EmailSchema.optional() }).strict();

export const AnnouncementCommandPayloads = {
  DraftAnnouncement: DraftAnnouncementPayload,
  ReviseAnnouncement: ReviseAnnouncementPayload,
  PublishAnnouncement: PublishAnnouncementPayload,
  UnpublishAnnouncement: UnpublishAnnouncementPayload,
  MarkAnnouncementRead: MarkAnnouncementReadPayload,
  GrantPlatformAdmin: GrantPlatformAdminPayload,
} as const;
