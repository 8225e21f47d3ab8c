import type { TeamEvent } from '@steward/contracts';
import { deciderSpec } from '@steward/testing';
import { AT, command } from '../shared/team-fixtures';
import { TeamError, TeamErrorCode } from '../shared/team.error';
import { announcementDecider, platformAdminsDecider, readMarkerDecider } from './announcement.decider';

const { given } = deciderSpec(announcementDecider);
const WINDOW = { startsAt: '2026-12-01T22:00:00.000Z', endsAt: '2026-12-02T02:00:00.000Z' };
const draft = command('DraftAnnouncement', { announcementId: 'an-1', kind: 'release', title: 'Steward 2.0', body: 'What is new', audience: { type: 'all' } }, 'u-platform');
const drafted: TeamEvent = {
  type: 'AnnouncementDrafted',
  data: { announcementId: 'an-1', kind: 'release', title: 'Steward 2.0', body: 'What is new', audience: { type: 'all' }, window: null, authoredBy: 'u-platform', draftedAt: AT },
};
const published: TeamEvent = { type: 'AnnouncementPublished', data: { announcementId: 'an-1', publishedBy: 'u-platform', publishedAt: AT } };

describe('announcement decider', () => {
  it('drafts an announcement, once', () => {
    given([]).when(draft).then([drafted]);
    given([drafted]).when(draft).thenThrows(TeamError, { code: TeamErrorCode.AnnouncementExists });
  });

  it('publishes a draft, unpublishes it and publishes it again; a repeat changes nothing', () => {
    const publish = command('PublishAnnouncement', { announcementId: 'an-1' }, 'u-platform');
    const unpublish = command('UnpublishAnnouncement', { announcementId: 'an-1' }, 'u-platform');
    given([drafted]).when(publish).then([published]);
    given([drafted, published]).when(publish).thenNothingHappened();
    given([drafted]).when(unpublish).thenNothingHappened();
    const unpublished: TeamEvent = { type: 'AnnouncementUnpublished', data: { announcementId: 'an-1', unpublishedBy: 'u-platform', unpublishedAt: AT } };
    given([drafted, published]).when(unpublish).then([unpublished]);
    given([drafted, published, unpublished]).when(publish).then([published]);
  });

  it('revises the content; a revision to the same content changes nothing', () => {
    const audience = { type: 'organizations' as const, organizationIds: ['org-1'] };
    given([drafted])
      .when(command('ReviseAnnouncement', { announcementId: 'an-1', title: 'Steward 2.1', audience }, 'u-platform'))
      .then([{ type: 'AnnouncementRevised', data: { announcementId: 'an-1', kind: 'release', title: 'Steward 2.1', body: 'What is new', audience, window: null, revisedBy: 'u-platform', revisedAt: AT } }]);
    given([drafted]).when(command('ReviseAnnouncement', { announcementId: 'an-1', title: 'Steward 2.0' }, 'u-platform')).thenNothingHappened();
  });

  it('gives a maintenance a window and no other kind one', () => {
    const toMaintenance = (window?: typeof WINDOW | null) =>
      command('ReviseAnnouncement', { announcementId: 'an-1', kind: 'maintenance', ...(window !== undefined ? { window } : {}) }, 'u-platform');
    given([drafted]).when(toMaintenance()).thenThrows(TeamError, { code: TeamErrorCode.InvalidCommand, field: 'window' });
    given([drafted])
      .when(toMaintenance(WINDOW))
      .then((events) => expect(events).toMatchObject([{ type: 'AnnouncementRevised', data: { kind: 'maintenance', window: WINDOW } }]));
    given([drafted]).when(command('ReviseAnnouncement', { announcementId: 'an-1', window: WINDOW }, 'u-platform')).thenThrows(TeamError, { code: TeamErrorCode.InvalidCommand });
  });

  it('answers NOT_FOUND for what was never drafted', () => {
    given([]).when(command('PublishAnnouncement', { announcementId: 'an-1' }, 'u-platform')).thenThrows(TeamError, { code: TeamErrorCode.NotFound });
    given([]).when(command('ReviseAnnouncement', { announcementId: 'an-1', title: 'x' }, 'u-platform')).thenThrows(TeamError, { code: TeamErrorCode.NotFound });
  });
});

describe('read markers', () => {
  const markers = deciderSpec(readMarkerDecider);
  const mark = command('MarkAnnouncementRead', { announcementId: 'an-1' }, 'u-reader');

  it('marks once per person and announcement', () => {
    const read: TeamEvent = { type: 'AnnouncementRead', data: { userId: 'u-reader', announcementId: 'an-1', readAt: AT } };
    markers.given([]).when(mark).then([read]);
    markers.given([read]).when(mark).thenNothingHappened();
  });

  it('refuses an API key', () => {
    markers.given([]).when(command('MarkAnnouncementRead', { announcementId: 'an-1' }, { type: 'api_key', id: 'k-1' })).thenThrows(TeamError, { code: TeamErrorCode.Forbidden });
  });
});

describe('platform administrators', () => {
  const admins = deciderSpec(platformAdminsDecider);
  const grant = (actor: Parameters<typeof command>[2]) => command('GrantPlatformAdmin', { userId: 'u-owner', email: 'owner@acme.test' }, actor);

  it('are granted by the system only, once', () => {
    const granted: TeamEvent = { type: 'PlatformAdminGranted', data: { userId: 'u-owner', email: 'owner@acme.test', grantedAt: AT } };
    admins.given([]).when(grant({ type: 'system', id: 'bootstrap' })).then([granted]);
    admins.given([granted]).when(grant({ type: 'system', id: 'bootstrap' })).thenNothingHappened();
    admins.given([]).when(grant('u-owner')).thenThrows(TeamError, { code: TeamErrorCode.Forbidden });
  });
});
