import { chromium, type Browser } from 'playwright-core';
import { environment } from '@herald/config';

// Headless Debian Chromium driven by playwright-core, shared by the dashboard's browser tests.
export const CHROMIUM = environment().HERALD_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** How long a page may take to show what a test waits for (raise it on a loaded machine). */
export const WAIT_MS = Number(environment().HERALD_DASHBOARD_TEST_TIMEOUT_MS || 10_000);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}
