import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { waitFor } from '@herald/testing';

/**
 * A customer's site for the Web Push browser tests, on its own loopback origin (a secure context, as
 * http://127.0.0.1 is): any path answers a blank page, and `/sw.js` is the customer's service worker,
 * which does what docs/push-sdk.md tells customers to do — `importScripts` the gateway's helper.
 */
export class PushSite {
  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  static async start(gatewayUrl: string): Promise<PushSite> {
    const server = createServer((req, res) => {
      if (req.url === '/sw.js') {
        res.writeHead(200, { 'content-type': 'application/javascript', 'cache-control': 'no-store' });
        res.end(`importScripts(${JSON.stringify(`${gatewayUrl}/sdk/herald-sw.js`)});\n`);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><meta charset="utf-8"><title>shop</title><p>A customer page</p>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new PushSite(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

/** Registers `script` in the page and waits until its worker is active; answers the scope. */
export function registerWorker(page: Page, script: string): Promise<string> {
  return page.evaluate(async (script) => {
    const reg = await navigator.serviceWorker.register(script);
    const worker = reg.installing ?? reg.waiting;
    if (worker && !reg.active) await new Promise<void>((resolve) => worker.addEventListener('statechange', () => worker.state === 'activated' && resolve()));
    return reg.scope;
  }, script);
}

/** The DevTools protocol's handle on the page's service workers: registration ids by scope, and push delivery. */
export class PushDevTools {
  private readonly ids = new Map<string, string>();
  /** Worker versions' states and reported errors, for a failure's message. */
  readonly events: string[] = [];
  /** Registrations whose active worker runs now. */
  private readonly running = new Set<string>();
  private constructor(private readonly cdp: CDPSession) {
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
      for (const r of e.registrations) if (!r.isDeleted) this.ids.set(r.scopeURL, r.registrationId);
    });
    cdp.on('ServiceWorker.workerVersionUpdated', (e) => {
      for (const v of e.versions) {
        this.events.push(`version ${v.versionId} ${v.runningStatus}/${v.status}`);
        if (v.runningStatus === 'running' && v.status === 'activated') this.running.add(v.registrationId);
        else this.running.delete(v.registrationId);
      }
    });
    cdp.on('ServiceWorker.workerErrorReported', (e) => this.events.push(`error: ${e.errorMessage.errorMessage} (${e.errorMessage.sourceURL}:${e.errorMessage.lineNumber})`));
  }

  static async attach(context: BrowserContext, page: Page): Promise<PushDevTools> {
    const tools = new PushDevTools(await context.newCDPSession(page));
    await tools.cdp.send('ServiceWorker.enable');
    return tools;
  }

  async registrationId(scope: string, timeoutMs: number): Promise<string> {
    await waitFor(() => this.ids.has(scope), { timeoutMs, what: `the service worker registration of ${scope} in DevTools` });
    return this.ids.get(scope)!;
  }

  /**
   * What a push service would deliver, decrypted: `data` is the payload text. The worker is started
   * and seen running first: a push sent to a worker still starting on a loaded machine was seen lost.
   */
  async deliver(scope: string, data: string, timeoutMs: number): Promise<void> {
    const registrationId = await this.registrationId(scope, timeoutMs);
    if (!this.running.has(registrationId)) await this.cdp.send('ServiceWorker.startWorker', { scopeURL: scope });
    await waitFor(() => this.running.has(registrationId), { timeoutMs, what: `the worker of ${scope} running (${this.events.join('; ')})` });
    await this.cdp.send('ServiceWorker.deliverPushMessage', { origin: new URL(scope).origin, registrationId, data });
  }
}

export interface ShownNotification {
  title: string;
  body: string;
  tag: string;
  data: { herald?: boolean; url?: string; data?: unknown; channel?: string; id?: string } | null;
}

/** The notifications the page's service worker shows now (`registration.getNotifications()`). */
export function shownNotifications(page: Page): Promise<ShownNotification[]> {
  return page.evaluate(async () => {
    const reg = await navigator.serviceWorker.getRegistration();
    const list = reg ? await reg.getNotifications() : [];
    return list.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data as ShownNotification['data'] }));
  });
}
