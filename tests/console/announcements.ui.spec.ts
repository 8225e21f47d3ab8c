/**
 * Announcements in the web console, in Chromium against one running stack: a platform administrator (the
 * bootstrap's owner) drafts, publishes, edits and unpublishes them on the Announcements screen; a viewer reads
 * them there and marks them read, and sees the unread ones on the Dashboard beside the "ask your
 * administrator" notices of the sections their role does not show. Each action is done in the browser and its
 * effect read back through the API; axe-core finds no serious or critical violation.
 */
import type { Page } from 'playwright-core';
import { ANNOUNCEMENTS, DASHBOARD, NAV } from '@steward/console';
import { waitFor } from '@steward/testing';
import { GatewayClient, type Person } from '../gateway/support/gateway-client';
import { type ConsoleHarness, policyViolations, screenshot, seriousViolations, startConsoleHarness } from './support/console-harness';

jest.setTimeout(120_000);

interface Announcement {
  id: string;
  title: string;
  status: string;
  read?: boolean;
}

describe('announcements in the web console', () => {
  let harness: ConsoleHarness;
  let client: GatewayClient;
  let viewer: Person;

  beforeAll(async () => {
    harness = await startConsoleHarness();
    client = new GatewayClient(harness.stack.url);
    viewer = await harness.fixtures.newMember(harness.stack.ownerToken, harness.stack.workspaceId, 'viewer', 'console-announcement-reader');
  }, 240_000);

  afterAll(async () => {
    await harness?.close();
  });

  const expectClean = async (page: Page) => {
    expect(await seriousViolations(page)).toEqual([]);
    expect(policyViolations(page)).toEqual([]);
  };
  const everything = () => client.expect<{ items: Announcement[] }>(200, 'GET', '/v1/announcements?view=all', { token: harness.stack.ownerToken });
  const mine = (token: string) => client.expect<{ items: Announcement[]; unreadCount: number }>(200, 'GET', '/v1/announcements', { token });

  it('a platform administrator drafts and publishes; a maintenance window that ends before it starts is refused on its field', async () => {
    const page = await harness.open({ token: harness.stack.ownerToken, path: '/announcements' });
    await page.getByRole('heading', { name: ANNOUNCEMENTS.title, level: 1 }).waitFor();
    await page.getByRole('link', { name: NAV.announcements }).waitFor();
    await page.getByRole('heading', { name: ANNOUNCEMENTS.manage }).waitFor();

    // a maintenance whose window runs backwards: the API's 400 lands on the field
    await page.getByRole('combobox', { name: ANNOUNCEMENTS.kind }).click();
    await page.getByRole('option', { name: ANNOUNCEMENTS.kinds.maintenance }).click();
    await page.getByRole('textbox', { name: ANNOUNCEMENTS.titleField, exact: true }).fill('Database upgrade');
    await page.getByRole('textbox', { name: ANNOUNCEMENTS.body, exact: true }).fill('The API pauses for ten minutes.');
    await page.getByLabel(ANNOUNCEMENTS.startsAt).fill('2027-03-01T23:00');
    await page.getByLabel(ANNOUNCEMENTS.endsAt).fill('2027-03-01T22:00');
    await page.getByRole('button', { name: ANNOUNCEMENTS.save }).click();
    await page.getByText('the window ends after it starts').waitFor();
    expect((await everything()).items.map((item) => item.title)).not.toContain('Database upgrade');

    await page.getByRole('combobox', { name: ANNOUNCEMENTS.kind }).click();
    await page.getByRole('option', { name: ANNOUNCEMENTS.kinds.feature }).click();
    await page.getByRole('textbox', { name: ANNOUNCEMENTS.titleField, exact: true }).fill('Console news');
    await page.getByRole('button', { name: ANNOUNCEMENTS.save }).click();
    const row = page.getByTestId('managed-announcement').filter({ hasText: 'Console news' });
    await row.getByText(ANNOUNCEMENTS.status.draft!).waitFor();
    expect((await everything()).items.find((item) => item.title === 'Console news')).toMatchObject({ status: 'draft' });

    await row.getByRole('button', { name: `${ANNOUNCEMENTS.publish}: Console news` }).click();
    await row.getByText(ANNOUNCEMENTS.status.published!).waitFor();
    expect((await everything()).items.find((item) => item.title === 'Console news')).toMatchObject({ status: 'published' });
    await expectClean(page);
    await screenshot(page, 'announcements-manage');
  });

  it('a viewer sees it unread on the Dashboard, beside the notices of the sections their role does not show', async () => {
    const { stack } = harness;
    const overview = await client.expect<{ withheld: string[]; announcements: { unreadCount: number } }>(200, 'GET', `/v1/organizations/${stack.organizationId}/overview`, { token: viewer.token });
    expect(overview.withheld).toEqual(['billing', 'recentActivity']);
    const page = await harness.open({ token: viewer.token, path: `/organizations/${stack.organizationId}/overview` });
    const card = page.getByRole('region', { name: DASHBOARD.announcements });
    await card.getByText('Console news').waitFor();
    expect(await card.getByTestId('announcements-unread').textContent()).toBe(`${overview.announcements.unreadCount} ${ANNOUNCEMENTS.unread}`);
    // billing and the recent activities: one notice each, and no "Show more" into a log they may not read
    await page.getByRole('heading', { name: DASHBOARD.billing }).waitFor();
    expect(await page.getByTestId('section-withheld').count()).toBe(2);
    await page.getByText(DASHBOARD.withheld).first().waitFor();
    expect(await page.getByRole('link', { name: DASHBOARD.showMore }).count()).toBe(0);
    await expectClean(page);
    await screenshot(page, 'dashboard-announcements');
  });

  it('a viewer reads it on the Announcements screen and marks it read; no management for them', async () => {
    const page = await harness.open({ token: viewer.token, path: '/announcements' });
    const article = page.getByTestId('announcement').filter({ hasText: 'Console news' });
    await article.getByText(ANNOUNCEMENTS.unread).waitFor();
    expect(await page.getByRole('heading', { name: ANNOUNCEMENTS.manage }).count()).toBe(0);
    await article.getByRole('button', { name: `${ANNOUNCEMENTS.markRead}: Console news` }).click();
    await article.getByText(ANNOUNCEMENTS.unread).waitFor({ state: 'detached' });
    const after = await mine(viewer.token);
    expect(after.items.find((item) => item.title === 'Console news')).toMatchObject({ read: true });
    await page.getByText(ANNOUNCEMENTS.onlyUnread).click();
    await page.getByText(ANNOUNCEMENTS.none).waitFor();
    await expectClean(page);
  });

  it('the administrator edits it (readers see the new title) and unpublishes it (readers no longer see it)', async () => {
    const page = await harness.open({ token: harness.stack.ownerToken, path: '/announcements' });
    await page.getByRole('button', { name: `${ANNOUNCEMENTS.edit}: Console news` }).click();
    const dialog = page.getByRole('dialog', { name: ANNOUNCEMENTS.edit });
    await dialog.getByRole('textbox', { name: ANNOUNCEMENTS.titleField, exact: true }).fill('Console news, revised');
    await dialog.getByRole('button', { name: ANNOUNCEMENTS.saveChanges }).click();
    await dialog.waitFor({ state: 'detached' });
    await waitFor('the revision for readers', async () => ((await mine(viewer.token)).items.some((item) => item.title === 'Console news, revised') ? true : undefined));

    const row = page.getByTestId('managed-announcement').filter({ hasText: 'Console news, revised' });
    await row.getByRole('button', { name: `${ANNOUNCEMENTS.unpublish}: Console news, revised` }).click();
    await row.getByText(ANNOUNCEMENTS.status.unpublished!).waitFor();
    expect((await mine(viewer.token)).items.map((item) => item.title)).not.toContain('Console news, revised');
    await expectClean(page);
  });
});
