/**
 * Announcements (GET, POST /v1/announcements, PATCH, publish / unpublish / read) and what the overview adds
 * for them, typed by the generated schema and reached through the console's one client.
 */
import { api } from './client';
import type { AnswerOf, BodyOf } from './generated-types';

export type AnnouncementPage = AnswerOf<'listAnnouncements', 200>;
export type Announcement = AnnouncementPage['items'][number];
export type AnnouncementKind = Announcement['kind'];
export type AnnouncementAudience = Announcement['audience'];
export type MaintenanceWindow = NonNullable<Announcement['window']>;
export type AnnouncementDraft = BodyOf<'createAnnouncement'>;
type Overview = AnswerOf<'getOrganizationOverview', 200>;
export type OverviewSection = Overview['withheld'][number];
export type OverviewExtras = Pick<Overview, 'announcements' | 'withheld' | 'recentActivityCursor'>;

export const announcementsApi = api;
