import type { Decider } from '@steward/commands';
import { announcementWindowProblem, type AnnouncementAudience, type AnnouncementKind, type MaintenanceWindow, type TeamEvent } from '@steward/contracts';
import type { TeamCommand } from '../shared/command';
import { TeamError, TeamErrorCode } from '../shared/team.error';

export interface AnnouncementContent {
  readonly kind: AnnouncementKind;
  readonly title: string;
  readonly body: string;
  readonly audience: AnnouncementAudience;
  readonly window: MaintenanceWindow | null;
}

export type AnnouncementState =
  | { readonly status: 'none' }
  | ({ readonly status: 'draft' | 'published' | 'unpublished' } & AnnouncementContent);

const initialState: AnnouncementState = { status: 'none' };

function contentOf(data: AnnouncementContent): AnnouncementContent {
  return { kind: data.kind, title: data.title, body: data.body, audience: data.audience, window: data.window };
}

/** One announcement's stream folded (`TeamStreams.announcement(id)`). */
function evolve(state: AnnouncementState, event: TeamEvent): AnnouncementState {
  switch (event.type) {
    case 'AnnouncementDrafted':
      return { status: 'draft', ...contentOf(event.data) };
    case 'AnnouncementRevised':
      return state.status === 'none' ? state : { status: state.status, ...contentOf(event.data) };
    case 'AnnouncementPublished':
      return state.status === 'none' ? state : { ...state, status: 'published' };
    case 'AnnouncementUnpublished':
      return state.status === 'none' ? state : { ...state, status: 'unpublished' };
    default:
      return state;
  }
}

export type AnnouncementCommand =
  | TeamCommand<'DraftAnnouncement'>
  | TeamCommand<'ReviseAnnouncement'>
  | TeamCommand<'PublishAnnouncement'>
  | TeamCommand<'UnpublishAnnouncement'>;

function sameContent(left: AnnouncementContent, right: AnnouncementContent): boolean {
  return JSON.stringify(contentOf(left)) === JSON.stringify(contentOf(right));
}

/**
 * A platform announcement's life: drafted, revised (any time: a published one shows the new text at once),
 * published, unpublished (and published again). A maintenance has a window, the other kinds none. Who may
 * (a platform administrator) is the handler's check; publishing what is published changes nothing.
 */
function decide(command: AnnouncementCommand, state: AnnouncementState): TeamEvent[] {
  const by = command.actor.id;
  switch (command.type) {
    case 'DraftAnnouncement': {
      if (state.status !== 'none') throw new TeamError(TeamErrorCode.AnnouncementExists, `announcement ${command.payload.announcementId} exists`);
      const { announcementId, kind, title, body, audience, window } = command.payload;
      return [{ type: 'AnnouncementDrafted', data: { announcementId, kind, title, body, audience, window: window ?? null, authoredBy: by, draftedAt: command.at } }];
    }
    case 'ReviseAnnouncement': {
      if (state.status === 'none') throw new TeamError(TeamErrorCode.NotFound, 'no such announcement');
      const { announcementId, kind, title, body, audience, window } = command.payload;
      const next: AnnouncementContent = {
        kind: kind ?? state.kind,
        title: title ?? state.title,
        body: body ?? state.body,
        audience: audience ?? state.audience,
        // a kind that has no window drops the old one unless a window is given (and then refused below)
        window: window !== undefined ? window : kind !== undefined && kind !== 'maintenance' ? null : state.window,
      };
      const problem = announcementWindowProblem(next.kind, next.window);
      if (problem) throw new TeamError(TeamErrorCode.InvalidCommand, problem, 'window');
      if (sameContent(next, state)) return [];
      return [{ type: 'AnnouncementRevised', data: { announcementId, ...next, revisedBy: by, revisedAt: command.at } }];
    }
    case 'PublishAnnouncement': {
      if (state.status === 'none') throw new TeamError(TeamErrorCode.NotFound, 'no such announcement');
      if (state.status === 'published') return [];
      return [{ type: 'AnnouncementPublished', data: { announcementId: command.payload.announcementId, publishedBy: by, publishedAt: command.at } }];
    }
    case 'UnpublishAnnouncement': {
      if (state.status === 'none') throw new TeamError(TeamErrorCode.NotFound, 'no such announcement');
      if (state.status !== 'published') return [];
      return [{ type: 'AnnouncementUnpublished', data: { announcementId: command.payload.announcementId, unpublishedBy: by, unpublishedAt: command.at } }];
    }
    default: {
      const _exhaustive: never = command;
      throw new Error(`unknown command ${String((_exhaustive as { type: string }).type)}`);
    }
  }
}

