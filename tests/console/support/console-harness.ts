/**
 * What every browser test of the console shares: one Steward stack per test file (the gateway serving the built
 * console), Debian's Chromium driven by playwright-core (never a downloaded browser), a typed API client for
 * the data the tests create and check, axe-core checks and screenshots under tmp/ui-screenshots/
 * (and docs/console/ with CONSOLE_DOCS_SCREENSHOTS=1).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import createClient from 'openapi-fetch';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { SIGN_IN, type paths } from '@steward/console';
import { type Stack, type StackOptions, type TestEnv, createTestEnv, startStack } from '@steward/testing';
import { Fixtures, GatewayClient } from '../../gateway/support/gateway-client';

const ROOT = join(__dirname, '..', '..', '..');
export const SCREENSHOT_DIR = join(ROOT, 'tmp', 'ui-screenshots');
const DOCS_DIR = join(ROOT, 'docs', 'console');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync', '--no-first-run'];

export type ConsoleApi = ReturnType<typeof createClient<paths>>;

export interface ConsoleHarness {
  readonly env: TestEnv;
  readonly stack: Stack;
  readonly browser: Browser;
  readonly fixtures: Fixtures;
  /** The API as `token` (typed by the console's generated schema). */
  api(token: string): ConsoleApi;
  /** A fresh browser context (its own sessionStorage): signed in as `token` when given, on `path`. */
  open(options?: { token?: string; path?: string; colorScheme?: 'light' | 'dark' }): Promise<Page>;
  close(): Promise<void>;
}

/** `options` go to the stack (a test of billing runs the default plan catalogue). */
export async function startConsoleHarness(options: StackOptions = {}): Promise<ConsoleHarness> {
  const env = await createTestEnv();
  let stack: Stack | undefined;
  try {
    stack = await startStack(env, options);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const contexts: BrowserContext[] = [];
    const started = stack;
    return {
      env,
      stack: started,
      browser,
      fixtures: new Fixtures(new GatewayClient(started.url)),
      api: (token) => createClient<paths>({ baseUrl: started.url, headers: { authorization: `Bearer ${token}` } }),
      async open({ token, path = '/', colorScheme = 'light' } = {}) {
        const context = await browser.newContext({ baseURL: started.url, colorScheme, viewport: { width: 1280, height: 860 }, acceptDownloads: true });
        contexts.push(context);
        const page = await context.newPage();
        watchForPolicyViolations(page);
        if (token !== undefined) {
          await page.goto('/sign-in');
          await signIn(page, token);
        }
        await page.goto(path);
        return page;
      },
      async close() {
        for (const context of contexts) await context.close().catch(() => undefined);
        await browser.close();
        await started.stop();
        await env.dispose();
      },
    };
  } catch (error) {
    await stack?.stop();
    await env.dispose();
    throw error;
  }
}

/** A page breaking its Content-Security-Policy (an inline script or style let through) fails the test that opened it. */
const violations = new WeakMap<Page, string[]>();
function watchForPolicyViolations(page: Page): void {
  const found: string[] = [];
  violations.set(page, found);
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) found.push(message.text());
  });
}

export function policyViolations(page: Page): readonly string[] {
  return violations.get(page) ?? [];
}

export async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel(SIGN_IN.tokenLabel).fill(token);
  await page.getByRole('button', { name: SIGN_IN.submit }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
}

/** Serious and critical axe-core violations on the page as it is now (none expected). */
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} — ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}

/**
 * Saves a screenshot of the page as `<name>.png` under the test output; a main screen's (`docs: true`) also in
 * docs/console/ for the README when CONSOLE_DOCS_SCREENSHOTS=1.
 */
export async function screenshot(page: Page, name: string, { docs = false }: { docs?: boolean } = {}): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  if (docs && process.env.CONSOLE_DOCS_SCREENSHOTS === '1') {
    mkdirSync(DOCS_DIR, { recursive: true });
    copyFileSync(file, join(DOCS_DIR, `${name}.png`));
  }
  return file;
}
