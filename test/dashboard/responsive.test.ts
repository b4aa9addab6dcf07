import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { createTenant, type Stack, type Tenant } from '@herald/testing';
import { WAIT_MS, startStackAndBrowser, stopStackAndBrowser } from './browser.js';

// The dashboard on a phone (390×844) and a small laptop (1366×768), in headless Chromium against the real apps.
const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1366, height: 768 };

let stack: Stack;
let browser: Browser;
before(async () => void ({ stack, browser } = await startStackAndBrowser()), { timeout: 60_000 });
after(() => stopStackAndBrowser(stack, browser), { timeout: 30_000 });

/** A page logged in as a new tenant (a test that logs out ends that session). */
async function open(viewport: { width: number; height: number }, tenant: Tenant): Promise<Page> {
  const context = await browser.newContext({ viewport });
  await context.addInitScript((t) => localStorage.setItem('herald.token', t), tenant.token);
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  return page;
}

/** How far the page scrolls sideways (0 when nothing sticks out of the viewport), and the outermost elements that stick out. */
const overflow = (page: Page) =>
  page.evaluate(() => {
    const wide = [...document.body.querySelectorAll<HTMLElement>('*')].filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5);
    const outermost = wide.filter((el) => !wide.includes(el.parentElement!)).slice(0, 5);
    return {
      by: document.scrollingElement!.scrollWidth - window.innerWidth,
      culprits: outermost.map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} right=${Math.round(el.getBoundingClientRect().right)}`),
    };
  });

test('on a 390 px phone no page scrolls sideways, Log out is on screen, and the console publishes', async () => {
  const tenant = await createTenant(stack.apiUrl);
  const page = await open(PHONE, tenant);
  const base = `${stack.apiUrl}/apps/${tenant.appId}`;
  const pages: Array<[string, string]> = [
    [`${stack.apiUrl}/apps`, '[data-testid=app-list]'],
    [base, '[data-testid=app-name]'],
    [`${base}/keys`, '[data-testid=keys-common] tr[data-status=active]'],
    [`${base}/stats`, '[data-testid=chart-messages-per-day]'],
    [`${base}/webhooks`, '.card'],
    [`${base}/scheduled`, 'text=No scheduled messages'],
    [`${base}/settings`, '.card'],
  ];
  for (const [url, ready] of pages) {
    await page.goto(url);
    await page.locator(ready).first().waitFor();
    await page.locator('.loading').first().waitFor({ state: 'detached' });
    const o = await overflow(page);
    assert.equal(o.by, 0, `${url} scrolls sideways at 390 px: ${o.culprits.join(', ')}`);
  }

  await page.goto(`${base}/console`);
  await page.locator('[data-testid=console-status][data-status=connected]').waitFor();
  await page.locator('.log-line.subscribe', { hasText: 'subscribed to' }).waitFor();
  const long = 'x'.repeat(400);
  await page.locator('textarea[name=publish-message]').fill(JSON.stringify({ text: 'Hello from a phone', long }));
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  const line = page.locator('.log-line.message', { hasText: 'Hello from a phone' });
  await line.waitFor();
  const o = await overflow(page);
  assert.equal(o.by, 0, `the console scrolls sideways at 390 px: ${o.culprits.join(', ')}`);
  // A long message wraps inside the log: its text column is wide, not one character per line.
  const body = await line.locator('.b').boundingBox();
  assert.ok(body && body.width > 200, `message text is ${body?.width}px wide`);
  const log = page.getByTestId('console-log');
  assert.ok(await log.evaluate((el) => el.scrollWidth <= el.clientWidth), 'the log does not scroll sideways');

  const logout = page.getByRole('button', { name: 'Log out' });
  await page.evaluate(() => window.scrollTo(0, 0));
  const box = await logout.boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width && box.y >= 0, `Log out at ${JSON.stringify(box)}`);
  await logout.click();
  await page.waitForURL('**/login');
  await page.context().close();
});

test('at 1366×768 the console’s Publish button is in view without scrolling', async () => {
  const tenant = await createTenant(stack.apiUrl);
  const page = await open(LAPTOP, tenant);
  await page.goto(`${stack.apiUrl}/apps/${tenant.appId}/console`);
  await page.locator('[data-testid=console-status][data-status=connected]').waitFor();
  const publish = page.getByRole('button', { name: 'Publish', exact: true });
  const box = await publish.boundingBox();
  assert.equal(await page.evaluate(() => window.scrollY), 0);
  assert.ok(box && box.y >= 0 && box.y + box.height <= LAPTOP.height, `Publish at ${JSON.stringify(box)}, viewport ${LAPTOP.height}px high`);
  await page.context().close();
});
