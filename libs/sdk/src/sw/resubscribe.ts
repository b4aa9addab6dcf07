import { keyBytes, loadRecord, saveRecord } from '../push/record.js';

/** What a `pushsubscriptionchange` carries (Firefox fills both; Chromium does not fire the event). */
export interface SubscriptionChange {
  oldSubscription?: PushSubscription | null;
  newSubscription?: PushSubscription | null;
}

export type ResubscribeResult = { ok: true; endpoint: string } | { ok: false; reason: string; detail: string };

const failed = (reason: string, detail: string): ResubscribeResult => ({ ok: false, reason, detail });

/**
 * The browser replaced (or dropped) the subscription: subscribe again with the same VAPID key unless
 * the event brings the new subscription, register it with Herald for the channels and user id that
 * `herald.push.subscribe()` recorded, and remove the old endpoint. Limits (docs/push-sdk.md): it needs
 * that record (same origin, same scope); private channels need a token, which is never stored, so they
 * fail with `token_required` until a page calls subscribe() again; a browser that took the permission
 * back cannot subscribe at all.
 */
export async function resubscribe(reg: ServiceWorkerRegistration, change: SubscriptionChange): Promise<ResubscribeResult> {
  const record = await loadRecord(reg.scope);
  if (!record) return failed('not_registered', 'herald.push.subscribe() has not run in this scope');
  let sub = change.newSubscription ?? undefined;
  if (!sub) {
    try {
      const key = change.oldSubscription?.options.applicationServerKey ?? keyBytes(record.publicKey);
      sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    } catch (e) {
      return failed('push_service_error', e instanceof Error ? e.message : String(e));
    }
  }
  const { endpoint, keys } = sub.toJSON();
  if (!endpoint || !keys) return failed('push_service_error', 'The new subscription has no endpoint or keys');
  const call = (method: string, body: object) => fetch(`${record.api}/v1/push/subscriptions`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ appkey: record.appkey, ...body }) });
  let res: Response;
  try {
    res = await call('POST', { subscription: { endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth } }, channels: record.channels, userId: record.userId });
  } catch (e) {
    return failed('unavailable', e instanceof Error ? e.message : String(e));
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { reason?: string; content?: string };
    return failed(body.reason ?? 'unavailable', body.content ?? `HTTP ${res.status}`);
  }
  const old = change.oldSubscription?.endpoint ?? record.endpoint;
  // Best effort: an endpoint left behind is removed at its next push (410 from the push service).
  if (old && old !== endpoint) await call('DELETE', { endpoint: old }).catch(() => undefined);
  await saveRecord(reg.scope, { ...record, endpoint });
  return { ok: true, endpoint };
}
