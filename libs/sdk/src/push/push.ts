import { call } from '../callbacks.js';
import { errors, type HeraldError } from '../errors.js';
import { channelsOf } from '../pubsub.js';
import { errorOf, networkError, requireFetch } from '../transports/http.js';
import type { HeraldOptions } from '../types.js';
import { endpoints } from '../url.js';
import { askPermission, browserSubscription, container, existingRegistration, registrationFor } from './browser.js';
import { forgetRecord, keyBytes, saveRecord } from './record.js';
import type { PushRegisterOptions, PushRegistration, PushSubscribeOptions, PushSubscriptionData, PushUnsubscribeOptions } from './types.js';

/**
 * `herald.push`: Web Push for pages that are closed. The browser subscribes with the app's VAPID key,
 * Herald's API stores the subscription, and the service worker (`/sdk/herald-sw.js`) shows what a
 * publish with `push` sends. Talks to the REST API (`options.api`), not the gateway, with the app key
 * the page already has; needs no connection.
 */
export class Push {
  constructor(private readonly options: Readonly<HeraldOptions>) {}

  /**
   * Asks permission, subscribes the browser (reusing a subscription made with the same key) and
   * registers it with Herald for `channels`. Calling it again updates the channels.
   */
  subscribe(opts: PushSubscribeOptions): Promise<PushRegistration> {
    return call(opts, async () => {
      const body = this.body(opts);
      const api = this.api();
      const sw = container();
      // Before any await: the prompt needs the click that called subscribe().
      const permission = askPermission();
      const [reg, { publicKey }] = await Promise.all([registrationFor(sw, opts.serviceWorker), this.http<{ publicKey: string }>('GET', `/v1/push/vapid-key?appkey=${encodeURIComponent(this.options.appkey)}`), permission]);
      const sub = await browserSubscription(reg, keyBytes(publicKey));
      const out = await this.send(sub.toJSON() as PushSubscriptionData, body);
      await saveRecord(reg.scope, { api, appkey: this.options.appkey, channels: body.channels, userId: body.userId, publicKey, endpoint: out.endpoint });
      return out;
    });
  }

  /** Removes the subscription from Herald and from the browser. Nothing subscribed: resolves. */
  unsubscribe(opts: PushUnsubscribeOptions = {}): Promise<void> {
    return call(opts, async () => {
      this.api();
      const reg = await existingRegistration(container(), opts.serviceWorker);
      const sub = await reg?.pushManager.getSubscription();
      if (!reg || !sub) return;
      // The browser side goes whatever Herald answers: an endpoint Herald still holds is dropped at
      // its next push (the push service answers 410).
      const removed = this.http('DELETE', '/v1/push/subscriptions', { appkey: this.options.appkey, endpoint: sub.endpoint }).then(
        () => undefined,
        (e: HeraldError) => (isUnknownSubscription(e) ? undefined : e),
      );
      await Promise.all([sub.unsubscribe(), forgetRecord(reg.scope)]);
      const error = await removed;
      if (error) throw error;
    });
  }

  /** The lower-level call: registers a subscription made elsewhere (`PushSubscription.toJSON()`). */
  register(subscription: PushSubscriptionData, opts: PushRegisterOptions): Promise<PushRegistration> {
    return call(opts, () => {
      const body = this.body(opts);
      this.api();
      if (!subscription || typeof subscription.endpoint !== 'string' || !subscription.keys) throw errors.invalid('subscription must be PushSubscription.toJSON(): {endpoint, keys: {p256dh, auth}}');
      return this.send(subscription, body);
    });
  }

  private body(opts: PushRegisterOptions): { channels: string[]; userId?: string; token?: string } {
    if (!opts || typeof opts !== 'object') throw errors.invalid('channels is required');
    return { channels: channelsOf({ channels: opts.channels }), userId: opts.userId, token: opts.token };
  }

  private send(s: PushSubscriptionData, body: { channels: string[]; userId?: string; token?: string }): Promise<PushRegistration> {
    const subscription = { endpoint: s.endpoint, keys: { p256dh: s.keys.p256dh, auth: s.keys.auth } };
    return this.http<PushRegistration>('POST', '/v1/push/subscriptions', { appkey: this.options.appkey, subscription, ...body });
  }

  private api(): string {
    if (typeof this.options.api !== 'string' || !this.options.api) throw errors.invalid("herald.push needs the REST API's URL: Herald.init({ host, appkey, api: 'https://api.example.com' })");
    return endpoints(this.options.api, this.options.forceTLS).http;
  }

  private async http<T>(method: string, path: string, json?: object): Promise<T> {
    let res: Response;
    try {
      res = await requireFetch(this.options.fetch)(this.api() + path, json ? { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) } : { method });
    } catch (e) {
      throw networkError(e);
    }
    if (!res.ok) throw await errorOf(res);
    return (res.status === 204 ? undefined : await res.json()) as T;
  }
}

/** Herald no longer holds it (removed after a 410, or from the dashboard). */
function isUnknownSubscription(e: HeraldError): boolean {
  return e.reason === 'push_subscription_not_found';
}
