import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { createTenant, restPublish, waitFor, type Stack } from '@herald/testing';
import { WAIT_MS, startStackAndBrowser, stopStackAndBrowser } from './browser.js';

// The Stats tab before the worker's roll-up has run: today's live counter must show in the 30-day chart,
// not "Messages today 3" beside an empty chart. The roll-up is set to an hour so it never runs here.
let stack: Stack;
let browser: Browser;
before(async () => void ({ stack, browser } = await startStackAndBrowser({ env: { HERALD_USAGE_ROLLUP_MS: '3600000' } })), { timeout: 60_000 });
after(() => stopStackAndBrowser(stack, browser), { timeout: 30_000 });

interface Day {
  day: string;
  publishes: number;
  deliveries: number;
  notRolledUp: number;
}

test('before the roll-up, the 30-day chart counts today’s messages from the live counter, as the stat does', async () => {
  const t = await createTenant(stack.apiUrl);
  const N = 3;
  for (let i = 0; i < N; i++) await restPublish(stack.apiUrl, t.secret, { channel: 'lobby', message: { text: `hi ${i}` } });
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await context.addInitScript((token) => localStorage.setItem('herald.token', token), t.token);
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  await page.goto(`${stack.apiUrl}/apps/${t.appId}/stats`);

  await page.getByTestId('stat-messages-today').locator('.stat-value', { hasText: String(N) }).waitFor();
  const chart = page.getByTestId('chart-messages-per-day');
  const today = new Date().toISOString().slice(0, 10);
  let day: Day | undefined;
  await waitFor(
    async () => {
      const data = JSON.parse((await chart.getAttribute('data-chart')) ?? '[]') as Day[];
      day = data.find((d) => d.day === today);
      return day?.notRolledUp === N;
    },
    { timeoutMs: WAIT_MS, intervalMs: 200, what: `today's ${N} live messages in the chart` },
  );
  assert.deepEqual({ publishes: day!.publishes, deliveries: day!.deliveries }, { publishes: 0, deliveries: 0 }, 'nothing rolled up yet');
  assert.equal(await chart.locator('.chart-empty').count(), 0, 'the chart is not shown as empty');
  assert.match((await page.getByTestId('usage-not-rolled-up').textContent())!, new RegExp(`plus ${N} counted today .*within about a minute`));
  await context.close();
});
