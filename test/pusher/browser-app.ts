import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { Browser } from 'playwright-core';
import { environment } from '@herald/config';
import { startStack, type Stack, type StackOptions } from '@herald/testing';
import { launchChromium } from '../dashboard/browser.js';

// The fixture of the Pusher browser tests (Laravel Echo, pusher-js's browser builds): one stack, one
// headless Chromium, and the customer's web app — a small HTTP server the test plays, serving a blank
// page, the client scripts it names and its backend's routes (auth endpoints, triggers).

/** How long a page may take to show what a test waits for (raise it on a loaded machine). */
export const WAIT_MS = Number(environment().HERALD_SDK_TEST_TIMEOUT_MS || 20_000);

/** A route's answer: status, content type, body. */
export type Reply = [status: number, type: string, body: string];
/** The customer's backend: an answer, or undefined for 404. */
export type Routes = (req: IncomingMessage, url: URL) => Promise<Reply | undefined>;

export interface BrowserApp {
  stack: Stack;
  browser: Browser;
  /** The customer's web app (http://127.0.0.1:port): `/` is a blank page, the scripts are at their paths. */
  url: string;
  stop(): Promise<void>;
}

/** Starts the stack, Chromium and the customer's web app; whatever started is stopped if another part fails. */
export async function startBrowserApp(opts: { stack?: StackOptions; scripts: Record<string, string>; routes: Routes }): Promise<BrowserApp> {
  const scripts = new Map(Object.entries(opts.scripts).map(([path, file]) => [path, readFileSync(file, 'utf8')]));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://app');
    const reply = async (): Promise<Reply | undefined> => {
      if (req.method === 'GET' && url.pathname === '/') return [200, 'text/html', '<!doctype html><title>app</title>'];
      const script = req.method === 'GET' ? scripts.get(url.pathname) : undefined;
      return script !== undefined ? [200, 'application/javascript', script] : opts.routes(req, url);
    };
    reply().then(
      (r) => {
        const [status, type, body] = r ?? [404, 'text/plain', 'not found'];
        res.writeHead(status, { 'content-type': type }).end(body);
      },
      (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(e.message),
    );
  });
  const started = await Promise.allSettled([
    startStack({ workers: 0, ...opts.stack }),
    launchChromium(),
    new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve)),
  ]);
  const [stack, browser] = started.map((s) => (s.status === 'fulfilled' ? s.value : undefined)) as [Stack | undefined, Browser | undefined];
  const stop = async () => {
    await browser?.close();
    await new Promise((resolve) => server.close(resolve));
    await stack?.stop();
  };
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stop();
    throw (failed as PromiseRejectedResult).reason;
  }
  return { stack: stack!, browser: browser!, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, stop };
}

/** A request's body as text. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
