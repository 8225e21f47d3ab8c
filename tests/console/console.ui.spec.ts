/**
 * The web console in Chromium against one running stack: how the gateway serves it (CSP, caching, the SPA
 * fallback beside the API), the generated client being current, the initial JavaScript budget, sign-in and
 * the session (401 → sign-in), the organization and workspace switcher, the themes, and the screens of this
 * file — Dashboard, Team Settings, Profile, Activity Logs — each opened as a role that may see it and one that
 * may not, its main action done in the browser and its effect checked through the API, with axe-core checks
 * and a screenshot of each.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ACCESS_RESTRICTED_TITLE as API_RESTRICTED_TITLE, ADMIN_ONLY_DETAIL } from '@steward/auth';
import {
  ACCEPT_INVITE,
  ACCESS_RESTRICTED_DETAIL,
  ACCESS_RESTRICTED_TITLE,
  ACTIVITY_LOGS,
  DASHBOARD,
  NAV,
  PROFILE,
  SIGN_IN,
  STATES,
  SWITCHER,
  TEAM_SETTINGS,
  formatInstant,
} from '@steward/console';
import { waitFor } from '@steward/testing';
import { type Person, uniqueEmail } from '../gateway/support/gateway-client';
import { CONSOLE_CLIENT_PATH, generateConsoleClient } from '../../tools/console-client';
import { type ConsoleHarness, policyViolations, screenshot, seriousViolations, startConsoleHarness } from './support/console-harness';

jest.setTimeout(120_000);

const INITIAL_JS_BUDGET_BYTES = 400 * 1024;

describe('the web console', () => {
  let harness: ConsoleHarness;
  let admin: Person;
  let viewer: Person;
  let billing: Person;
  let secondWorkspace: string;

  beforeAll(async () => {
    harness = await startConsoleHarness();
    const { fixtures, stack } = harness;
    [admin, viewer, billing] = await Promise.all([
      fixtures.newMember(stack.ownerToken, stack.workspaceId, 'admin', 'console-admin'),
      fixtures.newMember(stack.ownerToken, stack.workspaceId, 'viewer', 'console-viewer'),
      fixtures.newMember(stack.ownerToken, stack.workspaceId, 'billing', 'console-billing'),
    ]);
    secondWorkspace = await fixtures.createWorkspace(stack.ownerToken, stack.organizationId, 'Second workspace');
  }, 240_000);

  afterAll(async () => {
    await harness?.close();
  });

  const expectClean = async (page: Page) => {
    expect(await seriousViolations(page)).toEqual([]);
    expect(policyViolations(page)).toEqual([]);
  };

  describe('served by the gateway', () => {
    it('answers client routes with index.html under a strict CSP, and leaves the API and operational paths alone', async () => {
      const { url } = harness.stack;
      const page = await fetch(`${url}/organizations/org_x/overview`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control')).toBe('no-cache');
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self';");
      expect(csp).not.toContain('unsafe-inline');
      const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
      expect(nonce).toBeDefined();
      const html = await page.text();
      expect(html).toContain(`nonce="${nonce}"`);
      expect(html).not.toContain('STEWARD_CSP_NONCE');
      // a fresh nonce per answer
      const again = await fetch(`${url}/`, { headers: { accept: 'text/html' } });
      expect(again.headers.get('content-security-policy')).not.toBe(csp);

      const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(asset).toBeDefined();
      const script = await fetch(`${url}${asset}`);
      expect(script.status).toBe(200);
      expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);

      const missing = await fetch(`${url}/assets/nothing-here.js`);
      expect(missing.status).toBe(404);
      const api = await fetch(`${url}/v1/nowhere`, { headers: { accept: 'text/html' } });
      expect(api.status).toBe(404);
      expect(api.headers.get('content-type')).toMatch(/problem\+json/);
      expect((await fetch(`${url}/openapi.json`)).headers.get('content-type')).toMatch(/json/);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/docs`, { headers: { accept: 'text/html' } })).headers.get('content-security-policy')).toContain("style-src 'self';");
      // a JSON client on an unknown path still gets the API's 404 problem, not the console
      expect((await fetch(`${url}/no-such-thing`, { headers: { accept: 'application/json' } })).status).toBe(404);
    });

    it('is enforced by the browser: a style or script without the nonce does not apply, and is reported', async () => {
      const page = await harness.open({ token: harness.stack.ownerToken, path: '/profile' });
      await page.getByRole('heading', { name: PROFILE.title }).waitFor();
      expect(policyViolations(page)).toEqual([]);
      const applied = await page.evaluate(`(() => {
        const style = document.createElement('style');
        style.textContent = 'body { letter-spacing: 7px }';
        document.head.append(style);
        const script = document.createElement('script');
        script.textContent = 'window.injected = true';
        document.head.append(script);
        return { letterSpacing: getComputedStyle(document.body).letterSpacing, injected: window.injected === true };
      })()`);
      expect(applied).toEqual({ letterSpacing: 'normal', injected: false });
      await waitFor('the browser to report both', async () => (policyViolations(page).length >= 2 ? true : undefined), { timeoutMs: 5_000 });
    });

    it(`loads under ${INITIAL_JS_BUDGET_BYTES / 1024} KB of gzipped JavaScript on the first screen (screens load on navigation)`, async () => {
      const { url } = harness.stack;
      const html = await (await fetch(`${url}/`, { headers: { accept: 'text/html' } })).text();
      const initial = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((match) => match[1]!);
      expect(initial.length).toBeGreaterThan(0);
      let gzipped = 0;
      for (const path of initial) {
        const answer = await fetch(`${url}${path}`, { headers: { 'accept-encoding': 'gzip' } });
        // fetch undoes the encoding; content-length is what travelled
        expect(answer.headers.get('content-encoding')).toBe('gzip');
        gzipped += Number(answer.headers.get('content-length'));
        await answer.arrayBuffer();
      }
      console.log(`console initial JavaScript: ${initial.length} files, ${(gzipped / 1024).toFixed(1)} KB gzipped`);
      expect(gzipped).toBeLessThan(INITIAL_JS_BUDGET_BYTES);
      const screens = readFileSync(join(__dirname, '..', '..', 'apps', 'console', 'dist', 'index.html'), 'utf8');
      expect(screens).not.toMatch(/dashboard-screen|team-settings-screen|activity-logs-screen|profile-screen/);
    });

    it('calls the API with a client generated from the served /openapi.json (npm run console:client)', async () => {
      const fresh = await generateConsoleClient(harness.stack.url);
      const checkedIn = readFileSync(CONSOLE_CLIENT_PATH, 'utf8');
      if (fresh !== checkedIn) throw new Error(`${CONSOLE_CLIENT_PATH} is stale: run \`npm run console:client\` against a running gateway`);
    });
  });

  describe('sign-in and the session', () => {
    it('refuses a wrong token, signs in with a user token, keeps it for the session, and returns to sign-in on a 401', async () => {
      const page = await harness.open({ path: `/organizations/${harness.stack.organizationId}/activity-logs?action=create` });
      // not signed in: to sign-in, remembering where to go
      await page.waitForURL(/\/sign-in\?next=/);
      await page.getByRole('heading', { name: SIGN_IN.title }).waitFor();
      await expectClean(page);
      await screenshot(page, 'sign-in', { docs: true });

      await page.getByLabel(SIGN_IN.tokenLabel).fill('stu_not-a-real-token');
      await page.getByRole('button', { name: SIGN_IN.submit }).click();
      await page.getByText(SIGN_IN.invalid).waitFor();

      await page.getByLabel(SIGN_IN.tokenLabel).fill(harness.stack.ownerToken);
      await page.getByRole('button', { name: SIGN_IN.submit }).click();
      await page.waitForURL(`**/organizations/${harness.stack.organizationId}/activity-logs?action=create`);
      await page.getByRole('heading', { name: ACTIVITY_LOGS.title }).waitFor();

      // a reload keeps the session (sessionStorage), the token never lands in localStorage
      await page.reload();
      await page.getByRole('heading', { name: ACTIVITY_LOGS.title }).waitFor();
      expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]);

      // the token stops working (here: replaced by one the gateway does not know): the next call's 401 signs out
      await page.evaluate(() => sessionStorage.setItem('steward.token', 'stu_revoked'));
      await page.getByRole('link', { name: DASHBOARD.title }).click();
      await page.waitForURL(/\/sign-in\?reason=expired/);
      await page.getByText(SIGN_IN.expired).waitFor();
      expect(await page.evaluate(() => sessionStorage.getItem('steward.token'))).toBeNull();
    });

    it('signs out', async () => {
      const page = await harness.open({ token: viewer.token, path: '/profile' });
      await page.getByRole('button', { name: SIGN_IN.signOut }).click();
      await page.waitForURL(/\/sign-in/);
      await page.goto('/profile');
      await page.waitForURL(/\/sign-in\?next=%2Fprofile/);
    });
  });

  describe('the organization and workspace switcher', () => {
    it('is always in the app bar; choosing a workspace keeps the screen, for that workspace; choosing follows the URL', async () => {
      const { stack } = harness;
      const page = await harness.open({ token: stack.ownerToken, path: `/organizations/${stack.organizationId}/workspaces/${stack.workspaceId}/team-settings` });
      const workspaceSelect = page.getByRole('combobox', { name: SWITCHER.workspace });
      await workspaceSelect.waitFor();
      await page.getByRole('combobox', { name: SWITCHER.organization }).waitFor();
      await workspaceSelect.click();
      await page.getByRole('option', { name: 'Second workspace' }).click();
      await page.waitForURL(`**/workspaces/${secondWorkspace}/team-settings`);
      await page.getByRole('heading', { name: TEAM_SETTINGS.teamMembers }).waitFor();
      // back returns to the first workspace's view
      await page.goBack();
      await page.waitForURL(`**/workspaces/${stack.workspaceId}/team-settings`);
      // on an organization screen the selectors stay visible
      await page.getByRole('link', { name: DASHBOARD.title }).click();
      await page.getByRole('combobox', { name: SWITCHER.workspace }).waitFor();
    });

    it('lists every organization the person belongs to (GET /v1/me/organizations) and opens the chosen one\'s dashboard', async () => {
      const { stack, fixtures } = harness;
      const founder = await fixtures.newMember(stack.ownerToken, stack.workspaceId, 'member', 'console-founder');
      const api = harness.api(founder.token);
      const created = await api.POST('/v1/organizations', { params: { header: { 'Idempotency-Key': 'console-founder-org' } }, body: { name: 'Founder Org', workspaceName: 'Founder main' } });
      expect(created.response.status).toBe(201);
      const organizationId = created.data!.id;
      const mine = await api.GET('/v1/me/organizations');
      expect(mine.data?.items).toHaveLength(2);
      expect(mine.data?.items).toEqual(
        expect.arrayContaining([
          { id: stack.organizationId, name: 'My Organization', role: null, workspaces: [{ workspaceId: stack.workspaceId, role: 'member' }] },
          expect.objectContaining({ id: organizationId, name: 'Founder Org', role: 'owner' }),
        ]),
      );

      const page = await harness.open({ token: founder.token, path: `/organizations/${stack.organizationId}/overview` });
      await page.getByRole('heading', { name: 'My Organization' }).waitFor();
      await page.getByRole('combobox', { name: SWITCHER.organization }).click();
      await page.getByRole('option', { name: 'Founder Org' }).click();
      await page.waitForURL(`**/organizations/${organizationId}/overview`);
      await page.getByRole('heading', { name: 'Founder Org' }).waitFor();
      await page.getByRole('combobox', { name: SWITCHER.workspace }).getByText('Founder main').waitFor();
      // an API key is no person: it has no organizations to switch between
      const key = await fixtures.issueApiKey(stack.ownerToken, stack.workspaceId, ['read'], 'console-key');
      expect((await harness.api(key.token).GET('/v1/me/organizations')).response.status).toBe(403);
    });

    it('follows the system theme: dark when the system is dark', async () => {
      const page = await harness.open({ token: harness.stack.ownerToken, path: `/organizations/${harness.stack.organizationId}/overview`, colorScheme: 'dark' });
      await page.getByRole('heading', { name: DASHBOARD.title }).waitFor();
      const background = String(await page.evaluate('getComputedStyle(document.body).backgroundColor'));
      const [r, g, b] = (background.match(/\d+/g) ?? []).map(Number);
      expect((r ?? 255) + (g ?? 255) + (b ?? 255)).toBeLessThan(150);
      await expectClean(page);
      await screenshot(page, 'dashboard-dark');
    });
  });

  describe('Dashboard', () => {
    it('shows the organization, its workspaces by status and recent activities to a member; another tenant gets a 404', async () => {
      const { stack } = harness;
      const page = await harness.open({ token: viewer.token, path: '/profile' });
      await page.getByRole('heading', { name: PROFILE.title }).waitFor();
      // a cold load of the dashboard's URL (new document, cached assets), to the organization's name on screen
      const started = Date.now();
      await page.goto(`/organizations/${stack.organizationId}/overview`);
      await page.getByRole('heading', { name: 'My Organization' }).waitFor();
      console.log(`dashboard: loaded and shown in ${Date.now() - started} ms (load average ${loadavg()[0]!.toFixed(1)})`);
      await page.getByText(stack.organizationId, { exact: true }).waitFor();
      const overview = await harness.api(viewer.token).GET('/v1/organizations/{orgId}/overview', { params: { path: { orgId: stack.organizationId } } });
      expect(overview.response.status).toBe(200);
      const workspaces = overview.data!.workspaces!;
      expect(await page.getByTestId('workspace-total').textContent()).toBe(String(workspaces.total));
      // the doughnut (Chart.js, drawn under the CSP) says what it shows
      await page
        .getByRole('img', { name: `${DASHBOARD.workspacesByStatus}: ${DASHBOARD.active} ${workspaces.active}, ${DASHBOARD.suspended} ${workspaces.suspended}, ${DASHBOARD.others} ${workspaces.others}` })
        .waitFor();
      await page.getByRole('heading', { name: DASHBOARD.recentActivities }).waitFor();
      // a viewer may not read the activity log: the overview withholds it, and the card says to ask for access
      expect(overview.data!.recentActivity).toBeUndefined();
      expect((overview.data as unknown as { withheld: string[] }).withheld).toContain('recentActivity');
      await page.getByRole('region', { name: DASHBOARD.recentActivities }).getByText(DASHBOARD.withheld).waitFor();
      expect(await page.getByRole('link', { name: DASHBOARD.showMore }).count()).toBe(0);
      await expectClean(page);
      await screenshot(page, 'dashboard', { docs: true });

      const outsider = await harness.fixtures.otherOrganization(stack, 'console-outsider');
      const walled = await harness.open({ token: outsider.owner.token, path: `/organizations/${stack.organizationId}/overview` });
      await walled.getByText(STATES.notFound).waitFor();
      expect(await walled.getByText(stack.organizationId).count()).toBe(0);
    });
  });

  describe('states and keyboard', () => {
    it('shows the screen\'s loading words while the API answers slowly, then the data', async () => {
      const page = await harness.open({ token: harness.stack.ownerToken, path: '/profile' });
      await page.getByRole('heading', { name: PROFILE.title }).waitFor();
      // a slow network (Chromium's own throttling), not a changed answer
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 600, downloadThroughput: -1, uploadThroughput: -1 });
      await page.getByRole('link', { name: DASHBOARD.title }).click();
      await page.getByRole('status').getByText(DASHBOARD.loading).waitFor();
      await page.getByRole('heading', { name: 'My Organization' }).waitFor();
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    });

    it('is usable from the keyboard: skip to content, the menu, visible focus', async () => {
      const page = await harness.open({ token: harness.stack.ownerToken, path: `/organizations/${harness.stack.organizationId}/overview` });
      await page.getByRole('heading', { name: DASHBOARD.title }).waitFor();
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement.textContent')).toBe(NAV.skipToContent);
      await page.keyboard.press('Enter');
      expect(await page.evaluate('document.activeElement.id')).toBe('main');
      // Tab on from the top reaches the menu; Enter follows the focused entry
      const focusNav = async (label: string) => {
        for (let i = 0; i < 20; i++) {
          await page.keyboard.press('Tab');
          if ((await page.evaluate('document.activeElement.textContent')) === label) return;
        }
        throw new Error(`${label} never took the focus`);
      };
      await page.evaluate('document.body.focus()');
      await focusNav(NAV.activityLogs);
      const outline = String(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle'));
      expect(outline).not.toBe('none');
      await page.keyboard.press('Enter');
      await page.waitForURL(`**/organizations/${harness.stack.organizationId}/activity-logs`);
    });
  });

  describe('Team Settings', () => {
    it('shows the guide\'s restriction message to a viewer, as the API words it', async () => {
      expect(ACCESS_RESTRICTED_TITLE).toBe(API_RESTRICTED_TITLE);
      expect(ACCESS_RESTRICTED_DETAIL).toBe(ADMIN_ONLY_DETAIL);
      const { stack } = harness;
      const page = await harness.open({ token: viewer.token, path: `/organizations/${stack.organizationId}/workspaces/${stack.workspaceId}/team-settings` });
      await page.getByText(ACCESS_RESTRICTED_TITLE).waitFor();
      await page.getByText(ACCESS_RESTRICTED_DETAIL).waitFor();
      expect(await page.getByRole('button', { name: TEAM_SETTINGS.invite }).count()).toBe(0);
      await expectClean(page);
      await screenshot(page, 'team-settings-restricted');
    });

    it('lets an admin invite a user, search the members (in the URL) and change a role; the API shows each change', async () => {
      const { stack } = harness;
      const api = harness.api(admin.token);
      const page = await harness.open({ token: admin.token, path: `/organizations/${stack.organizationId}/workspaces/${stack.workspaceId}/team-settings` });
      await page.getByRole('heading', { name: TEAM_SETTINGS.onboarding }).waitFor();

      const email = uniqueEmail('console-invitee');
      await page.getByLabel(TEAM_SETTINGS.inviteEmail).fill(email);
      await page.getByRole('button', { name: TEAM_SETTINGS.invite }).click();
      await page.getByText(TEAM_SETTINGS.invited(email)).waitFor();
      const invitations = await api.GET('/v1/workspaces/{wsId}/invitations', { params: { path: { wsId: stack.workspaceId }, query: { status: 'pending', pageSize: 100 } } });
      expect(invitations.data?.items.find((invitation) => invitation.email === email)).toMatchObject({ role: 'member', status: 'pending' });
      await page.getByRole('list', { name: TEAM_SETTINGS.pendingInvitations }).getByText(email, { exact: false }).waitFor();

      const link = new URL((await page.getByTestId('invite-link').textContent())!);
      await page.getByRole('button', { name: TEAM_SETTINGS.hideLink }).click();
      await page.getByTestId('invite-link').waitFor({ state: 'detached' });

      // an invitation sent by mistake is revoked
      const mistaken = uniqueEmail('console-mistake');
      await page.getByLabel(TEAM_SETTINGS.inviteEmail).fill(mistaken);
      await page.getByRole('button', { name: TEAM_SETTINGS.invite }).click();
      await page.getByText(TEAM_SETTINGS.invited(mistaken)).waitFor();
      await page.getByRole('button', { name: TEAM_SETTINGS.revokeLabel(mistaken) }).click();
      await page.getByRole('button', { name: TEAM_SETTINGS.revokeLabel(mistaken) }).waitFor({ state: 'detached' });
      const revoked = await api.GET('/v1/workspaces/{wsId}/invitations', { params: { path: { wsId: stack.workspaceId }, query: { status: 'revoked', pageSize: 100 } } });
      expect(revoked.data?.items.map((invitation) => invitation.email)).toContain(mistaken);
      await page.getByRole('button', { name: TEAM_SETTINGS.hideLink }).click();

      // the invitee opens the link in a browser of their own, accepts, and is signed in as the new member
      expect(link.hash).toMatch(/^#token=/);
      const invitee = await harness.open({ path: `${link.pathname}${link.hash}` });
      await invitee.getByRole('heading', { name: ACCEPT_INVITE.title }).waitFor();
      await expectClean(invitee);
      await screenshot(invitee, 'accept-invite');
      await invitee.getByLabel(ACCEPT_INVITE.name).fill('Ines Invitee');
      await invitee.getByRole('button', { name: ACCEPT_INVITE.submit }).click();
      await invitee.waitForURL(`**/organizations/${stack.organizationId}/overview`);
      await invitee.getByRole('heading', { name: 'My Organization' }).waitFor();
      const joined = await api.GET('/v1/workspaces/{wsId}/members', { params: { path: { wsId: stack.workspaceId }, query: { search: email } } });
      expect(joined.data?.items).toEqual([expect.objectContaining({ email, name: 'Ines Invitee', role: 'member' })]);
      const accepted = await api.GET('/v1/workspaces/{wsId}/invitations', { params: { path: { wsId: stack.workspaceId }, query: { status: 'accepted', pageSize: 100 } } });
      expect(accepted.data?.items.some((invitation) => invitation.email === email)).toBe(true);

      await page.getByLabel(TEAM_SETTINGS.search).fill('console-billing');
      await page.waitForURL(/[?&]q=console-billing/);
      const row = page.getByTestId(`member-${billing.email}`);
      await row.waitFor();
      // the header and the one match, once the search has answered
      const rows = page.getByRole('table', { name: TEAM_SETTINGS.teamMembers }).getByRole('row');
      await waitFor('only the matching member listed', async () => ((await rows.count()) === 2 ? true : undefined));
      await expectClean(page);
      await screenshot(page, 'team-settings', { docs: true });

      await page.getByRole('combobox', { name: TEAM_SETTINGS.changeRole(`E2E console-billing`) }).click();
      await page.getByRole('option', { name: 'member', exact: true }).click();
      await page.getByText(TEAM_SETTINGS.roleChanged('E2E console-billing', 'member')).waitFor();
      const member = await api.GET('/v1/workspaces/{wsId}/members/{userId}', { params: { path: { wsId: stack.workspaceId, userId: billing.userId } } });
      expect(member.data?.role).toBe('member');

      // the table sorts by a column (in the URL) and exports every member this search finds as CSV
      await page.getByLabel(TEAM_SETTINGS.search).fill('');
      await page.waitForURL((url) => !url.search.includes('q='));
      await waitFor('every member listed', async () => ((await rows.count()) >= 5 ? true : undefined));
      await page.getByRole('button', { name: TEAM_SETTINGS.columns.email }).click();
      await page.waitForURL(/[?&]sort=email&dir=asc/);
      const emailCells = page.getByRole('table', { name: TEAM_SETTINGS.teamMembers }).locator('tbody tr td:nth-child(2)');
      const inOrder = (emails: string[]) => emails.every((email, i) => i === 0 || emails[i - 1]!.localeCompare(email, undefined, { numeric: true, sensitivity: 'base' }) <= 0);
      const sortedEmails = await waitFor('the rows sorted by email', async () => {
        const emails = await emailCells.allTextContents();
        return inOrder(emails) ? emails : undefined;
      }, { timeoutMs: 5_000 });
      expect(sortedEmails.length).toBeGreaterThanOrEqual(5);
      await page.getByRole('button', { name: TEAM_SETTINGS.columns.email }).click();
      await page.waitForURL(/[?&]sort=email&dir=desc/);
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: TEAM_SETTINGS.exportCsv }).click();
      const csv = readFileSync((await (await download).path())!, 'utf8').trimEnd().split('\r\n');
      const everyone = await api.GET('/v1/workspaces/{wsId}/members', { params: { path: { wsId: stack.workspaceId }, query: { pageSize: 100 } } });
      expect(csv[0]).toBe('Name,Email,Role,Joined');
      expect(csv.slice(1).map((line) => line.split(',')[1]).sort()).toEqual(everyone.data!.items.map((member) => member.email).sort());
      expect(csv.slice(1).map((line) => line.split(',')[1])).toEqual([...csv.slice(1).map((line) => line.split(',')[1])].sort().reverse());
      await page.getByLabel(TEAM_SETTINGS.search).fill('console-billing');
      await page.waitForURL(/[?&]q=console-billing/);
      await waitFor('only the matching member listed', async () => ((await rows.count()) === 2 ? true : undefined));

      // a search nothing matches: the empty state
      await page.getByLabel(TEAM_SETTINGS.search).fill('nobody-has-this-name');
      await page.getByText(TEAM_SETTINGS.noMembers).waitFor();
      await page.getByLabel(TEAM_SETTINGS.search).fill('console-billing');
      await page.getByTestId(`member-${billing.email}`).waitFor();

      // the copied link reproduces the search
      const copy = await harness.open({ token: admin.token, path: new URL(page.url()).pathname + new URL(page.url()).search });
      await copy.getByTestId(`member-${billing.email}`).waitFor();
      await expect(copy.getByLabel(TEAM_SETTINGS.search).inputValue()).resolves.toBe('console-billing');
    });
  });

  describe('Profile', () => {
    it('saves name, organization, time zone and custom instructions; every date then shows in that zone, named', async () => {
      const { stack } = harness;
      const page = await harness.open({ token: viewer.token, path: '/profile' });
      await page.getByRole('heading', { name: PROFILE.title }).waitFor();
      await page.getByLabel(PROFILE.name, { exact: true }).fill('Vera Viewer');
      await page.getByRole('main').getByLabel(PROFILE.organizationName).fill('Acme Analytics');
      await page.getByLabel(PROFILE.timeZone).fill('Asia/Tokyo');
      await page.getByRole('option', { name: 'Asia/Tokyo' }).click();
      await page.getByLabel(PROFILE.customInstructions).fill('Answer in short sentences.\nCite sources.');
      await expectClean(page);
      await screenshot(page, 'profile', { docs: true });
      await page.getByRole('button', { name: PROFILE.save }).click();
      await page.getByText(PROFILE.saved).waitFor();

      const profile = await harness.api(viewer.token).GET('/v1/me');
      expect(profile.data).toMatchObject({ name: 'Vera Viewer', organizationName: 'Acme Analytics', timeZone: 'Asia/Tokyo', customInstructions: 'Answer in short sentences.\nCite sources.' });

      const overview = await harness.api(viewer.token).GET('/v1/organizations/{orgId}/overview', { params: { path: { orgId: stack.organizationId } } });
      await page.getByRole('link', { name: DASHBOARD.title }).click();
      await page.getByText(formatInstant(overview.data!.organization.createdAt, 'Asia/Tokyo')).waitFor();
    });

    it('is only for a signed-in person: without a session it is sign-in', async () => {
      const page = await harness.open({ path: '/profile' });
      await page.waitForURL(/\/sign-in\?next=%2Fprofile/);
    });
  });

  describe('Activity Logs', () => {
    it('filters by the URL, searches, and exports the filtered log as the API\'s CSV', async () => {
      const { stack } = harness;
      const page = await harness.open({ token: stack.ownerToken, path: `/organizations/${stack.organizationId}/activity-logs?action=create` });
      const table = page.getByRole('table', { name: ACTIVITY_LOGS.title });
      await table.waitFor();
      const actions = await table.locator('tbody tr td:nth-child(3)').allTextContents();
      expect(actions.length).toBeGreaterThan(0);
      expect(new Set(actions)).toEqual(new Set(['Create']));
      await expectClean(page);
      await screenshot(page, 'activity-logs', { docs: true });

      await page.getByLabel(ACTIVITY_LOGS.search).fill('Second workspace');
      await page.waitForURL(/[?&]q=Second/);
      // the URL moves first, the table once the search has answered
      const summaries = table.locator('tbody tr td:nth-child(6)');
      await waitFor('only entries about the second workspace', async () => {
        const texts = await summaries.allTextContents();
        return texts.length > 0 && texts.every((text) => text.includes('Second workspace')) ? true : undefined;
      });

      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: ACTIVITY_LOGS.exportCsv }).click();
      const file = await download;
      const csv = readFileSync((await file.path())!, 'utf8');
      const fromApi = await fetch(`${stack.url}/v1/organizations/${stack.organizationId}/activity/export?action=create&q=Second+workspace&format=csv`, {
        headers: { authorization: `Bearer ${stack.ownerToken}` },
      });
      expect(csv).toBe(await fromApi.text());
      expect(csv.split('\n').filter(Boolean).length).toBeGreaterThan(1);

      // nothing matches: the empty state
      await page.getByLabel(ACTIVITY_LOGS.search).fill('no entry says this');
      await page.getByText(ACTIVITY_LOGS.empty).waitFor();
    });

    it('shows the API\'s refusal of a bad filter in the URL, with Retry', async () => {
      const page = await harness.open({ token: harness.stack.ownerToken, path: `/organizations/${harness.stack.organizationId}/activity-logs?from=yesterday` });
      await page.getByText(STATES.error).waitFor();
      await page.getByRole('button', { name: STATES.retry }).waitFor();
    });

    it('is restricted for a viewer (the activity log is for owners, admins and billing)', async () => {
      const page = await harness.open({ token: viewer.token, path: `/organizations/${harness.stack.organizationId}/activity-logs` });
      await page.getByText(ACCESS_RESTRICTED_TITLE).waitFor();
    });
  });
});