export const announcementDecider: Decider<AnnouncementCommand, AnnouncementState, TeamEvent> = { decide, evolve, initialState };

// ---------------------------------------------------------------- a person's read markers

/** The announcements a person has marked read (their `team-user-<id>` stream; profile events leave it as it is). */
export interface ReadMarkersState {
  readonly read: ReadonlySet<string>;
}

function evolveMarkers(state: ReadMarkersState, event: TeamEvent): ReadMarkersState {
  return event.type === 'AnnouncementRead' ? { read: new Set([...state.read, event.data.announcementId]) } : state;
}

export type ReadMarkerCommand = TeamCommand<'MarkAnnouncementRead'>;

/** Marks once: a second mark of the same announcement changes nothing (a retry, another tab). */
function decideMarker(command: ReadMarkerCommand, state: ReadMarkersState): TeamEvent[] {
  switch (command.type) {
    case 'MarkAnnouncementRead': {
      if (command.actor.type !== 'user') throw new TeamError(TeamErrorCode.Forbidden, 'only a person reads announcements');
      if (state.read.has(command.payload.announcementId)) return [];
      return [{ type: 'AnnouncementRead', data: { userId: command.actor.id, announcementId: command.payload.announcementId, readAt: command.at } }];
    }
    default: {
      const _exhaustive: never = command.type;
      throw new Error(`unknown command ${String(_exhaustive)}`);
    }
  }
}

export const readMarkerDecider: Decider<ReadMarkerCommand, ReadMarkersState, TeamEvent> = { decide: decideMarker, evolve: evolveMarkers, initialState: { read: new Set() } };

// ---------------------------------------------------------------- platform administrators

/** Who the bootstrap made a platform administrator (`team-platform-admins`). */
export interface PlatformAdminsState {
  readonly userIds: ReadonlySet<string>;
}

function evolveAdmins(state: PlatformAdminsState, event: TeamEvent): PlatformAdminsState {
  return event.type === 'PlatformAdminGranted' ? { userIds: new Set([...state.userIds, event.data.userId]) } : state;
}

export type PlatformAdminCommand = TeamCommand<'GrantPlatformAdmin'>;

/** The system (the bootstrap) grants; granting twice changes nothing. */
function decideAdmins(command: PlatformAdminCommand, state: PlatformAdminsState): TeamEvent[] {
  switch (command.type) {
    case 'GrantPlatformAdmin': {
      if (command.actor.type !== 'system') throw new TeamError(TeamErrorCode.Forbidden, 'only the system grants the platform administrator role');
      if (state.userIds.has(command.payload.userId)) return [];
      const { userId, email } = command.payload;
      return [{ type: 'PlatformAdminGranted', data: { userId, ...(email !== undefined ? { email } : {}), grantedAt: command.at } }];
    }
    default: {
      const _exhaustive: never = command.type;
      throw new Error(`unknown command ${String(_exhaustive)}`);
    }
  }
}

export const platformAdminsDecider: Decider<PlatformAdminCommand, PlatformAdminsState, TeamEvent> = { decide: decideAdmins, evolve: evolveAdmins, initialState: { userIds: new Set() } };
