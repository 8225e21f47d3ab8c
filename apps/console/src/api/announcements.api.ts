/**
 * The announcement routes and the overview's new sections, typed here until schema.generated.ts is
 * regenerated from the gateway's OpenAPI document (then these types come from it and this client goes).
 * The shapes are the gateway's (services/gateway/src/routes/team-rbac/team-views.schema.ts).
 */
import createClient from 'openapi-fetch';
import { authenticate } from './client';

export type AnnouncementKind = 'feature' | 'release' | 'maintenance';
export type AnnouncementAudience = { type: 'all' } | { type: 'organizations'; organizationIds: string[] };
export interface MaintenanceWindow {
  startsAt: string;
  endsAt: string;
}

export interface Announcement {
  id: string;
  kind: AnnouncementKind;
  title: string;
  body: string;
  audience: AnnouncementAudience;
  window: MaintenanceWindow | null;
  status: 'draft' | 'published' | 'unpublished';
  authoredBy: string;
  createdAt: string;
  updatedAt: string;
  publishedAt: string | null;
  /** The caller's read marker (absent in a platform administrator's `view=all`). */
  read?: boolean;
  readAt?: string | null;
}

export interface AnnouncementPage {
  items: Announcement[];
  total: number;
  page: number;
  pageSize: number;
  pageCount: number;
  unreadCount?: number;
}

export interface AnnouncementDraft {
  kind: AnnouncementKind;
  title: string;
  body: string;
  audience: AnnouncementAudience;
  window?: MaintenanceWindow;
}

/** The overview's sections a role may be refused, and the fields that say so. */
export type OverviewSection = 'workspaces' | 'billing' | 'recentActivity';
export interface OverviewExtras {
  announcements: { unreadCount: number; items: Announcement[] };
  withheld: OverviewSection[];
  recentActivityCursor?: string | null;
}

interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: Array<{ field: string; message: string }>;
}

type Json<T> = { content: { 'application/json': T } };
type IdPath = { path: { id: string }; header?: { 'Idempotency-Key'?: string } };
type Action = {
  parameters: IdPath;
  requestBody: Json<Record<string, never>>;
  responses: { 200: Json<Announcement>; default: Json<Problem> };
};

/** openapi-typescript's shape for the routes above. */
export interface AnnouncementPaths {
  '/v1/announcements': {
    get: {
      parameters: { query?: { page?: number; pageSize?: number; unread?: 'true' | 'false'; view?: 'mine' | 'all'; status?: Announcement['status'] } };
      responses: { 200: Json<AnnouncementPage>; default: Json<Problem> };
    };
    post: {
      parameters: { header?: { 'Idempotency-Key'?: string } };
      requestBody: Json<AnnouncementDraft>;
      responses: { 201: Json<Announcement>; default: Json<Problem> };
    };
  };
  '/v1/announcements/{id}': {
    patch: {
      parameters: IdPath;
      requestBody: Json<Partial<Omit<AnnouncementDraft, 'window'>> & { window?: MaintenanceWindow | null }>;
      responses: { 200: Json<Announcement>; default: Json<Problem> };
    };
  };
  '/v1/announcements/{id}/publish': { post: Action };
  '/v1/announcements/{id}/unpublish': { post: Action };
  '/v1/announcements/{id}/read': { post: Action };
}

export const announcementsApi = createClient<AnnouncementPaths>({ baseUrl: window.location.origin });
announcementsApi.use(authenticate);
