import { chromium, type Browser } from 'playwright-core';
import { environment } from '@herald/config';
import { startStack, type Stack, type StackOptions } from '@herald/testing';

// Headless Debian Chromium driven by playwright-core, shared by the dashboard's browser tests.
export const CHROMIUM = environment().HERALD_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** How long a page may take to show what a test waits for (raise it on a loaded machine). */
export const WAIT_MS = Number(environment().HERALD_DASHBOARD_TEST_TIMEOUT_MS || 10_000);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/**
 * The dashboard tests' fixture: a stack (with the public gateway URL the dashboard needs) and Chromium,
 * started together; a Chromium that fails to start stops the stack before the error goes on.
 */
export async function startStackAndBrowser(opts: StackOptions = {}): Promise<{ stack: Stack; browser: Browser }> {
  const starting = startStack({ ...opts, publicGatewayUrl: true });
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (e) {
    await (await starting).stop();
    throw e;
  }
  return { stack: await starting, browser };
}

export async function stopStackAndBrowser(stack: Stack | undefined, browser: Browser | undefined): Promise<void> {
  await browser?.close();
  await stack?.stop();
}
